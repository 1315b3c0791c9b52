"""Process groups: every rank acts on rank 0's answer."""

import subprocess
import sys
from pathlib import Path

from model.distributed import computed_on_rank_zero

RANK_PROGRAM = """
import sys
import torch.distributed as dist
from model.distributed import computed_on_rank_zero

rank, store = int(sys.argv[1]), sys.argv[2]
dist.init_process_group("gloo", init_method=store, rank=rank, world_size=2)
calls = []
answer = computed_on_rank_zero(lambda: calls.append(rank) or {"from rank": rank})
print(answer["from rank"], len(calls))
dist.destroy_process_group()
"""


def test_outside_a_process_group_it_just_computes() -> None:
    assert computed_on_rank_zero(lambda: [1, 2]) == [1, 2]


def test_every_rank_gets_rank_zeros_answer_and_only_rank_zero_computes(tmp_path: Path) -> None:
    store = f"file://{tmp_path / 'store'}"
    ranks = [
        subprocess.Popen([sys.executable, "-c", RANK_PROGRAM, str(rank), store],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in ranks]
    assert [process.returncode for process in ranks] == [0, 0], outputs
    assert [stdout.split() for stdout, _ in outputs] == [["0", "1"], ["0", "0"]]

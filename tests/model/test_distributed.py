"""Process groups: every rank acts on rank 0's answer."""

from pathlib import Path

from model.distributed import computed_on_rank_zero
from process_group import run_two_ranks

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
    assert [output.split() for output in run_two_ranks(RANK_PROGRAM, tmp_path)] == [
        ["0", "1"], ["0", "0"]
    ]


STEP_PROGRAM = """
import sys
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from model.criterion import CriterionOutput
from model.distributed import mean_over_ranks
from model.engine import train_one_epoch

rank, store = int(sys.argv[1]), sys.argv[2]
dist.init_process_group("gloo", init_method=store, rank=rank, world_size=2)


class FakeBatch:
    "Stands for a PretrainBatch: the step number, already on the device."

    batch_size = 1

    def __init__(self, step):
        self.step = step

    def to(self, device, non_blocking=False):
        return self


torch.manual_seed(0)
model = DistributedDataParallel(nn.Linear(2, 1))


def loss_of_batch(batch):
    loss = model(torch.ones(1, 2)).sum() ** 2
    if rank == 0 and batch.step == 1:
        loss = loss * float("nan")  # only rank 0 meets a bad batch
    return CriterionOutput(total=loss, terms={})


optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
stats = train_one_epoch(
    model=model, loss_of_batch=loss_of_batch, batches=[FakeBatch(step) for step in range(3)],
    optimizer=optimizer, device=torch.device("cpu"), max_grad_norm=1.0,
    scaler=torch.amp.GradScaler("cpu", enabled=False),
)
mean_rank = mean_over_ranks(float(rank), device=torch.device("cpu"))
print(stats.steps, stats.skipped_non_finite, mean_rank)
dist.destroy_process_group()
"""


def test_a_step_that_is_not_finite_on_one_rank_is_skipped_on_every_rank(tmp_path: Path) -> None:
    """A rank that skipped alone would leave the others waiting for its gradients."""
    assert [output.split() for output in run_two_ranks(STEP_PROGRAM, tmp_path)] == [
        ["2", "1", "0.5"], ["2", "1", "0.5"]
    ]

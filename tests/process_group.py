"""Running a small program as the two ranks of a gloo process group, for the tests."""

import os
import subprocess
import sys
from pathlib import Path


def run_two_ranks(program: str, tmp_path: Path, *arguments: str) -> list[str]:
    """What each of two processes running ``program`` printed; its argv is the rank, the
    group's file store, then ``arguments``, and ``LOCAL_RANK`` is its rank (one host)."""
    store = f"file://{tmp_path / 'store'}"
    ranks = [
        subprocess.Popen([sys.executable, "-c", program, str(rank), store, *arguments],
                         env=os.environ | {"LOCAL_RANK": str(rank)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(2)
    ]
    try:
        outputs = [process.communicate(timeout=120) for process in ranks]
    finally:
        for process in ranks:
            process.kill()  # a rank left waiting for the other must not outlive the test
    assert [process.returncode for process in ranks] == [0, 0], outputs
    return [stdout for stdout, _ in outputs]

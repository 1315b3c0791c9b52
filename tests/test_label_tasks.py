"""The label flow's task policies: which failures are retried, when a GPU slot is taken, how
many torch threads a worker thread uses."""

import threading
from contextlib import nullcontext

import pytest
import torch
from prefect.states import Failed

from data_schemas.errors import RLIPv2InputError
from flows.label_tasks import (
    gpu_slot,
    retry_on_io_error,
    use_one_torch_thread_off_the_main_thread,
)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (OSError(5, "Input/output error"), True),
        (TimeoutError("NFS read timed out"), True),
        (FileNotFoundError("no such file"), False),
        (PermissionError("denied"), False),
        (RLIPv2InputError("not an ingested dataset"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_io_errors_are_retried(error: Exception, retried: bool) -> None:
    state = Failed(data=error)
    assert retry_on_io_error(None, None, state) is retried


def test_gpu_slot_only_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(gpu_slot("cpu"), nullcontext)
    assert not isinstance(gpu_slot("cuda:1"), nullcontext)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert isinstance(gpu_slot("auto"), nullcontext)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert not isinstance(gpu_slot("auto"), nullcontext)


def test_worker_threads_run_torch_on_one_thread_and_the_main_thread_is_left_alone() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # on a one-thread machine the main-thread check would be vacuous
    try:
        use_one_torch_thread_off_the_main_thread()
        assert torch.get_num_threads() == 2
        seen: list[int] = []

        def worker() -> None:
            use_one_torch_thread_off_the_main_thread()
            seen.append(torch.get_num_threads())

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

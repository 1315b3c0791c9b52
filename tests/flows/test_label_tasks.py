"""The label flow's task policies: which failures are retried, when a GPU slot is taken, how
many torch threads a worker thread uses."""

import threading
from contextlib import nullcontext

import pytest
import torch
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.states import Failed

from data_schemas.errors import RLIPv2InputError
from flows.label_tasks import (
    GPU_CONCURRENCY_LIMIT,
    gpu_slot,
    release_gpu_slots,
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


@pytest.mark.usefixtures("prefect_harness")
def test_gpu_slots_left_by_a_killed_run_are_released() -> None:
    """On Prefect's temporary server a killed run's slot is never released: the CLI frees it."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(GPU_CONCURRENCY_LIMIT, 1)
        client.update_global_concurrency_limit(
            GPU_CONCURRENCY_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=1)
        )
        release_gpu_slots()
        assert client.read_global_concurrency_limit_by_name(GPU_CONCURRENCY_LIMIT).active_slots == 0

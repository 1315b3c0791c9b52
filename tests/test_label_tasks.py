"""The label flow's task policies: which failures are retried, when a GPU slot is taken."""

from contextlib import nullcontext

import pytest
from prefect.states import Failed

from data_schemas.errors import RLIPv2InputError
from flows.label_tasks import gpu_slot, retry_on_io_error


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

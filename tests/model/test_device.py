"""Device strings checked against the machine (:mod:`model.device`), one line each."""

import pytest
import torch

from data_schemas.errors import RLIPv2InputError
from model.device import resolve_device


def test_auto_and_the_cpu_always_resolve() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize(("device", "message"), [
    ("tpu", "tagger device 'tpu' is not a device: use auto, cpu, cuda or cuda:N"),
    ("mps", "tagger device 'mps': rlipv2 runs on auto, cpu, cuda or cuda:N"),
])
def test_strings_that_are_no_device_rlipv2_runs_on(device: str, message: str) -> None:
    with pytest.raises(RLIPv2InputError) as error:
        resolve_device(device, what="tagger device")
    assert str(error.value) == message


def test_cuda_without_cuda_and_a_cuda_index_beyond_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RLIPv2InputError, match="'cuda' was asked for, but CUDA is not available"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(RLIPv2InputError, match="'cuda:7' was asked for, but this machine has 1"):
        resolve_device("cuda:7")
    assert resolve_device("cuda:0") == torch.device("cuda:0")

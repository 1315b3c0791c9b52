"""The device a command asks for ("auto", "cpu", "cuda", "cuda:N"), checked against this machine.

Checked before any work starts, a wrong device string is one line; found by the first model
that moves there, it is a traceback from deep inside a run.
"""

import torch

from data_schemas.errors import RLIPv2InputError

DEVICE_CHOICES = "auto, cpu, cuda or cuda:N"


def resolve_device(device: str, *, what: str = "device") -> torch.device:
    """The torch device of ``device``: "auto" is CUDA when present, else the CPU.

    Raises:
        RLIPv2InputError: ``device`` names no device torch knows, one rlipv2 does not run on
            (only the CPU and CUDA), or one this machine lacks (``what`` names the option).
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise RLIPv2InputError(
            f"{what} {device!r} is not a device: use {DEVICE_CHOICES}"
        ) from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type != "cuda":
        raise RLIPv2InputError(f"{what} {device!r}: rlipv2 runs on {DEVICE_CHOICES}")
    if not torch.cuda.is_available():
        raise RLIPv2InputError(f"{what} {device!r} was asked for, but CUDA is not available here")
    count = torch.cuda.device_count()
    if resolved.index is not None and resolved.index >= count:
        raise RLIPv2InputError(
            f"{what} {device!r} was asked for, but this machine has {count} CUDA device(s)"
        )
    return resolved

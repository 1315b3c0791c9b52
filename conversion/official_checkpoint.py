"""Reading an official checkpoint without running its pickled code.

The paper's ``.pth`` files are ``torch.save`` d dictionaries ``{'model', 'optimizer',
'lr_scheduler', 'epoch', 'args'}`` whose ``args`` is a pickled ``argparse.Namespace``. They are
read with torch's weights-only unpickler, which rebuilds tensors and plain containers (dict,
list, tuple, str, numbers, None), with ``argparse.Namespace`` admitted besides: a pickle that
names any other global (a function to call, a class to build) is refused before anything of it
runs.
"""

import argparse
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from data_schemas.errors import RLIPv2InputError

_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


@dataclass(frozen=True)
class OfficialCheckpoint:
    """The parts of an official checkpoint a conversion reads.

    Attributes:
        model: the state dict, official names.
        args: the training script's arguments, as plain values.
    """

    model: dict[str, torch.Tensor]
    args: dict


def read_official_checkpoint(path: Path) -> OfficialCheckpoint:
    """The state dict and arguments of an official ``.pth`` file.

    Raises:
        RLIPv2InputError: one line naming ``path``: missing, unreadable or truncated, a pickle
            naming a global other than the admitted ones, or not of the official layout.
    """
    if not path.is_file():
        raise RLIPv2InputError(f"{path} does not exist")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        named = _GLOBAL.search(str(error))
        what = f"names {named[1]}" if named else "holds an object it may not rebuild"
        raise RLIPv2InputError(
            f"{path}: refused: its pickle {what}, which is neither a tensor, an "
            "argparse.Namespace nor a plain container (nothing of it was run)"
        ) from None
    except Exception as error:  # noqa: BLE001 - any failure of an untrusted file is its fault
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        reason = f"{type(error).__name__} {detail}".strip()
        raise RLIPv2InputError(
            f"{path} is not a readable checkpoint (truncated or corrupt?): {reason}"
        ) from None
    return official_parts(payload, source=path)


def official_parts(payload: object, *, source: Path) -> OfficialCheckpoint:
    """Check the official layout of a loaded payload and return its parts.

    Raises:
        RLIPv2InputError: a payload of another layout (e.g. an rlipv2 checkpoint).
    """
    if not isinstance(payload, dict) or "model" not in payload or "args" not in payload:
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise RLIPv2InputError(
            f"{source} is not an official RLIPv2 or Deformable-DETR checkpoint: it needs "
            f"'model' and 'args' entries, it holds {keys}"
        )
    model, args = payload["model"], payload["args"]
    if isinstance(args, argparse.Namespace):
        args = vars(args)
    if not isinstance(model, dict) or not all(
        isinstance(name, str) and isinstance(tensor, torch.Tensor) for name, tensor in model.items()
    ):
        raise RLIPv2InputError(f"{source}: its 'model' entry is not a state dict of tensors")
    if not isinstance(args, dict):
        raise RLIPv2InputError(f"{source}: its 'args' entry is not an argparse.Namespace")
    return OfficialCheckpoint(model=dict(model), args=dict(args))

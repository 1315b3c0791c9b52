"""Training checkpoints: written atomically, read back with ``weights_only=True``."""

import logging
import os
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from data_schemas.errors import RLIPv2InputError
from data_schemas.temporary_siblings import new_temporary_sibling

logger = logging.getLogger(__name__)

_CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d{6})\.pt$")


@dataclass(frozen=True)
class TrainingState:
    """Where training stands: ``epoch`` epochs and ``step`` optimizer steps are complete."""

    epoch: int
    step: int


def checkpoint_path(directory: Path, epoch: int) -> Path:
    return directory / f"checkpoint-{epoch:06d}.pt"


def save_checkpoint(
    directory: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    state: TrainingState,
    config: dict,
) -> Path:
    """Write ``checkpoint-<epoch>.pt`` (temp file + rename), holding only tensors and
    plain Python values so that it loads with ``weights_only=True``. ``scaler``'s state is
    empty unless it is enabled (float16 training)."""
    path = checkpoint_path(directory, state.epoch)
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "epoch": state.epoch,
        "step": state.step,
        "config": config,
    }
    save_atomically(payload, path)
    logger.info("saved %s", path)
    return path


def save_atomically(payload: dict, path: Path) -> None:
    """``torch.save`` to a temporary sibling of ``path``, then rename it into place (the
    parent directory is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = new_temporary_sibling(path)
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def latest_checkpoint(directory: Path) -> Path | None:
    """The checkpoint of the highest epoch in ``directory``, or None."""
    if not directory.is_dir():
        return None
    found = sorted(path for path in directory.iterdir() if _CHECKPOINT_NAME.match(path.name))
    return found[-1] if found else None


def read_checkpoint(path: Path) -> dict:
    """The checkpoint's contents (tensors on the CPU), read with ``weights_only=True``.

    Raises:
        RLIPv2InputError: the file is missing or not a readable checkpoint.
    """
    if path.is_file() and not zipfile.is_zipfile(path):
        raise RLIPv2InputError(f"{path} is not a readable rlipv2 checkpoint: not a torch.save file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise RLIPv2InputError(
            f"{path} is not an rlipv2 checkpoint: it holds objects other than tensors and plain "
            "values (the paper's released checkpoints hold an argparse Namespace, for one)"
        ) from error
    except (OSError, RuntimeError, EOFError) as error:
        raise RLIPv2InputError(f"{path} is not a readable rlipv2 checkpoint: {error}") from error


def restore_checkpoint(
    payload: dict,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scaler: torch.amp.GradScaler | None = None,
    source: str,
) -> TrainingState:
    """Load ``payload`` (from :func:`read_checkpoint` of ``source``) into ``model`` and, when
    given, the optimizer, scheduler and gradient scaler (when the payload has a scaler state:
    checkpoints of float32 or bfloat16 training have none).

    Raises:
        RLIPv2InputError: the payload does not fit them.
    """
    try:
        model.load_state_dict(payload["model"])
        if optimizer is not None:
            optimizer.load_state_dict(payload["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(payload["scheduler"])
        if scaler is not None and payload.get("scaler"):
            scaler.load_state_dict(payload["scaler"])
        return TrainingState(epoch=payload["epoch"], step=payload["step"])
    except (KeyError, RuntimeError, ValueError) as error:
        raise RLIPv2InputError(f"{source} is not a usable rlipv2 checkpoint: {error}") from error


def load_checkpoint(
    path: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scaler: torch.amp.GradScaler | None = None,
) -> TrainingState:
    """Restore ``model`` (and optimizer/scheduler/scaler when given) from ``path``.

    Raises:
        RLIPv2InputError: the file is not a readable, fitting rlipv2 checkpoint.
    """
    return restore_checkpoint(
        read_checkpoint(path),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=scaler,
        source=str(path),
    )

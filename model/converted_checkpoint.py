"""Weight files converted from other codebases (``rlipv2 convert-checkpoint``): their format,
written and read in this one place.

A converted file holds plain values and tensors only (it loads with ``weights_only=True``)::

    format        "rlipv2-converted"          version       1
    architecture  "detector" | "rtagger"      source        the original file's name and sha256
    config        the rlipv2 configuration the weights fit, as plain values: ``{"model": ...}``
                  for a detector; for a tagger also ``queries``, ``tagging`` and
                  ``data.transform`` (the sections of a ``train-tagger`` config it needs)
    model         the state dict, in rlipv2's names
    initialised   names of the model's tensors the file does not provide (a detection
                  checkpoint lacks the language parts); empty for a complete conversion
"""

from dataclasses import dataclass
from pathlib import Path

import torch

from data_schemas.errors import RLIPv2InputError
from model.checkpoint import save_atomically

CONVERTED_FORMAT = "rlipv2-converted"
CONVERTED_VERSION = 1
ARCHITECTURES = ("detector", "rtagger")


@dataclass(frozen=True)
class ConvertedCheckpoint:
    """A converted weight file's contents (see the module docstring)."""

    architecture: str
    source: str
    config: dict
    model: dict[str, torch.Tensor]
    initialised: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}"
            )

    @property
    def is_complete(self) -> bool:
        return not self.initialised


def is_converted(payload: object) -> bool:
    """Whether a loaded checkpoint payload is a converted weight file."""
    return isinstance(payload, dict) and payload.get("format") == CONVERTED_FORMAT


def converted_from_payload(payload: dict, *, source: Path) -> ConvertedCheckpoint:
    """The :class:`ConvertedCheckpoint` of a payload that :func:`is_converted`.

    Raises:
        RLIPv2InputError: its version or fields are not this format's.
    """
    if payload.get("version") != CONVERTED_VERSION:
        raise RLIPv2InputError(
            f"{source} is a converted checkpoint of version {payload.get('version')!r}; this "
            f"rlipv2 reads version {CONVERTED_VERSION}: convert the original file again"
        )
    try:
        return ConvertedCheckpoint(
            architecture=payload["architecture"],
            source=str(payload["source"]),
            config=dict(payload["config"]),
            model=dict(payload["model"]),
            initialised=tuple(payload["initialised"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RLIPv2InputError(f"{source} is not a usable converted checkpoint: {error}") from None


def write_converted_checkpoint(path: Path, converted: ConvertedCheckpoint) -> None:
    """Write ``converted`` to ``path`` atomically (temporary sibling, then rename)."""
    payload = {
        "format": CONVERTED_FORMAT,
        "version": CONVERTED_VERSION,
        "architecture": converted.architecture,
        "source": converted.source,
        "config": converted.config,
        "model": converted.model,
        "initialised": list(converted.initialised),
    }
    save_atomically(payload, path)

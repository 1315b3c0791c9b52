"""Starting a training run from other weights (``init_from``): an rlipv2 checkpoint, or a
converted official checkpoint (``rlipv2 convert-checkpoint``)."""

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from data_schemas.errors import RLIPv2InputError
from model.checkpoint import read_checkpoint
from model.converted_checkpoint import converted_from_payload, is_converted

logger = logging.getLogger(__name__)

TAGGER_ONLY_TENSOR = "query_encoder.coordinate_projection.weight"
"""A tensor only an R-Tagger's state dict has (its box embedding)."""


@dataclass(frozen=True)
class InitialWeights:
    """Weights to start from: of a ``"detector"`` or an ``"rtagger"``, and which of the model's
    tensors they leave as initialised (a converted detection checkpoint's language side)."""

    path: Path
    architecture: str
    state: dict[str, torch.Tensor]
    not_provided: frozenset[str]


def read_initial_weights(path: Path) -> InitialWeights:
    """The weights of an rlipv2 training checkpoint or of a converted checkpoint.

    Raises:
        RLIPv2InputError: a missing or unreadable file, or one without model weights.
    """
    if not path.is_file():
        raise RLIPv2InputError(f"init_from {path} does not exist")
    payload = read_checkpoint(path)
    if is_converted(payload):
        converted = converted_from_payload(payload, source=path)
        return InitialWeights(
            path=path,
            architecture=converted.architecture,
            state=converted.model,
            not_provided=frozenset(converted.initialised),
        )
    state = payload.get("model") if isinstance(payload, dict) else None
    if not isinstance(state, dict):
        raise RLIPv2InputError(f"init_from {path} holds no model weights")
    architecture = "rtagger" if TAGGER_ONLY_TENSOR in state else "detector"
    return InitialWeights(
        path=path, architecture=architecture, state=state, not_provided=frozenset()
    )


def load_initial_weights(model: nn.Module, weights: InitialWeights) -> None:
    """Load ``weights`` into ``model``: every tensor must fit, and the model's tensors they
    lack must be among those they declare they do not provide.

    Raises:
        RLIPv2InputError: weights that do not fit ``model`` (names listed).
    """
    try:
        result = model.load_state_dict(weights.state, strict=False)
    except RuntimeError as error:
        raise RLIPv2InputError(
            f"init_from {weights.path} does not fit the model: {' '.join(str(error).split())}"
        ) from None
    missing = sorted(set(result.missing_keys) - weights.not_provided)
    if result.unexpected_keys or missing:
        raise RLIPv2InputError(
            f"init_from {weights.path} does not fit the model: {len(result.unexpected_keys)} "
            f"unexpected tensors {result.unexpected_keys[:8]}, {len(missing)} missing "
            f"{missing[:8]}"
        )
    logger.info(
        "initialised from %s: %d tensors loaded, %d left as initialised",
        weights.path, len(weights.state), len(result.missing_keys),
    )

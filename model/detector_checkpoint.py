"""A relation detector rebuilt from a checkpoint: an rlipv2 pretraining or fine-tuning
checkpoint, or a converted RLIPv2 checkpoint (``rlipv2 convert-checkpoint``)."""

from dataclasses import dataclass
from pathlib import Path

import torch
from pydantic import TypeAdapter, ValidationError

from data_schemas.errors import RLIPv2InputError
from model.build_detector import build_relation_detector
from model.checkpoint import read_checkpoint
from model.converted_checkpoint import converted_from_payload, is_converted
from model.data.transforms import TransformConfig
from model.detector_config import DetectorConfig
from model.initial_weights import TAGGER_ONLY_TENSOR
from model.relation_detector import RelationDetector
from model.targets import LabelTexts

LABEL_TEXTS_KEY = "label_texts"
"""Where a fine-tuning checkpoint's config records the fixed label texts it was trained on."""


@dataclass(frozen=True)
class DetectorCheckpoint:
    """What rebuilding and running a checkpoint's detector needs.

    Attributes:
        model: the detector's configuration.
        transform: its image sizes (a converted checkpoint: the paper's, shorter side 800).
        label_texts: the fixed texts a fine-tuned detector was trained on; None for an
            open-vocabulary (pretrained or converted) one.
        state: its weights.
    """

    path: Path
    model: DetectorConfig
    transform: TransformConfig
    label_texts: LabelTexts | None
    state: dict[str, torch.Tensor]


def read_detector_checkpoint(path: Path, *, complete: bool = True) -> DetectorCheckpoint:
    """Read a detector checkpoint (see the module docstring); ``complete=False`` accepts a
    converted detection checkpoint, which lacks the language side (to read its configuration).

    Raises:
        RLIPv2InputError: a missing or unreadable file, an R-Tagger's, or (``complete``) a
            converted detection checkpoint.
    """
    if not path.is_file():
        raise RLIPv2InputError(f"checkpoint {path} does not exist")
    payload = read_checkpoint(path)
    if is_converted(payload):
        converted = converted_from_payload(payload, source=path)
        if converted.architecture != "detector":
            raise RLIPv2InputError(f"{path} is a converted R-Tagger, not a relation detector")
        if complete and not converted.is_complete:
            raise RLIPv2InputError(
                f"{path} is a converted detection checkpoint without the language side: "
                "fine-tune from it (init_from) before evaluating"
            )
        record, state = converted.config, converted.model
    else:
        record, state = payload.get("config"), payload.get("model")
        if not isinstance(record, dict) or not isinstance(state, dict):
            raise RLIPv2InputError(f"{path} is not an rlipv2 checkpoint (no config or weights)")
        if TAGGER_ONLY_TENSOR in state:
            raise RLIPv2InputError(f"{path} holds an R-Tagger, not a relation detector")
    try:
        model = TypeAdapter(DetectorConfig).validate_python(record["model"])
        transform = TypeAdapter(TransformConfig).validate_python(
            record.get("data", {}).get("transform", {})
        )
        texts = record.get(LABEL_TEXTS_KEY)
        label_texts = (
            None
            if texts is None
            else LabelTexts(
                entity_texts=tuple(texts["entity_texts"]),
                relation_texts=tuple(texts["relation_texts"]),
            )
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise RLIPv2InputError(
            f"{path} does not record a usable detector configuration: "
            f"{' '.join(str(error).split())[:300]}"
        ) from None
    return DetectorCheckpoint(
        path=path, model=model, transform=transform, label_texts=label_texts, state=state
    )


def build_detector(checkpoint: DetectorCheckpoint) -> RelationDetector:
    """The detector of ``checkpoint``, with its weights (its text encoder and tokenizer are
    loaded from the path its configuration names).

    Raises:
        RLIPv2InputError: weights that do not fit the configuration.
    """
    detector = build_relation_detector(checkpoint.model)
    try:
        detector.load_state_dict(checkpoint.state)
    except RuntimeError as error:
        raise RLIPv2InputError(
            f"{checkpoint.path} does not fit its own configuration: {' '.join(str(error).split())[:300]}"
        ) from None
    return detector

"""What pretraining and fine-tuning train in common: the relation detector, built from a config
and started from ``init_from``'s weights, and its loss on a batch."""

from pathlib import Path

from torch import nn

from data_schemas.errors import RLIPv2InputError
from model.build_detector import build_relation_detector
from model.data import PretrainBatch
from model.detector_config import DetectorConfig
from model.engine import LossOfBatch
from model.initial_weights import load_initial_weights, read_initial_weights


def build_initial_detector(model: DetectorConfig, init_from: Path | None) -> nn.Module:
    """The detector of ``model``, with ``init_from``'s weights when given (a resumed run's
    checkpoint then wins over them).

    Raises:
        RLIPv2InputError: ``init_from`` holds an R-Tagger, or weights that do not fit.
    """
    detector = build_relation_detector(model)
    if init_from is not None:
        weights = read_initial_weights(init_from)
        if weights.architecture != "detector":
            raise RLIPv2InputError(
                f"init_from {init_from} holds an R-Tagger's weights, not a detector's"
            )
        load_initial_weights(detector, weights)
    return detector


def detector_loss(model: nn.Module, criterion: nn.Module, epoch: int) -> LossOfBatch:
    """The loss of a batch: the criterion of the detector's output over the batch's texts."""

    def loss_of_batch(batch: PretrainBatch):
        output = model(batch.images, batch.pixel_mask, batch.label_texts)
        return criterion(output, list(batch.targets))

    return loss_of_batch

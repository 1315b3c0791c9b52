"""Training the relation detector on prepared batches: pretraining and fine-tuning differ only
in their data (sampled or fixed label texts) and defaults, and share this."""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from data_schemas.errors import RLIPv2InputError
from model.build_detector import build_relation_detector
from model.criterion import CriterionConfig, build_criterion
from model.data import PretrainBatch, TrainingData
from model.detector_config import DetectorConfig
from model.distributed import ProcessContext
from model.engine import LossOfBatch
from model.initial_weights import load_initial_weights, read_initial_weights
from model.optimization import OptimizationConfig
from model.training_loop import TrainingPlan, TrainingResult, train_epochs


@dataclass(frozen=True)
class DetectorTraining:
    """A detector to build and train: its configuration, the weights it starts from
    (``init_from``; a resumed run's checkpoint wins over them), its losses and schedule."""

    model: DetectorConfig
    init_from: Path | None
    criterion: CriterionConfig
    optimization: OptimizationConfig
    max_steps_per_epoch: int | None
    output_dir: Path
    config_record: dict
    seed: int


def train_detector(
    training: DetectorTraining, data: TrainingData, context: ProcessContext
) -> TrainingResult:
    """Build the detector (from ``init_from``'s weights when given), then train it epoch by
    epoch on ``data`` with resume and per-epoch checkpoints (:func:`train_epochs`).

    Raises:
        RLIPv2InputError: ``init_from`` holds an R-Tagger, or weights that do not fit.
    """
    detector = build_relation_detector(training.model)
    if training.init_from is not None:
        weights = read_initial_weights(training.init_from)
        if weights.architecture != "detector":
            raise RLIPv2InputError(
                f"init_from {training.init_from} holds an R-Tagger's weights, not a detector's"
            )
        load_initial_weights(detector, weights)
    criterion = build_criterion(training.criterion).to(context.device)

    def make_loss(model: nn.Module, epoch: int) -> LossOfBatch:
        def loss_of_batch(batch: PretrainBatch):
            output = model(batch.images, batch.pixel_mask, batch.label_texts)
            return criterion(output, list(batch.targets))

        return loss_of_batch

    plan = TrainingPlan(
        model=detector,
        parameter_groups=detector.parameter_groups(training.optimization),
        loader=data.loader,
        optimization=training.optimization,
        max_steps_per_epoch=training.max_steps_per_epoch,
        output_dir=training.output_dir,
        config_record=training.config_record,
        data_rejects=data.rejects,
        seed=training.seed,
    )
    return train_epochs(plan, make_loss, context)

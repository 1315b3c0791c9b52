"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

import logging

from torch import nn

from data_schemas.errors import RLIPv2InputError
from model.build_detector import build_relation_detector
from model.data import PretrainBatch
from model.distributed import ProcessContext, end_process, start_process
from model.engine import LossOfBatch
from model.initial_weights import load_initial_weights, read_initial_weights
from model.pretrain_config import PretrainConfig
from model.training_loop import TrainingResult
from model.training_run import run_training

logger = logging.getLogger(__name__)


def run_pretraining(config: PretrainConfig) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs, resuming from the newest checkpoint in
    ``<output_dir>/checkpoints``."""
    context = start_process(config.device)
    try:
        return _train(config, context)
    finally:
        end_process(context)


def _train(config: PretrainConfig, context: ProcessContext) -> TrainingResult:
    def build_detector() -> nn.Module:
        detector = build_relation_detector(config.model)
        if config.init_from is not None:  # a resumed run's checkpoint wins over it
            weights = read_initial_weights(config.init_from)
            if weights.architecture != "detector":
                raise RLIPv2InputError(
                    f"init_from {config.init_from} holds an R-Tagger's weights, not a detector's"
                )
            load_initial_weights(detector, weights)
        return detector

    def make_loss(model: nn.Module, criterion: nn.Module, epoch: int) -> LossOfBatch:
        def loss_of_batch(batch: PretrainBatch):
            output = model(batch.images, batch.pixel_mask, batch.label_texts)
            return criterion(output, list(batch.targets))

        return loss_of_batch

    return run_training(
        config,
        context,
        seed=config.data.seed,
        build_model=build_detector,
        make_loss=make_loss,
    )

"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

import logging

from torch import nn

from model.build_detector import build_relation_detector
from model.data import PretrainBatch
from model.distributed import ProcessContext, end_process, start_process
from model.engine import LossOfBatch
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
    def make_loss(model: nn.Module, criterion: nn.Module, epoch: int) -> LossOfBatch:
        def loss_of_batch(batch: PretrainBatch):
            output = model(batch.images, batch.pixel_mask, batch.label_texts)
            return criterion(output, list(batch.targets))

        return loss_of_batch

    return run_training(
        config,
        context,
        seed=config.data.seed,
        build_model=lambda: build_relation_detector(config.model),
        make_loss=make_loss,
    )

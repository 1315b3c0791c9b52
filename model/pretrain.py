"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

import logging

import torch
from torch import nn

from model.build_detector import build_relation_detector
from model.criterion import build_criterion
from model.data import PretrainBatch, build_training_loader
from model.distributed import ProcessContext, end_process, start_process
from model.engine import LossOfBatch
from model.config_file import config_as_dict
from model.pretrain_config import PretrainConfig
from model.training_loop import TrainingPlan, TrainingResult, train_epochs

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
    torch.manual_seed(config.data.seed)
    data = build_training_loader(
        config.data,
        output_dir=config.output_dir,
        batch_size=config.batch_size,
        num_workers=config.num_workers,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    detector = build_relation_detector(config.model)
    criterion = build_criterion(config.criterion).to(context.device)

    def make_loss(model: nn.Module, epoch: int) -> LossOfBatch:
        def loss_of_batch(batch: PretrainBatch):
            output = model(batch.images, batch.pixel_mask, batch.label_texts)
            return criterion(output, list(batch.targets))

        return loss_of_batch

    plan = TrainingPlan(
        model=detector,
        parameter_groups=detector.parameter_groups(config.optimization),
        loader=data.loader,
        optimization=config.optimization,
        max_steps_per_epoch=config.max_steps_per_epoch,
        output_dir=config.output_dir,
        config_record=config_as_dict(config),
        data_rejects=data.rejects,
        seed=config.data.seed,
    )
    return train_epochs(plan, make_loss, context)

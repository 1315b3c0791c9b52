"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

import torch

from model.config_file import config_as_dict
from model.data import build_training_loader
from model.detector_training import DetectorTraining, train_detector
from model.distributed import ProcessContext, end_process, start_process
from model.pretrain_config import PretrainConfig
from model.training_loop import TrainingResult


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
        batch_size=config.batch_size,
        num_workers=config.num_workers,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    training = DetectorTraining(
        model=config.model,
        init_from=config.init_from,
        criterion=config.criterion,
        optimization=config.optimization,
        max_steps_per_epoch=config.max_steps_per_epoch,
        output_dir=config.output_dir,
        config_record=config_as_dict(config),
        seed=config.data.seed,
    )
    return train_detector(training, data, context)

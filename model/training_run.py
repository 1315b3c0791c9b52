"""A training run from its config: seed torch, read the training data, build the model and the
criterion, then train (:func:`~model.training_loop.train_epochs`). Pretraining and the
R-Tagger's training are such runs, each with its model and its loss."""

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from model.config_file import config_as_dict
from model.criterion import CriterionConfig, build_criterion
from model.data import PretrainDataConfig, build_training_loader
from model.distributed import ProcessContext
from model.engine import LossOfBatch
from model.optimization import OptimizationConfig
from model.training_loop import TrainingPlan, TrainingResult, train_epochs


class TrainingRunConfig(Protocol):
    """What a run reads of a training config (``PretrainConfig``, ``TaggerTrainingConfig``)."""

    data: PretrainDataConfig
    criterion: CriterionConfig
    optimization: OptimizationConfig
    batch_size: int
    num_workers: int
    max_steps_per_epoch: int | None
    output_dir: Path


def run_training(
    config: TrainingRunConfig,
    context: ProcessContext,
    *,
    seed: int,
    build_model: Callable[[], nn.Module],
    make_loss: Callable[[nn.Module, nn.Module, int], LossOfBatch],
) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs of the model ``build_model`` makes, each batch's
    loss from ``make_loss(model, criterion, epoch)``, resuming from ``<output_dir>/checkpoints``.

    Torch is seeded with ``seed`` before the data is read and the model built, in that order, so
    that the model's initial weights follow the seed. The model has ``parameter_groups``.
    """
    torch.manual_seed(seed)
    data = build_training_loader(
        config.data,
        batch_size=config.batch_size,
        num_workers=config.num_workers,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    model = build_model()
    criterion = build_criterion(config.criterion).to(context.device)
    plan = TrainingPlan(
        model=model,
        parameter_groups=model.parameter_groups(config.optimization),
        loader=data.loader,
        optimization=config.optimization,
        max_steps_per_epoch=config.max_steps_per_epoch,
        output_dir=config.output_dir,
        config_record=config_as_dict(config),
        data_rejects=data.rejects,
        seed=seed,
    )
    return train_epochs(plan, lambda trained, epoch: make_loss(trained, criterion, epoch), context)

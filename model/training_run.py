"""A training run from its config: seed torch, read the training data, build the model and the
criterion, then train (:func:`~model.training_loop.train_epochs`). Pretraining and the
R-Tagger's training are such runs, each with its model and its loss; fine-tuning reads its own
data and trains the same way (:func:`train_on`)."""

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from model.config_file import config_as_dict
from model.criterion import CriterionConfig, build_criterion
from model.data import PretrainDataConfig, TrainingData, build_training_loader
from model.distributed import ProcessContext
from model.engine import LossOfBatch
from model.optimization import OptimizationConfig
from model.training_loop import EpochReport, TrainingPlan, TrainingResult, train_epochs


class TrainingSchedule(Protocol):
    """What training reads of a config (``PretrainConfig``, ``TaggerTrainingConfig``,
    ``FinetuneConfig``): the losses, the optimisation and where checkpoints go."""

    criterion: CriterionConfig
    optimization: OptimizationConfig
    max_steps_per_epoch: int | None
    output_dir: Path


class TrainingRunConfig(TrainingSchedule, Protocol):
    """What a run reads of a training config that reads scene graphs (``PretrainConfig``,
    ``TaggerTrainingConfig``)."""

    data: PretrainDataConfig
    batch_size: int
    num_workers: int


def run_training(
    config: TrainingRunConfig,
    context: ProcessContext,
    *,
    seed: int,
    build_model: Callable[[], nn.Module],
    make_loss: Callable[[nn.Module, nn.Module, int], LossOfBatch],
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs of the model ``build_model`` makes, each batch's
    loss from ``make_loss(model, criterion, epoch)``, resuming from ``<output_dir>/checkpoints``;
    ``on_epoch`` hears of each finished epoch (rank 0).

    Torch is seeded with ``seed`` before the data is read and the model built, in that order, so
    that the model's initial weights follow the seed. The model has ``parameter_groups``.
    """
    torch.manual_seed(seed)
    data = build_training_loader(
        config.data,
        output_dir=config.output_dir,
        batch_size=config.batch_size,
        num_workers=config.num_workers,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    return train_on(
        data,
        config,
        context,
        seed=seed,
        build_model=build_model,
        make_loss=make_loss,
        config_record=config_as_dict(config),
        on_epoch=on_epoch,
    )


def train_on(
    data: TrainingData,
    config: TrainingSchedule,
    context: ProcessContext,
    *,
    seed: int,
    build_model: Callable[[], nn.Module],
    make_loss: Callable[[nn.Module, nn.Module, int], LossOfBatch],
    config_record: dict,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> TrainingResult:
    """The training part of :func:`run_training`, on data read already (fine-tuning reads its
    own); ``config_record`` is what the checkpoints record as the run's config."""
    model = build_model()
    criterion = build_criterion(config.criterion).to(context.device)
    plan = TrainingPlan(
        model=model,
        parameter_groups=model.parameter_groups(config.optimization),
        loader=data.loader,
        optimization=config.optimization,
        max_steps_per_epoch=config.max_steps_per_epoch,
        output_dir=config.output_dir,
        config_record=config_record,
        data_rejects=data.rejects,
        seed=seed,
        on_epoch=on_epoch,
    )
    return train_epochs(plan, lambda trained, epoch: make_loss(trained, criterion, epoch), context)

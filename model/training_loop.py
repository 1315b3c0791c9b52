"""Epochs of training with resume and per-epoch checkpoints, shared by pretraining and the
R-Tagger: the caller builds data, model and loss; this runs the epochs."""

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from data_schemas.parquet_io import shard_path, write_table_atomic
from data_schemas.rejects import REJECTS, RejectRecord
from model.checkpoint import TrainingState, latest_checkpoint, load_checkpoint, save_checkpoint
from model.data import set_loader_epoch
from model.data.seeding import mixed_seed
from model.distributed import ProcessContext
from model.engine import EpochStats, LossOfBatch, autocast_dtype, train_one_epoch
from model.optimization import OptimizationConfig, build_optimizer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    """Where training ended, and the stats of the epochs this run trained.

    ``is_main`` is True in the process that writes checkpoints (rank 0).
    """

    state: TrainingState
    epochs: tuple[EpochStats, ...]
    checkpoint_dir: Path
    is_main: bool

    def report_lines(self) -> list[str]:
        """One line per epoch this run trained, then where training stands."""
        first_epoch = self.state.epoch - len(self.epochs) + 1
        lines = [
            f"epoch {number}: loss {stats.mean_loss:.4f} ({stats.steps} steps, "
            f"{stats.seconds:.1f}s)"
            for number, stats in enumerate(self.epochs, start=first_epoch)
        ]
        return lines + [f"trained to epoch {self.state.epoch}; checkpoints in {self.checkpoint_dir}"]


@dataclass(frozen=True)
class EpochReport:
    """One finished epoch, as :func:`train_epochs` hands it to ``TrainingPlan.on_epoch``."""

    epoch: int
    """The epoch just trained, counted from 1."""
    epochs: int
    """How many epochs the run trains in all."""
    step: int
    """Optimizer steps taken so far, this epoch's included."""
    stats: EpochStats
    learning_rates: dict[str, float]
    """Each parameter group's learning rate during this epoch, by the group's name."""
    checkpoint: Path
    """The checkpoint written after this epoch."""


@dataclass(frozen=True)
class TrainingPlan:
    """What to train, on what, for how long, and where its checkpoints go."""

    model: nn.Module
    parameter_groups: list[dict]
    loader: DataLoader
    optimization: OptimizationConfig
    max_steps_per_epoch: int | None
    output_dir: Path
    config_record: dict
    data_rejects: tuple[RejectRecord, ...]
    """What reading the training data set aside; rank 0 stores it as ``<output_dir>/rejects``."""
    seed: int
    """Seeds each epoch's shuffling and torch's global generator (dropout), with the epoch and
    rank, so that a resumed run trains as the uninterrupted run would have."""
    on_epoch: Callable[[EpochReport], None] | None = None
    """Called in rank 0 after each epoch's checkpoint (progress and metrics for a UI)."""


def train_epochs(
    plan: TrainingPlan,
    make_loss: Callable[[nn.Module, int], LossOfBatch],
    context: ProcessContext,
) -> TrainingResult:
    """Resume from the newest checkpoint of ``<output_dir>/checkpoints`` if any, then train
    the remaining epochs; rank 0 writes the data rejects (replacing an earlier start's), then
    one checkpoint and one ``metrics.jsonl`` line per epoch.

    ``make_loss`` receives the model to run (DDP-wrapped when distributed) and the epoch, and
    returns that epoch's per-batch loss function. Each epoch's randomness depends only on
    ``plan.seed``, the epoch and the rank: stopping after any epoch and resuming gives the
    weights of an uninterrupted run.
    """
    if context.is_main:
        write_table_atomic(
            REJECTS.to_arrow(plan.data_rejects), shard_path(plan.output_dir / "rejects", 0), REJECTS
        )
    model = plan.model.to(context.device)
    optimizer, scheduler = build_optimizer(plan.parameter_groups, plan.optimization)
    directory = plan.output_dir / "checkpoints"
    scaler = torch.amp.GradScaler(
        context.device.type, enabled=autocast_dtype(context.device) == torch.float16
    )
    state = TrainingState(epoch=0, step=0)
    resume_from = latest_checkpoint(directory)
    if resume_from is not None:
        state = load_checkpoint(
            resume_from, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler
        )
        logger.info("resumed from %s (epoch %d, step %d)", resume_from, state.epoch, state.step)
    runnable = (
        DistributedDataParallel(
            model,
            device_ids=[context.device] if context.device.type == "cuda" else None,
            find_unused_parameters=True,
        )
        if context.is_distributed
        else model
    )
    stats = []
    for epoch in range(state.epoch, plan.optimization.epochs):
        set_loader_epoch(plan.loader, epoch)
        torch.manual_seed(mixed_seed(plan.seed, epoch, context.rank))
        epoch_stats = train_one_epoch(
            model=runnable,
            loss_of_batch=make_loss(runnable, epoch),
            batches=tqdm(
                plan.loader, desc=f"epoch {epoch + 1}", disable=not context.is_main or None
            ),
            optimizer=optimizer,
            device=context.device,
            max_grad_norm=plan.optimization.max_grad_norm,
            scaler=scaler,
            max_steps=plan.max_steps_per_epoch,
        )
        learning_rates = {
            group.get("name", str(index)): group["lr"]
            for index, group in enumerate(optimizer.param_groups)
        }
        scheduler.step()
        state = TrainingState(epoch=epoch + 1, step=state.step + epoch_stats.steps)
        stats.append(epoch_stats)
        logger.info(
            "epoch %d: loss %.4f over %d steps (%.1fs)",
            state.epoch,
            epoch_stats.mean_loss,
            epoch_stats.steps,
            epoch_stats.seconds,
        )
        if context.is_main:
            checkpoint = save_checkpoint(
                directory,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                scaler=scaler,
                state=state,
                config=plan.config_record,
            )
            with open(plan.output_dir / "metrics.jsonl", "a") as metrics:
                record = {"epoch": state.epoch, "step": state.step, **asdict(epoch_stats)}
                metrics.write(json.dumps(record) + "\n")
            if plan.on_epoch is not None:
                plan.on_epoch(
                    EpochReport(
                        epoch=state.epoch,
                        epochs=plan.optimization.epochs,
                        step=state.step,
                        stats=epoch_stats,
                        learning_rates=learning_rates,
                        checkpoint=checkpoint,
                    )
                )
    return TrainingResult(
        state=state, epochs=tuple(stats), checkpoint_dir=directory, is_main=context.is_main
    )

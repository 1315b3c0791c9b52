"""A pretraining run: build, resume, train epoch by epoch, checkpoint. CPU, GPU or torchrun."""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from model.build_detector import build_relation_detector
from model.checkpoint import TrainingState, latest_checkpoint, load_checkpoint, save_checkpoint
from model.criterion import build_criterion
from model.data import (
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
    set_loader_epoch,
)
from model.distributed import ProcessContext, end_process, start_process
from model.engine import EpochStats, autocast_dtype, train_one_epoch
from model.optimization import build_optimizer
from model.pretrain_config import PretrainConfig, config_as_dict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainResult:
    """Where training ended, and the stats of the epochs this run trained.

    ``is_main`` is True in the process that writes checkpoints (rank 0).
    """

    state: TrainingState
    epochs: tuple[EpochStats, ...]
    checkpoint_dir: Path
    is_main: bool


def checkpoint_dir(config: PretrainConfig) -> Path:
    return config.output_dir / "checkpoints"


def run_pretraining(config: PretrainConfig) -> PretrainResult:
    """Train ``config.optimization.epochs`` epochs, resuming from the newest checkpoint in
    ``<output_dir>/checkpoints``; one checkpoint and one ``metrics.jsonl`` line per epoch
    (written by rank 0)."""
    context = start_process(config.device)
    try:
        return _train(config, context)
    finally:
        end_process(context)


def _train(config: PretrainConfig, context: ProcessContext) -> PretrainResult:
    torch.manual_seed(config.data.seed)
    dataset = build_pretrain_dataset(config.data)
    collator = build_pretrain_collator(config.data, build_label_vocabulary(dataset.annotations))
    loader = build_data_loader(
        dataset,
        collator=collator,
        batch_size=config.batch_size,
        shuffle=True,
        num_workers=config.num_workers,
        seed=config.data.seed,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    detector = build_relation_detector(config.model).to(context.device)
    optimizer, scheduler = build_optimizer(
        detector.parameter_groups(
            learning_rate=config.optimization.learning_rate,
            backbone_learning_rate=config.optimization.backbone_learning_rate,
            text_learning_rate=config.optimization.text_encoder_learning_rate,
        ),
        config.optimization,
    )
    directory = checkpoint_dir(config)
    state = TrainingState(epoch=0, step=0)
    resume_from = latest_checkpoint(directory)
    if resume_from is not None:
        state = load_checkpoint(
            resume_from, model=detector, optimizer=optimizer, scheduler=scheduler
        )
        logger.info("resumed from %s (epoch %d, step %d)", resume_from, state.epoch, state.step)
    model = (
        DistributedDataParallel(
            detector, device_ids=[context.device] if context.device.type == "cuda" else None
        )
        if context.is_distributed
        else detector
    )
    criterion = build_criterion(config.criterion).to(context.device)
    scaler = torch.amp.GradScaler(
        context.device.type, enabled=autocast_dtype(context.device) == torch.float16
    )
    stats = []
    for epoch in range(state.epoch, config.optimization.epochs):
        set_loader_epoch(loader, epoch)
        epoch_stats = train_one_epoch(
            model=model,
            criterion=criterion,
            batches=tqdm(loader, desc=f"epoch {epoch + 1}", disable=not context.is_main or None),
            optimizer=optimizer,
            device=context.device,
            max_grad_norm=config.optimization.max_grad_norm,
            scaler=scaler,
            max_steps=config.max_steps_per_epoch,
        )
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
            save_checkpoint(
                directory,
                model=detector,
                optimizer=optimizer,
                scheduler=scheduler,
                state=state,
                config=config_as_dict(config),
            )
            with open(config.output_dir / "metrics.jsonl", "a") as metrics:
                record = {"epoch": state.epoch, "step": state.step, **asdict(epoch_stats)}
                metrics.write(json.dumps(record) + "\n")
    return PretrainResult(
        state=state, epochs=tuple(stats), checkpoint_dir=directory, is_main=context.is_main
    )

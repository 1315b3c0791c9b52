"""One training epoch: forward, loss, backward, clip, step. Nothing else."""

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from model.criterion import CriterionOutput
from model.data import PretrainBatch
from model.distributed import finite_on_every_rank

LossOfBatch = Callable[[PretrainBatch], CriterionOutput]
"""Forward pass and loss of one batch already on the device (the model is in train mode)."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochStats:
    """Mean losses of the optimizer steps of one epoch (non-finite steps excluded)."""

    steps: int
    samples: int
    """Images in the optimizer steps."""
    skipped_non_finite: int
    mean_loss: float
    mean_terms: dict[str, float]
    seconds: float


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision on CUDA (bfloat16 where supported, else float16); none on CPU."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def train_one_epoch(
    *,
    model: nn.Module,
    loss_of_batch: LossOfBatch,
    batches: Iterable[PretrainBatch],
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    max_grad_norm: float,
    scaler: torch.amp.GradScaler,
    max_steps: int | None = None,
) -> EpochStats:
    """Train ``model`` (whose parameters ``optimizer`` updates) over ``batches`` (at most
    ``max_steps``), with ``loss_of_batch`` giving each batch's loss.

    A step whose loss is not finite is skipped (no update) and counted, instead of
    corrupting the weights; under DDP every rank skips it when any rank's loss is not finite.
    ``scaler`` is enabled only for float16 autocast.
    """
    model.train()
    amp_dtype = autocast_dtype(device)
    started = time.perf_counter()
    steps = skipped = samples = 0
    loss_sum = 0.0
    term_sums: defaultdict[str, float] = defaultdict(float)
    for batch in batches:
        if max_steps is not None and steps + skipped >= max_steps:
            break
        batch = batch.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            losses = loss_of_batch(batch)
        if not finite_on_every_rank(losses.total.detach()):
            skipped += 1
            logger.warning("non-finite loss at step %d: skipped", steps + skipped)
            optimizer.zero_grad(set_to_none=True)
            continue
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(losses.total).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        scaler.step(optimizer)
        scaler.update()
        steps += 1
        samples += batch.batch_size
        loss_sum += losses.total.item()
        for name, value in losses.terms.items():
            term_sums[name] += value.item()
    return EpochStats(
        steps=steps,
        samples=samples,
        skipped_non_finite=skipped,
        mean_loss=loss_sum / steps if steps else math.nan,
        mean_terms={name: total / steps for name, total in term_sums.items()} if steps else {},
        seconds=time.perf_counter() - started,
    )

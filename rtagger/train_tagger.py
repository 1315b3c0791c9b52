"""R-Tagger training by denoising: noised pairs in, clean boxes, labels and relations out."""

from collections.abc import Callable

import torch
from torch import nn

from model.criterion import CriterionOutput
from model.data import PretrainBatch
from model.data.seeding import mixed_seed
from model.distributed import ProcessContext, end_process, start_process
from model.engine import LossOfBatch
from model.initial_weights import load_initial_weights, read_initial_weights
from model.training_loop import EpochReport, TrainingResult
from model.training_run import run_training
from rtagger.box_pair_queries import TaggerPairs
from rtagger.build_tagger import build_relation_tagger
from rtagger.denoising import flip_labels, noise_boxes
from rtagger.tagger_config import DenoisingConfig, TaggerTrainingConfig
from rtagger.training_pairs import build_slot_targets


def run_tagger_training(
    config: TaggerTrainingConfig, *, on_epoch: Callable[[EpochReport], None] | None = None
) -> TrainingResult:
    """Train the tagger on human scene graphs, resuming from ``<output_dir>/checkpoints``;
    ``on_epoch`` hears of each finished epoch (rank 0)."""
    context = start_process(config.device)
    try:
        return _train(config, context, on_epoch)
    finally:
        end_process(context)


def noised_pairs(
    pairs: TaggerPairs, denoising: DenoisingConfig, *, num_classes: int, generator: torch.Generator
) -> TaggerPairs:
    """The pairs with jittered boxes and labels flipped to one of ``num_classes`` (empty slots
    are left as they are)."""
    empty = pairs.padding_mask
    scale = denoising.box_noise_scale
    subject_boxes = noise_boxes(pairs.subject_boxes, scale=scale, generator=generator)
    object_boxes = noise_boxes(pairs.object_boxes, scale=scale, generator=generator)
    flip = {"probability": denoising.label_noise_probability, "num_classes": num_classes}
    subject_labels = flip_labels(pairs.subject_labels, generator=generator, **flip)
    object_labels = flip_labels(pairs.object_labels, generator=generator, **flip)
    return TaggerPairs(
        subject_boxes=torch.where(empty[..., None], pairs.subject_boxes, subject_boxes),
        object_boxes=torch.where(empty[..., None], pairs.object_boxes, object_boxes),
        subject_labels=torch.where(empty, pairs.subject_labels, subject_labels),
        object_labels=torch.where(empty, pairs.object_labels, object_labels),
        padding_mask=pairs.padding_mask,
    )


def tagger_loss(
    tagger: nn.Module,
    criterion: nn.Module,
    batch: PretrainBatch,
    *,
    num_pairs: int,
    denoising: DenoisingConfig,
    generator: torch.Generator,
) -> CriterionOutput:
    """One batch: build slot targets, noise them, reconstruct."""
    device = batch.images.device
    slots = build_slot_targets(batch.targets, num_pairs=num_pairs, generator=generator)
    clean = slots.pairs.to(device)
    num_classes = denoising.flip_classes(
        num_entity_texts=len(batch.label_texts.entity_texts), batch_size=len(batch.targets)
    )
    noised = noised_pairs(clean, denoising, num_classes=num_classes, generator=generator)
    output = tagger(batch.images, batch.pixel_mask, batch.label_texts, noised, clean_pairs=clean)
    targets = [target.to(device) for target in slots.targets]
    return criterion(output, targets, matches=list(slots.matches))


def _train(
    config: TaggerTrainingConfig,
    context: ProcessContext,
    on_epoch: Callable[[EpochReport], None] | None,
) -> TrainingResult:
    def build_tagger() -> nn.Module:
        tagger = build_relation_tagger(config.model, reference=config.queries.reference)
        if config.init_from is not None:  # a resumed run's checkpoint wins over it
            weights = read_initial_weights(config.init_from)
            target = tagger if weights.architecture == "rtagger" else tagger.detector
            load_initial_weights(target, weights)
        return tagger

    def make_loss(model: nn.Module, criterion: nn.Module, epoch: int) -> LossOfBatch:
        generator = torch.Generator().manual_seed(mixed_seed(config.seed, epoch, context.rank))

        def loss_of_batch(batch: PretrainBatch) -> CriterionOutput:
            return tagger_loss(
                model,
                criterion,
                batch,
                num_pairs=config.model.num_pairs,
                denoising=config.denoising,
                generator=generator,
            )

        return loss_of_batch

    return run_training(
        config,
        context,
        seed=config.seed,
        build_model=build_tagger,
        make_loss=make_loss,
        on_epoch=on_epoch,
    )

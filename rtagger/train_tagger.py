"""R-Tagger training by denoising: noised pairs in, clean boxes, labels and relations out."""

import torch
from torch import nn

from model.config_file import config_as_dict
from model.criterion import CriterionOutput, build_criterion
from model.data import PretrainBatch, build_training_loader
from model.data.seeding import mixed_seed
from model.distributed import ProcessContext, end_process, start_process
from model.engine import LossOfBatch
from model.training_loop import TrainingPlan, TrainingResult, train_epochs
from rtagger.box_pair_queries import TaggerPairs
from rtagger.build_tagger import build_relation_tagger
from rtagger.denoising import flip_labels, noise_boxes
from rtagger.tagger_config import DenoisingConfig, TaggerTrainingConfig
from rtagger.training_pairs import build_slot_targets


def run_tagger_training(config: TaggerTrainingConfig) -> TrainingResult:
    """Train the tagger on human scene graphs, resuming from ``<output_dir>/checkpoints``."""
    context = start_process(config.device)
    try:
        return _train(config, context)
    finally:
        end_process(context)


def noised_pairs(
    pairs: TaggerPairs, denoising: DenoisingConfig, *, num_classes: int, generator: torch.Generator
) -> TaggerPairs:
    """The pairs with jittered boxes and flipped labels (empty slots are left as they are)."""
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
    noised = noised_pairs(
        clean, denoising, num_classes=len(batch.label_texts.entity_texts), generator=generator
    )
    output = tagger(batch.images, batch.pixel_mask, batch.label_texts, noised, clean_pairs=clean)
    targets = [target.to(device) for target in slots.targets]
    return criterion(output, targets, matches=list(slots.matches))


def _train(config: TaggerTrainingConfig, context: ProcessContext) -> TrainingResult:
    torch.manual_seed(config.seed)
    data = build_training_loader(
        config.data,
        output_dir=config.output_dir,
        batch_size=config.batch_size,
        num_workers=config.num_workers,
        distributed=context.is_distributed,
        pin_memory=context.device.type == "cuda",
    )
    tagger = build_relation_tagger(config.model)
    criterion = build_criterion(config.criterion).to(context.device)

    def make_loss(model: nn.Module, epoch: int) -> LossOfBatch:
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

    plan = TrainingPlan(
        model=tagger,
        parameter_groups=tagger.parameter_groups(config.optimization),
        loader=data.loader,
        optimization=config.optimization,
        max_steps_per_epoch=config.max_steps_per_epoch,
        output_dir=config.output_dir,
        config_record=config_as_dict(config),
        data_rejects=data.rejects,
        seed=config.seed,
    )
    return train_epochs(plan, make_loss, context)

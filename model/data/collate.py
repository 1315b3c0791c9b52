"""Collation: padded images, per-image relation targets and the batch's label texts."""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from model.data.label_vocabulary import LabelVocabulary, TextSamplingConfig, sample_label_texts
from model.data.scene_graph_dataset import PretrainSample
from model.data.seeding import mixed_seed
from model.targets import LabelTexts, RelationTarget


@dataclass(frozen=True)
class PretrainBatch:
    """A pre-training batch.

    Attributes:
        images: (batch, 3, max_height, max_width) float32, ImageNet-normalised, zero-padded at
            the bottom and right.
        pixel_mask: (batch, max_height, max_width) bool, True = padding.
        image_sizes: (batch, 2) int64 (height, width) of each unpadded image; target boxes are
            normalised by it.
        targets: one :class:`RelationTarget` per image; labels index ``label_texts``.
        label_texts: the entity and relation texts shared by the batch.
    """

    images: torch.Tensor
    pixel_mask: torch.Tensor
    image_sizes: torch.Tensor
    targets: tuple[RelationTarget, ...]
    label_texts: LabelTexts

    @property
    def batch_size(self) -> int:
        return self.images.shape[0]

    def to(self, device: torch.device | str, *, non_blocking: bool = False) -> "PretrainBatch":
        device = torch.device(device)
        return PretrainBatch(
            images=self.images.to(device, non_blocking=non_blocking),
            pixel_mask=self.pixel_mask.to(device, non_blocking=non_blocking),
            image_sizes=self.image_sizes.to(device, non_blocking=non_blocking),
            targets=tuple(
                target.to(device, non_blocking=non_blocking) for target in self.targets
            ),
            label_texts=self.label_texts,
        )

    def pin_memory(self) -> "PretrainBatch":
        """Called by ``DataLoader(pin_memory=True)``."""
        return PretrainBatch(
            images=self.images.pin_memory(),
            pixel_mask=self.pixel_mask.pin_memory(),
            image_sizes=self.image_sizes.pin_memory(),
            targets=tuple(target.pin_memory() for target in self.targets),
            label_texts=self.label_texts,
        )


def pad_images(
    images: Sequence[torch.Tensor], *, multiple: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(3, height_i, width_i) images -> padded (batch, 3, H, W), pixel_mask (batch, H, W) bool
    True = padding, and sizes (batch, 2) int64 (height, width); H and W are the largest height
    and width rounded up to a multiple of ``multiple``."""
    if not images:
        raise ValueError("cannot pad an empty list of images")
    sizes = torch.tensor([image.shape[-2:] for image in images], dtype=torch.int64)
    max_height, max_width = (-(-sizes.max(dim=0).values // multiple) * multiple).tolist()
    padded = images[0].new_zeros(len(images), images[0].shape[0], max_height, max_width)
    pixel_mask = torch.ones(len(images), max_height, max_width, dtype=torch.bool)
    for index, image in enumerate(images):
        height, width = image.shape[-2:]
        padded[index, :, :height, :width] = image
        pixel_mask[index, :height, :width] = False
    return padded, pixel_mask, sizes


def relation_target(sample: PretrainSample, label_texts: LabelTexts) -> RelationTarget:
    """The sample's pairs with labels as indices into ``label_texts`` (which must hold them)."""
    entity_index = {text: index for index, text in enumerate(label_texts.entity_texts)}
    relation_index = {text: index for index, text in enumerate(label_texts.relation_texts)}
    relation_labels = torch.zeros(sample.num_pairs, len(label_texts.relation_texts))
    for pair_index, predicates in enumerate(sample.predicates):
        relation_labels[pair_index, [relation_index[predicate] for predicate in predicates]] = 1.0
    return RelationTarget(
        subject_boxes=sample.subject_boxes,
        object_boxes=sample.object_boxes,
        subject_labels=torch.tensor(
            [entity_index[name] for name in sample.subject_names], dtype=torch.int64
        ),
        object_labels=torch.tensor(
            [entity_index[name] for name in sample.object_names], dtype=torch.int64
        ),
        relation_labels=relation_labels,
        unrelated_boxes=sample.unrelated_boxes,
        unrelated_labels=torch.tensor(
            [entity_index[name] for name in sample.unrelated_names], dtype=torch.int64
        ),
    )


class PretrainCollator:
    """``DataLoader`` ``collate_fn``: samples -> :class:`PretrainBatch`.

    Negative texts are drawn from a generator seeded with ``seed`` and the batch's item seeds,
    so a batch's texts do not depend on which worker collates it.
    """

    def __init__(
        self, *, vocabulary: LabelVocabulary, text_sampling: TextSamplingConfig, seed: int
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.vocabulary = vocabulary
        self.text_sampling = text_sampling
        self.seed = seed

    def __call__(self, samples: Sequence[PretrainSample]) -> PretrainBatch:
        if not samples:
            raise ValueError("cannot collate an empty batch")
        generator = torch.Generator().manual_seed(
            mixed_seed(self.seed, *(sample.random_seed for sample in samples))
        )
        label_texts = sample_label_texts(
            [
                name
                for sample in samples
                for name in sample.subject_names + sample.object_names + sample.unrelated_names
            ],
            [predicate for sample in samples for pair in sample.predicates for predicate in pair],
            vocabulary=self.vocabulary,
            config=self.text_sampling,
            generator=generator,
        )
        images, pixel_mask, image_sizes = pad_images([sample.image for sample in samples])
        return PretrainBatch(
            images=images,
            pixel_mask=pixel_mask,
            image_sizes=image_sizes,
            targets=tuple(relation_target(sample, label_texts) for sample in samples),
            label_texts=label_texts,
        )


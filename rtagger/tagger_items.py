"""The R-Tagger's inputs of one score call, prepared on the CPU, and their collation into a
batch: images padded to a canvas, pair slots padded, one text vocabulary per image.

An image is always padded to its canvas, its size rounded up to a multiple of
:data:`CANVAS_MULTIPLE`, alone or in a batch: padding changes what the backbone's convolutions see
near the image's bottom and right edges, so images share a batch only when they share a canvas
(:func:`canvas_size`), and then each one's scores are those it gets alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from model.data import pad_images
from model.targets import LabelTexts
from rtagger.box_pair_queries import TaggerPairs

CANVAS_MULTIPLE = 64
"""Canvas sides are multiples of the coarsest feature level's stride (64 with 4 levels)."""


@dataclass(frozen=True)
class TaggerItem:
    """One score call's inputs.

    Attributes:
        image: (3, height, width) float32, normalised, after the evaluation resize.
        subject_boxes: (num_pairs, 4) float32 cxcywh in [0, 1] of the image.
        object_boxes: (num_pairs, 4).
        subject_labels: (num_pairs,) int64 indices into ``label_texts.entity_texts``.
        object_labels: (num_pairs,) int64.
        label_texts: the call's entity texts ("no objects" last) and relation texts.
    """

    image: torch.Tensor
    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_labels: torch.Tensor
    object_labels: torch.Tensor
    label_texts: LabelTexts


@dataclass(frozen=True)
class TaggerBatch:
    """Score calls collated for one forward pass.

    Attributes:
        images: (batch, 3, H, W), zero-padded at the bottom and right to the canvas.
        pixel_mask: (batch, H, W) bool, True = padding.
        pairs: padded to the most pairs of a call (``padding_mask`` True = empty slot).
        label_texts: one vocabulary per call.
    """

    images: torch.Tensor
    pixel_mask: torch.Tensor
    pairs: TaggerPairs
    label_texts: tuple[LabelTexts, ...]


def canvas_size(item: TaggerItem) -> tuple[int, int]:
    """(height, width) of the canvas ``item``'s image is padded to."""
    height, width = item.image.shape[-2:]
    return _round_up(height), _round_up(width)


def collate_tagger_items(items: Sequence[TaggerItem]) -> TaggerBatch:
    """Pad ``items`` (of one canvas) into one batch; an empty slot has a unit box at the centre
    and label 0 (masked: it changes no other slot's scores).

    Raises:
        ValueError: no items, or items of different canvases.
    """
    if not items:
        raise ValueError("cannot collate an empty list of tagger items")
    canvases = {canvas_size(item) for item in items}
    if len(canvases) > 1:
        raise ValueError(f"tagger items of different canvases in one batch: {sorted(canvases)}")
    images, pixel_mask, _ = pad_images([item.image for item in items], multiple=CANVAS_MULTIPLE)
    num_slots = max(len(item.subject_labels) for item in items)
    boxes = torch.tensor([0.5, 0.5, 1.0, 1.0]).repeat(len(items), 2, num_slots, 1)
    labels = torch.zeros(len(items), 2, num_slots, dtype=torch.int64)
    padding_mask = torch.ones(len(items), num_slots, dtype=torch.bool)
    for position, item in enumerate(items):
        num_pairs = len(item.subject_labels)
        boxes[position, 0, :num_pairs] = item.subject_boxes
        boxes[position, 1, :num_pairs] = item.object_boxes
        labels[position, 0, :num_pairs] = item.subject_labels
        labels[position, 1, :num_pairs] = item.object_labels
        padding_mask[position, :num_pairs] = False
    return TaggerBatch(
        images=images,
        pixel_mask=pixel_mask,
        pairs=TaggerPairs(
            subject_boxes=boxes[:, 0],
            object_boxes=boxes[:, 1],
            subject_labels=labels[:, 0],
            object_labels=labels[:, 1],
            padding_mask=padding_mask,
        ),
        label_texts=tuple(item.label_texts for item in items),
    )


def _round_up(side: int) -> int:
    return -(-side // CANVAS_MULTIPLE) * CANVAS_MULTIPLE

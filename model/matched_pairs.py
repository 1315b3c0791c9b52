"""The matched slots of a batch gathered with their ground truth, for the losses."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from model.box_ops import cxcywh_to_xyxy, elementwise_generalized_iou
from model.matcher import PairMatch
from model.outputs import RelationPredictions
from model.targets import RelationTarget


@dataclass(frozen=True)
class MatchedPairs:
    """Matched slots of a whole batch and their targets.

    Attributes:
        image_indices, slot_indices: (num_matched,) int64, the matched slots.
        subject_labels, object_labels: (num_matched,) int64 entity text indices.
        relation_labels: (num_matched, num_relation_texts) multi-hot ground truth.
        relation_targets: (num_matched, num_relation_texts) in [0, 1], what the relation loss
            trains towards: ``relation_labels`` as floats, unless the criterion softened them
            (:mod:`model.relation_soft_targets`).
        subject_boxes, object_boxes: (num_matched, 4) cxcywh in [0, 1].
        box_loss_normaliser: the box losses' divisor: ground-truth pairs per process, at
            least 1 (see :func:`gather_matched_pairs`).
    """

    image_indices: torch.Tensor
    slot_indices: torch.Tensor
    subject_labels: torch.Tensor
    object_labels: torch.Tensor
    relation_labels: torch.Tensor
    relation_targets: torch.Tensor
    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    box_loss_normaliser: float


def validate_matches(
    matches: Sequence[PairMatch],
    predictions: RelationPredictions,
    targets: Sequence[RelationTarget],
) -> None:
    """Raise ``ValueError`` unless there is one match per image, naming existing slots of
    ``predictions`` ((batch, num_pairs, ...) tensors) and existing pairs of ``targets``."""
    num_slots = predictions.subject_boxes.shape[1]
    if len(matches) != len(targets):
        raise ValueError(f"got {len(matches)} matches for {len(targets)} targets")
    for image_index, (match, target) in enumerate(zip(matches, targets)):
        if match.num_matched == 0:
            continue
        if match.prediction_indices.min() < 0 or match.prediction_indices.max() >= num_slots:
            raise ValueError(f"match {image_index} names a slot outside [0, {num_slots})")
        if match.target_indices.min() < 0 or match.target_indices.max() >= target.num_pairs:
            raise ValueError(f"match {image_index} names a pair outside [0, {target.num_pairs})")


def gather_matched_pairs(
    matches: Sequence[PairMatch],
    targets: Sequence[RelationTarget],
    device: torch.device,
    *,
    box_loss_normaliser: float,
) -> MatchedPairs:
    """The matched slots of every image and their targets, on ``device``.

    ``box_loss_normaliser`` is the batch's ground-truth pair count, averaged over the
    processes under DDP (so every rank divides by the same number, as the paper's code does)
    and at least 1.
    """
    if box_loss_normaliser < 1:
        raise ValueError(f"box_loss_normaliser must be >= 1, got {box_loss_normaliser}")
    image_indices = torch.cat(
        [
            torch.full_like(match.prediction_indices, image_index)
            for image_index, match in enumerate(matches)
        ]
    )
    slot_indices = torch.cat([match.prediction_indices for match in matches])

    def gather(field_of: Callable[[RelationTarget], torch.Tensor]) -> torch.Tensor:
        """The matched rows of one target field, images concatenated: (num_matched, ...)."""
        rows = [
            field_of(target)[match.target_indices.to(field_of(target).device)]
            for target, match in zip(targets, matches)
        ]
        return torch.cat(rows).to(device)

    relation_labels = gather(lambda target: target.relation_labels)
    return MatchedPairs(
        image_indices=image_indices.to(device),
        slot_indices=slot_indices.to(device),
        subject_labels=gather(lambda target: target.subject_labels),
        object_labels=gather(lambda target: target.object_labels),
        relation_labels=relation_labels,
        relation_targets=relation_labels.float(),
        subject_boxes=gather(lambda target: target.subject_boxes),
        object_boxes=gather(lambda target: target.object_boxes),
        box_loss_normaliser=box_loss_normaliser,
    )


def matched_slot_boxes(
    predictions: RelationPredictions, matched: MatchedPairs
) -> tuple[torch.Tensor, torch.Tensor]:
    """(num_matched, 4) cxcywh predicted subject and object boxes of the matched slots."""
    return (
        predictions.subject_boxes[matched.image_indices, matched.slot_indices],
        predictions.object_boxes[matched.image_indices, matched.slot_indices],
    )


def matched_generalized_ious(
    predictions: RelationPredictions, matched: MatchedPairs
) -> tuple[torch.Tensor, torch.Tensor]:
    """(num_matched,) GIoU of each matched slot's subject box, and of its object box, with
    its pair's target boxes."""
    subject_boxes, object_boxes = matched_slot_boxes(predictions, matched)
    return (
        elementwise_generalized_iou(
            cxcywh_to_xyxy(subject_boxes), cxcywh_to_xyxy(matched.subject_boxes)
        ),
        elementwise_generalized_iou(
            cxcywh_to_xyxy(object_boxes), cxcywh_to_xyxy(matched.object_boxes)
        ),
    )

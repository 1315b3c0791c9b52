"""Hungarian matching between pair slots and ground-truth (subject, object) pairs.

The cost of assigning slot i to ground-truth pair j is (RLIPv2's ``HungarianMatcherHOI``)::

    cost_subject_class * subject_class_cost + cost_object_class * object_class_cost
    + cost_relation * relation_cost
    + cost_box_l1 * max(L1(subject), L1(object))
    + cost_box_giou * max(-GIoU(subject), -GIoU(object))

Taking the maximum of the subject and object box terms makes a pair only as good as its
worse-localised entity. Each term is one function below.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from model.box_ops import cxcywh_to_xyxy, pairwise_generalized_iou
from model.outputs import RelationPredictions
from model.targets import RelationTarget

_DENOMINATOR_FLOOR = 1e-4


@dataclass(frozen=True)
class PairMatch:
    """The assignment of one image: slot ``prediction_indices[m]`` <-> ground-truth pair
    ``target_indices[m]``.

    Attributes:
        prediction_indices: (num_matched,) int64 pair-slot indices, ascending.
        target_indices: (num_matched,) int64 indices into the image's ``RelationTarget`` pairs.
    """

    prediction_indices: torch.Tensor
    target_indices: torch.Tensor

    def __post_init__(self) -> None:
        one_dimensional = self.prediction_indices.dim() == 1
        if not one_dimensional or self.prediction_indices.shape != self.target_indices.shape:
            raise ValueError(
                "PairMatch needs two 1-D index tensors of equal length, got shapes "
                f"{tuple(self.prediction_indices.shape)} and {tuple(self.target_indices.shape)}"
            )
        if self.prediction_indices.dtype != torch.int64 or self.target_indices.dtype != torch.int64:
            raise ValueError("PairMatch indices must be int64 tensors")

    @property
    def num_matched(self) -> int:
        return self.prediction_indices.shape[0]


@dataclass(frozen=True)
class MatcherConfig:
    """Weights of the matching cost terms; the defaults are RLIPv2's."""

    cost_subject_class: float = 1.0
    cost_object_class: float = 1.0
    cost_relation: float = 1.0
    cost_box_l1: float = 2.5
    cost_box_giou: float = 1.0

    def __post_init__(self) -> None:
        _check_cost_weights(
            cost_subject_class=self.cost_subject_class,
            cost_object_class=self.cost_object_class,
            cost_relation=self.cost_relation,
            cost_box_l1=self.cost_box_l1,
            cost_box_giou=self.cost_box_giou,
        )


def entity_class_cost(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Minus the softmax probability of the ground-truth entity text.

    Args:
        logits: (num_slots, num_entity_texts); the softmax includes "no objects".
        labels: (num_gt_pairs,) int64 entity text indices.

    Returns:
        (num_slots, num_gt_pairs) in [-1, 0].
    """
    return -logits.softmax(dim=-1)[:, labels]


def relation_cost(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Minus the mean of the recall of the positive relations and of the negative ones.

    ``-(p . y / |y| + (1 - p) . (1 - y) / |1 - y|) / 2`` with ``p = sigmoid(logits)``; an
    empty positive (or negative) set contributes 0 instead of dividing by zero.

    Args:
        logits: (num_slots, num_relation_texts).
        labels: (num_gt_pairs, num_relation_texts) multi-hot in [0, 1].

    Returns:
        (num_slots, num_gt_pairs) in [-1, 0].
    """
    probabilities = logits.sigmoid()
    labels = labels.to(probabilities.dtype)
    positive_recall = (probabilities @ labels.T) / labels.sum(dim=-1).clamp(min=_DENOMINATOR_FLOOR)
    negative_recall = ((1 - probabilities) @ (1 - labels).T) / (1 - labels).sum(dim=-1).clamp(
        min=_DENOMINATOR_FLOOR
    )
    return -(positive_recall + negative_recall) / 2


def pair_box_l1_cost(
    subject_boxes: torch.Tensor,
    object_boxes: torch.Tensor,
    target_subject_boxes: torch.Tensor,
    target_object_boxes: torch.Tensor,
) -> torch.Tensor:
    """The larger of the subject and object L1 distances (sum over the 4 cxcywh coordinates).

    Args:
        subject_boxes, object_boxes: (num_slots, 4) cxcywh in [0, 1].
        target_subject_boxes, target_object_boxes: (num_gt_pairs, 4) cxcywh in [0, 1].

    Returns:
        (num_slots, num_gt_pairs) >= 0.
    """
    return torch.maximum(
        torch.cdist(subject_boxes, target_subject_boxes, p=1),
        torch.cdist(object_boxes, target_object_boxes, p=1),
    )


def pair_box_giou_cost(
    subject_boxes: torch.Tensor,
    object_boxes: torch.Tensor,
    target_subject_boxes: torch.Tensor,
    target_object_boxes: torch.Tensor,
) -> torch.Tensor:
    """The larger of minus the subject GIoU and minus the object GIoU.

    Args: as :func:`pair_box_l1_cost` (cxcywh in [0, 1]).

    Returns:
        (num_slots, num_gt_pairs) in [-1, 1].
    """
    subject_giou = pairwise_generalized_iou(
        cxcywh_to_xyxy(subject_boxes), cxcywh_to_xyxy(target_subject_boxes)
    )
    object_giou = pairwise_generalized_iou(
        cxcywh_to_xyxy(object_boxes), cxcywh_to_xyxy(target_object_boxes)
    )
    return torch.maximum(-subject_giou, -object_giou)


class RelationMatcher(nn.Module):
    """One-to-one assignment of pair slots to ground-truth pairs, per image, at minimum cost.

    Every ground-truth pair is matched when there are at least as many slots as pairs; with
    more pairs than slots, ``num_slots`` pairs are matched and the rest are left out.
    """

    def __init__(
        self,
        *,
        cost_subject_class: float,
        cost_object_class: float,
        cost_relation: float,
        cost_box_l1: float,
        cost_box_giou: float,
    ) -> None:
        super().__init__()
        _check_cost_weights(
            cost_subject_class=cost_subject_class,
            cost_object_class=cost_object_class,
            cost_relation=cost_relation,
            cost_box_l1=cost_box_l1,
            cost_box_giou=cost_box_giou,
        )
        self.cost_subject_class = cost_subject_class
        self.cost_object_class = cost_object_class
        self.cost_relation = cost_relation
        self.cost_box_l1 = cost_box_l1
        self.cost_box_giou = cost_box_giou

    @torch.no_grad()
    def forward(
        self, predictions: RelationPredictions, targets: Sequence[RelationTarget]
    ) -> list[PairMatch]:
        """
        Args:
            predictions: one decoder layer (usually ``RelationDetectionOutput.final``); tensors
                of shape (batch, num_pairs, ...), boxes cxcywh in [0, 1].
            targets: one ``RelationTarget`` per image, boxes cxcywh in [0, 1], relation labels
                over the same relation texts as ``predictions.relation_logits``.

        Returns:
            One :class:`PairMatch` per image, index tensors int64 on the CPU.
        """
        validate_targets(predictions, targets)
        batch_size, num_slots = predictions.subject_boxes.shape[:2]
        pair_counts = [target.num_pairs for target in targets]
        if sum(pair_counts) == 0:
            return [_empty_match() for _ in targets]

        device_type = predictions.subject_boxes.device.type
        with torch.autocast(device_type=device_type, enabled=False):  # costs in float32
            cost = self.cost_matrix(
                _flatten_slots(predictions), _concatenate_targets(targets)
            )  # (batch * num_slots, total_gt_pairs)
        if not torch.isfinite(cost).all():
            raise ValueError("matching cost is not finite; the predictions contain NaN or inf")
        cost = cost.view(batch_size, num_slots, -1).cpu()
        matches = []
        for image_index, image_cost in enumerate(cost.split(pair_counts, dim=-1)):
            slot_indices, pair_indices = linear_sum_assignment(image_cost[image_index].numpy())
            matches.append(
                PairMatch(
                    prediction_indices=torch.as_tensor(slot_indices, dtype=torch.int64),
                    target_indices=torch.as_tensor(pair_indices, dtype=torch.int64),
                )
            )
        return matches

    def cost_matrix(self, slots: RelationPredictions, pairs: RelationTarget) -> torch.Tensor:
        """The weighted matching cost.

        Args:
            slots: predictions with the batch flattened away: (num_slots, ...) tensors.
            pairs: ground-truth pairs, (num_gt_pairs, ...) tensors.

        Returns:
            (num_slots, num_gt_pairs).
        """
        return (
            self.cost_subject_class * entity_class_cost(slots.subject_logits, pairs.subject_labels)
            + self.cost_object_class * entity_class_cost(slots.object_logits, pairs.object_labels)
            + self.cost_relation * relation_cost(slots.relation_logits, pairs.relation_labels)
            + self.cost_box_l1
            * pair_box_l1_cost(
                slots.subject_boxes, slots.object_boxes, pairs.subject_boxes, pairs.object_boxes
            )
            + self.cost_box_giou
            * pair_box_giou_cost(
                slots.subject_boxes, slots.object_boxes, pairs.subject_boxes, pairs.object_boxes
            )
        )


def build_matcher(config: MatcherConfig) -> RelationMatcher:
    return RelationMatcher(
        cost_subject_class=config.cost_subject_class,
        cost_object_class=config.cost_object_class,
        cost_relation=config.cost_relation,
        cost_box_l1=config.cost_box_l1,
        cost_box_giou=config.cost_box_giou,
    )


def validate_targets(predictions: RelationPredictions, targets: Sequence[RelationTarget]) -> None:
    """Raise ``ValueError`` unless there is one target per image, labelled over the
    predictions' relation texts."""
    batch_size = predictions.subject_boxes.shape[0]
    if len(targets) != batch_size:
        raise ValueError(f"got {len(targets)} targets for a batch of {batch_size} images")
    num_relation_texts = predictions.relation_logits.shape[-1]
    for image_index, target in enumerate(targets):
        if target.relation_labels.shape[1] != num_relation_texts:
            raise ValueError(
                f"target {image_index} has relation labels over {target.relation_labels.shape[1]} "
                f"texts, the predictions over {num_relation_texts}; build every target of a batch "
                "over the batch's LabelTexts.relation_texts"
            )


def _check_cost_weights(**weights: float) -> None:
    negative = {name: weight for name, weight in weights.items() if weight < 0}
    if negative:
        raise ValueError(f"matching cost weights must be >= 0, got {negative}")
    if not any(weights.values()):
        raise ValueError("at least one matching cost weight must be > 0")


def _flatten_slots(predictions: RelationPredictions) -> RelationPredictions:
    """(batch, num_pairs, ...) tensors -> (batch * num_pairs, ...) float32: the costs are
    computed in full precision (with autocast off), also under mixed-precision training."""
    return RelationPredictions(
        subject_boxes=predictions.subject_boxes.flatten(0, 1).float(),
        object_boxes=predictions.object_boxes.flatten(0, 1).float(),
        subject_logits=predictions.subject_logits.flatten(0, 1).float(),
        object_logits=predictions.object_logits.flatten(0, 1).float(),
        relation_logits=predictions.relation_logits.flatten(0, 1).float(),
    )


def _concatenate_targets(targets: Sequence[RelationTarget]) -> RelationTarget:
    """The pairs of every image, one after the other: (total_gt_pairs, ...) tensors."""
    return RelationTarget(
        subject_boxes=torch.cat([target.subject_boxes for target in targets]).float(),
        object_boxes=torch.cat([target.object_boxes for target in targets]).float(),
        subject_labels=torch.cat([target.subject_labels for target in targets]),
        object_labels=torch.cat([target.object_labels for target in targets]),
        relation_labels=torch.cat([target.relation_labels for target in targets]),
    )


def _empty_match() -> PairMatch:
    return PairMatch(
        prediction_indices=torch.empty(0, dtype=torch.int64),
        target_indices=torch.empty(0, dtype=torch.int64),
    )

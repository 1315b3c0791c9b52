"""Training losses of the relation detector (RLIPv2's ``SetCriterionHOI``).

For every decoder layer (auxiliary losses on all layers, each with the same weights), the
pair slots are assigned to ground-truth pairs (by the matcher, or as given), then:

- ``entity_classes``: cross-entropy over the entity texts, subject plus object. Matched slots
  target their pair's labels; unmatched slots target "no objects" (the last entity text),
  whose class weight is ``eos_coefficient``. Mean weighted by class weight (PyTorch's
  ``cross_entropy`` with ``weight``).
- ``relations``: :func:`model.focal_loss.quality_focal_loss` on the relation logits,
  normalised by the number of positive (slot, relation) targets in the batch. The targets of a
  matched slot are its pair's multi-hot relations plus RLIPv1's pseudo-labels (RPL), scaled by
  the slot's box quality (RQL), as in RLIPv2's pre-training (see
  :mod:`model.relation_soft_targets`); with both off they are the hard labels of RLIPv2's
  R-Tagger (CornerNet's focal loss).
- ``boxes_l1``: L1 distance of matched subject and object boxes (cxcywh in [0, 1], summed over
  the 4 coordinates and over subject and object), divided by the number of ground-truth pairs
  in the batch (under DDP its mean over the processes, as in RLIPv2's code; at least 1).
- ``boxes_giou``: ``1 - GIoU`` of matched subject and object boxes, normalised likewise.

Unmatched slots (``unmatched_slots``):

- ``"no_object"`` (the detector; RLIPv2's ``loss_obj_labels``/``loss_verb_labels``): they
  target "no objects" in ``entity_classes`` and are all-negative rows in ``relations``.
- ``"ignored"`` (the R-Tagger with given matches; RLIPv2's ``loss_verb_tagger``): only matched
  slots enter the class and relation losses, so padding slots are not trained.

Box losses only ever use matched slots.

Unlike RLIPv2, the soft targets never carry gradients (RLIPv2's pseudo-labels are computed
from the text features without detaching them).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, get_args

import torch
from torch import nn
from torch.nn import functional

from model.distributed import mean_over_ranks
from model.focal_loss import quality_focal_loss
from model.matched_pairs import (
    MatchedPairs,
    gather_matched_pairs,
    matched_generalized_ious,
    matched_slot_boxes,
    validate_matches,
)
from model.matcher import (
    MatcherConfig,
    PairMatch,
    RelationMatcher,
    build_matcher,
    validate_targets,
)
from model.outputs import RelationDetectionOutput, RelationPredictions
from model.relation_soft_targets import (
    PAPER_PSEUDO_LABEL_THRESHOLD,
    box_quality,
    pseudo_relation_labels,
    relation_text_closeness,
)
from model.targets import RelationTarget

UnmatchedSlots = Literal["no_object", "ignored"]

PAPER_LOSS_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"entity_classes": 1.0, "relations": 1.0, "boxes_l1": 2.5, "boxes_giou": 1.0}
)


@dataclass(frozen=True)
class CriterionOutput:
    """The weighted total loss and every unweighted term, for logging.

    Attributes:
        total: () scalar to back-propagate: sum over layers and names of weight * term.
        terms: ``loss_term_key(name, layer)`` -> () detached unweighted loss.
    """

    total: torch.Tensor
    terms: dict[str, torch.Tensor]


@dataclass(frozen=True)
class CriterionConfig:
    """Loss weights (a name left out is not computed) and loss hyper-parameters; the defaults
    are RLIPv2's pre-training (3 decoder layers, RQL and RPL relation targets)."""

    num_decoder_layers: int = 3
    loss_weights: Mapping[str, float] = field(default_factory=lambda: dict(PAPER_LOSS_WEIGHTS))
    eos_coefficient: float = 0.1
    focal_gamma: float = 2.0
    unmatched_slots: UnmatchedSlots = "no_object"
    relation_quality_targets: bool = True
    """RQL: scale a matched slot's relation targets by its box quality."""
    relation_pseudo_labels: bool = True
    """RPL: add pseudo-labels for relation texts close to the pair's ground truth."""
    pseudo_label_threshold: float = PAPER_PSEUDO_LABEL_THRESHOLD
    matcher: MatcherConfig = field(default_factory=MatcherConfig)

    def __post_init__(self) -> None:
        _check_hyper_parameters(
            num_decoder_layers=self.num_decoder_layers,
            eos_coefficient=self.eos_coefficient,
            focal_gamma=self.focal_gamma,
            unmatched_slots=self.unmatched_slots,
            pseudo_label_threshold=self.pseudo_label_threshold,
        )


LossFunction = Callable[[RelationPredictions, MatchedPairs], torch.Tensor]


def loss_term_key(name: str, layer: int) -> str:
    """The key of one loss of one decoder layer in weights and logs, e.g. ``relations/layer_2``."""
    return f"{name}/layer_{layer}"


def build_layer_loss_weights(
    loss_weights: Mapping[str, float], num_layers: int
) -> dict[str, float]:
    """The weight of every (loss, layer): every layer gets the final layer's weights."""
    return {
        loss_term_key(name, layer): weight
        for layer in range(num_layers)
        for name, weight in loss_weights.items()
    }


class RelationCriterion(nn.Module):
    """Matching plus the weighted losses of every decoder layer (see the module docstring)."""

    def __init__(
        self,
        *,
        matcher: RelationMatcher,
        loss_weights: Mapping[str, float],
        num_decoder_layers: int,
        eos_coefficient: float = 0.1,
        focal_gamma: float = 2.0,
        unmatched_slots: UnmatchedSlots = "no_object",
        relation_quality_targets: bool = True,
        relation_pseudo_labels: bool = True,
        pseudo_label_threshold: float = PAPER_PSEUDO_LABEL_THRESHOLD,
    ) -> None:
        super().__init__()
        _check_hyper_parameters(
            num_decoder_layers=num_decoder_layers,
            eos_coefficient=eos_coefficient,
            focal_gamma=focal_gamma,
            unmatched_slots=unmatched_slots,
            pseudo_label_threshold=pseudo_label_threshold,
        )
        self.loss_functions: dict[str, LossFunction] = {
            "entity_classes": self.loss_entity_classes,
            "relations": self.loss_relations,
            "boxes_l1": self.loss_boxes_l1,
            "boxes_giou": self.loss_boxes_giou,
        }
        unknown = sorted(set(loss_weights) - set(self.loss_functions))
        if unknown:
            raise ValueError(f"unknown loss names {unknown}; known: {sorted(self.loss_functions)}")
        if not loss_weights:
            raise ValueError(f"loss_weights is empty; give some of {sorted(self.loss_functions)}")
        negative = {name: weight for name, weight in loss_weights.items() if weight < 0}
        if negative:
            raise ValueError(f"loss weights must be >= 0, got {negative}")
        self.matcher = matcher
        self.loss_weights = dict(loss_weights)
        self.num_decoder_layers = num_decoder_layers
        self.layer_loss_weights = build_layer_loss_weights(loss_weights, num_decoder_layers)
        self.eos_coefficient = eos_coefficient
        self.focal_gamma = focal_gamma
        self.unmatched_slots = unmatched_slots
        self.relation_quality_targets = relation_quality_targets
        self.relation_pseudo_labels = relation_pseudo_labels
        self.pseudo_label_threshold = pseudo_label_threshold

    def forward(
        self,
        output: RelationDetectionOutput,
        targets: Sequence[RelationTarget],
        matches: Sequence[PairMatch] | None = None,
    ) -> CriterionOutput:
        """
        Args:
            output: every decoder layer's predictions, (batch, num_pairs, ...) tensors, boxes
                cxcywh in [0, 1], entity logits ending with "no objects".
            targets: one ``RelationTarget`` per image (boxes cxcywh in [0, 1]).
            matches: None to run the matcher on each layer; else one ``PairMatch`` per image,
                used for every layer (e.g. slot k <-> pair k for the R-Tagger's denoising).

        Returns:
            The total loss and every term, keyed by :func:`loss_term_key`.
        """
        if len(output.layers) != self.num_decoder_layers:
            raise ValueError(
                f"the criterion was built for {self.num_decoder_layers} decoder layers, "
                f"the output has {len(output.layers)}"
            )
        validate_targets(output.final, targets)
        if matches is not None:
            validate_matches(matches, output.final, targets)
        device = output.final.subject_boxes.device
        box_loss_normaliser = max(
            mean_over_ranks(float(sum(target.num_pairs for target in targets)), device=device), 1.0
        )
        total = output.final.subject_logits.new_zeros(())
        terms: dict[str, torch.Tensor] = {}
        closeness = (
            relation_text_closeness(output.relation_text_features)
            if self.relation_pseudo_labels
            else None
        )  # (num_relation_texts, num_relation_texts)
        for layer, predictions in enumerate(output.layers):
            layer_matches = self.matcher(predictions, targets) if matches is None else matches
            matched = self._soften_relation_targets(
                predictions,
                gather_matched_pairs(
                    layer_matches, targets, device, box_loss_normaliser=box_loss_normaliser
                ),
                closeness,
            )
            for name in self.loss_weights:
                key = loss_term_key(name, layer)
                term = self.loss_functions[name](predictions, matched)
                total = total + self.layer_loss_weights[key] * term
                terms[key] = term.detach()
        return CriterionOutput(total=total, terms=terms)

    def _soften_relation_targets(
        self,
        predictions: RelationPredictions,
        matched: MatchedPairs,
        closeness: torch.Tensor | None,
    ) -> MatchedPairs:
        """``matched`` with RPL added to and RQL applied on its relation targets, as configured."""
        relation_targets = matched.relation_targets
        if closeness is not None:
            relation_targets = relation_targets + pseudo_relation_labels(
                matched.relation_labels, closeness, threshold=self.pseudo_label_threshold
            )
        if self.relation_quality_targets:
            quality = box_quality(*matched_generalized_ious(predictions, matched))  # (num_matched,)
            relation_targets = relation_targets * quality.unsqueeze(-1)
        return replace(matched, relation_targets=relation_targets)

    def loss_entity_classes(
        self, predictions: RelationPredictions, matched: MatchedPairs
    ) -> torch.Tensor:
        """Cross-entropy of subject plus object logits (see the module docstring)."""
        return self._entity_cross_entropy(
            predictions.subject_logits, matched, matched.subject_labels
        ) + self._entity_cross_entropy(predictions.object_logits, matched, matched.object_labels)

    def loss_relations(
        self, predictions: RelationPredictions, matched: MatchedPairs
    ) -> torch.Tensor:
        """Focal loss of the relation logits, normalised by the number of positive targets."""
        logits = predictions.relation_logits  # (batch, num_pairs, num_relation_texts)
        relation_targets = matched.relation_targets.to(logits.dtype)
        if self.unmatched_slots == "ignored":
            matched_logits = logits[matched.image_indices, matched.slot_indices]
            return quality_focal_loss(matched_logits, relation_targets, gamma=self.focal_gamma)
        targets = torch.zeros_like(logits)
        targets[matched.image_indices, matched.slot_indices] = relation_targets
        return quality_focal_loss(logits, targets, gamma=self.focal_gamma)

    def loss_boxes_l1(
        self, predictions: RelationPredictions, matched: MatchedPairs
    ) -> torch.Tensor:
        """Summed L1 distance of matched subject and object boxes per ground-truth pair."""
        subject_boxes, object_boxes = matched_slot_boxes(predictions, matched)
        distance = (subject_boxes - matched.subject_boxes).abs().sum() + (
            object_boxes - matched.object_boxes
        ).abs().sum()
        return distance / matched.box_loss_normaliser

    def loss_boxes_giou(
        self, predictions: RelationPredictions, matched: MatchedPairs
    ) -> torch.Tensor:
        """Summed ``1 - GIoU`` of matched subject and object boxes per ground-truth pair."""
        subject_giou, object_giou = matched_generalized_ious(predictions, matched)
        return ((1 - subject_giou).sum() + (1 - object_giou).sum()) / matched.box_loss_normaliser

    def _entity_cross_entropy(
        self, logits: torch.Tensor, matched: MatchedPairs, matched_labels: torch.Tensor
    ) -> torch.Tensor:
        """Class-weighted cross-entropy of (batch, num_pairs, num_entity_texts) logits."""
        num_entity_texts = logits.shape[-1]
        class_weights = logits.new_ones(num_entity_texts)
        class_weights[-1] = self.eos_coefficient  # "no objects"
        if self.unmatched_slots == "ignored":
            if matched.slot_indices.numel() == 0:
                return logits.sum() * 0.0  # no slot to train; keeps the graph connected
            matched_logits = logits[matched.image_indices, matched.slot_indices]
            return functional.cross_entropy(matched_logits, matched_labels, weight=class_weights)
        labels = torch.full(
            logits.shape[:2], num_entity_texts - 1, dtype=torch.int64, device=logits.device
        )  # (batch, num_pairs): "no objects" unless matched
        labels[matched.image_indices, matched.slot_indices] = matched_labels
        # cross_entropy wants the classes in dimension 1: (batch, num_entity_texts, num_pairs).
        return functional.cross_entropy(logits.transpose(1, 2), labels, weight=class_weights)


def build_criterion(config: CriterionConfig) -> RelationCriterion:
    return RelationCriterion(
        matcher=build_matcher(config.matcher),
        loss_weights=config.loss_weights,
        num_decoder_layers=config.num_decoder_layers,
        eos_coefficient=config.eos_coefficient,
        focal_gamma=config.focal_gamma,
        unmatched_slots=config.unmatched_slots,
        relation_quality_targets=config.relation_quality_targets,
        relation_pseudo_labels=config.relation_pseudo_labels,
        pseudo_label_threshold=config.pseudo_label_threshold,
    )


def _check_hyper_parameters(
    *,
    num_decoder_layers: int,
    eos_coefficient: float,
    focal_gamma: float,
    unmatched_slots: str,
    pseudo_label_threshold: float,
) -> None:
    if num_decoder_layers < 1:
        raise ValueError(f"num_decoder_layers must be >= 1, got {num_decoder_layers}")
    if not 0.0 < eos_coefficient <= 1.0:
        raise ValueError(f"eos_coefficient must be in (0, 1], got {eos_coefficient}")
    if focal_gamma < 0:
        raise ValueError(f"focal_gamma must be >= 0, got {focal_gamma}")
    if not 0.0 <= pseudo_label_threshold < 1.0:
        raise ValueError(f"pseudo_label_threshold must be in [0, 1), got {pseudo_label_threshold}")
    if unmatched_slots not in get_args(UnmatchedSlots):
        raise ValueError(
            f"unmatched_slots must be one of {get_args(UnmatchedSlots)}, got {unmatched_slots!r}"
        )

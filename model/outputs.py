"""Typed outputs of the relation detector (RLIPv2's ParSeD decoding)."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class RelationPredictions:
    """One decoder layer's predictions for every pair slot.

    Pair slot k holds subject query k and object query k, and relation query k built from
    them. Boxes are (cx, cy, w, h) normalised to [0, 1] by the unpadded image size.

    Attributes:
        subject_boxes: (batch, num_pairs, 4) cxcywh in [0, 1].
        object_boxes: (batch, num_pairs, 4) cxcywh in [0, 1].
        subject_logits: (batch, num_pairs, num_entity_texts) similarity logits with the
            entity label texts; the last entity text is "no objects".
        object_logits: (batch, num_pairs, num_entity_texts).
        relation_logits: (batch, num_pairs, num_relation_texts) similarity logits with the
            relation label texts (sigmoid: multi-label).
    """

    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_logits: torch.Tensor
    object_logits: torch.Tensor
    relation_logits: torch.Tensor


@dataclass(frozen=True)
class RelationDetectionOutput:
    """Predictions of every decoder layer; the last one is the model's answer.

    Attributes:
        layers: one :class:`RelationPredictions` per decoder layer.
        relation_text_features: (num_relation_texts, text_dim) the text encoder's pooled
            features of the relation texts, before fusion (the criterion's pseudo-labels
            measure text closeness on them).
    """

    layers: tuple[RelationPredictions, ...]
    relation_text_features: torch.Tensor

    @property
    def final(self) -> RelationPredictions:
        return self.layers[-1]

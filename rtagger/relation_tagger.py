"""The R-Tagger: the RLIPv2 detector whose subject/object queries come from given boxes."""

from collections.abc import Sequence

import torch
from torch import nn

from model.optimization import OptimizationConfig
from model.outputs import RelationDetectionOutput
from model.relation_detector import RelationDetector
from model.targets import LabelTexts
from rtagger.box_pair_queries import (
    BoxPairQueryEncoder,
    TaggerPairs,
    duplicate_entity_attention_mask,
)


class RelationTagger(nn.Module):
    """Scores relation texts for given (subject, object) box pairs.

    The detector's encoder and decoders are used as they are (no fork): only the queries
    differ. ``num_heads`` is the decoder's, for the training-time attention mask.
    """

    def __init__(
        self, *, detector: RelationDetector, query_encoder: BoxPairQueryEncoder, num_heads: int
    ) -> None:
        super().__init__()
        self.detector = detector
        self.query_encoder = query_encoder
        self.num_heads = num_heads

    def forward(
        self,
        images: torch.Tensor,
        pixel_mask: torch.Tensor,
        label_texts: LabelTexts | Sequence[LabelTexts],
        pairs: TaggerPairs,
        *,
        clean_pairs: TaggerPairs | None = None,
    ) -> RelationDetectionOutput:
        """
        Args:
            images: (batch, 3, height, width) normalised; pixel_mask: (batch, height, width)
                bool, True = padding.
            label_texts: entity texts (the pairs' labels index them) and relation texts: the
                batch's, or one vocabulary per image (labels then index the image's own).
            pairs: the (possibly noised) pairs to score, one per slot.
            clean_pairs: in training, the un-noised pairs: queries of the same clean entity
                may not attend to each other. None at inference.

        Returns:
            Per decoder layer, for each slot: reconstructed boxes, entity and relation logits.
        """
        encoded = self.detector.encode(images, pixel_mask, label_texts)
        entity_texts = encoded.text_stages[-1][:, : encoded.num_entity_texts]
        attention_mask = None
        if clean_pairs is not None:
            attention_mask = duplicate_entity_attention_mask(
                torch.cat([clean_pairs.subject_boxes, clean_pairs.object_boxes], dim=1),
                torch.cat([clean_pairs.subject_labels, clean_pairs.object_labels], dim=1),
                num_heads=self.num_heads,
            )
        queries = self.query_encoder(pairs, entity_texts, self_attention_mask=attention_mask)
        return self.detector.decode(queries, encoded)

    def parameter_groups(self, optimization: OptimizationConfig) -> list[dict]:
        """The detector's groups; the query encoder trains with the transformer."""
        groups = self.detector.parameter_groups(optimization)
        for group in groups:
            if group["name"] == "transformer":
                group["params"] = group["params"] + list(self.query_encoder.parameters())
        return groups

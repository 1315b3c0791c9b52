"""The RLIPv2 relation detector: backbone -> ALIF encoder -> ParSeD(A) decoder -> text heads."""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model.backbone import Backbone
from model.deformable_encoder_layer import encoder_reference_points, flatten_levels
from model.feature_resizer import FeatureResizer
from model.fused_encoder import FusedEncoder
from model.input_projection import InputProjection
from model.label_text_batch import encode_label_texts
from model.optimization import OptimizationConfig
from model.outputs import RelationDetectionOutput, RelationPredictions
from model.pair_queries import AnchorPairQueries, LearnedPairQueries, PairQueries
from model.parsed_decoder import ParsedDecoder
from model.position_encoding import SinePositionEncoding
from model.targets import LabelTexts
from model.text_classifier import TextSimilarityClassifier
from model.text_encoder import LabelTextEncoder
from model.visual_memory import VisualMemory


@dataclass(frozen=True)
class EncodedBatch:
    """An encoded batch: the image memory and the label texts after each fusion stage.

    Attributes:
        memory: the fused multi-scale image features.
        text_stages: (num_stages, batch, num_texts, hidden_dim) label-text features resized
            to the decoder width; texts are the entity texts then the relation texts (with one
            vocabulary per image, each part padded: rows past an image's own texts are padding).
        num_entity_texts: how many of the texts are entity texts.
        relation_text_features: (num_relation_texts, text_dim) the text encoder's pooled
            features of the relation texts, before fusion.
    """

    memory: VisualMemory
    text_stages: torch.Tensor
    num_entity_texts: int
    relation_text_features: torch.Tensor


class RelationDetector(nn.Module):
    """Detects (subject, relation, object) triplets whose labels are free texts.

    ``encode`` and ``decode`` are public so that the R-Tagger can decode queries built from
    given boxes instead of the learned ones.
    """

    def __init__(
        self,
        *,
        backbone: Backbone,
        input_projection: InputProjection,
        position_encoding: SinePositionEncoding,
        text_encoder: LabelTextEncoder,
        fused_encoder: FusedEncoder,
        text_resizer: FeatureResizer,
        pair_queries: LearnedPairQueries | AnchorPairQueries,
        decoder: ParsedDecoder,
        entity_classifier: TextSimilarityClassifier,
        relation_classifier: TextSimilarityClassifier,
        num_levels: int,
        hidden_dim: int,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.input_projection = input_projection
        self.position_encoding = position_encoding
        self.level_embedding = nn.Parameter(torch.empty(num_levels, hidden_dim).normal_())
        self.text_encoder = text_encoder
        self.fused_encoder = fused_encoder
        self.text_resizer = text_resizer
        self.pair_queries = pair_queries
        self.decoder = decoder
        self.entity_classifier = entity_classifier
        self.relation_classifier = relation_classifier

    def forward(
        self, images: torch.Tensor, pixel_mask: torch.Tensor, label_texts: LabelTexts
    ) -> RelationDetectionOutput:
        """
        Args:
            images: (batch, 3, height, width) normalised, zero-padded at the bottom and right.
            pixel_mask: (batch, height, width) bool, True = padding.
            label_texts: the batch's entity texts (ending with "no objects") and relation texts.
        """
        encoded = self.encode(images, pixel_mask, label_texts)
        return self.decode(self.pair_queries(images.shape[0]), encoded)

    def encode(
        self,
        images: torch.Tensor,
        pixel_mask: torch.Tensor,
        label_texts: LabelTexts | Sequence[LabelTexts],
    ) -> EncodedBatch:
        """As :meth:`forward`; ``label_texts`` is the batch's vocabulary, or one per image (its
        texts then padded per image, see :func:`~model.label_text_batch.encode_label_texts`)."""
        levels = self.input_projection(self.backbone(images, pixel_mask), pixel_mask)
        flattened = flatten_levels(
            feature_maps=levels.feature_maps,
            padding_masks=levels.padding_masks,
            position_encodings=[
                self.position_encoding(mask).to(feature_map.dtype)
                for feature_map, mask in zip(levels.feature_maps, levels.padding_masks, strict=True)
            ],
            level_embedding=self.level_embedding,
        )
        batch_size = images.shape[0]
        texts = encode_label_texts(self.text_encoder, label_texts, batch_size=batch_size)
        fused = self.fused_encoder(
            features=flattened.features,
            position=flattened.position,
            reference_points=encoder_reference_points(
                flattened.spatial_shapes, flattened.valid_ratios
            ),
            spatial_shapes=flattened.spatial_shapes,
            level_start_index=flattened.level_start_index,
            padding_mask=flattened.padding_mask,
            text_features=texts.features,
            text_padding_mask=texts.padding_mask,
        )
        memory = VisualMemory(
            features=fused.memory,
            padding_mask=flattened.padding_mask,
            spatial_shapes=flattened.spatial_shapes,
            level_start_index=flattened.level_start_index,
            valid_ratios=flattened.valid_ratios,
        )
        return EncodedBatch(
            memory=memory,
            text_stages=self.text_resizer(fused.language_stages),
            num_entity_texts=texts.num_entity_texts,
            relation_text_features=texts.relation_text_features,
        )

    def decode(self, queries: PairQueries, encoded: EncodedBatch) -> RelationDetectionOutput:
        decoded = self.decoder(queries, encoded.memory)
        num_pairs = queries.num_pairs
        layers = []
        for stage, (entity_states, entity_boxes, relation_states) in enumerate(
            zip(decoded.entity_states, decoded.entity_boxes, decoded.relation_states, strict=True)
        ):
            texts = encoded.text_stages[stage]  # (batch, num_texts, hidden_dim)
            entity_texts = texts[:, : encoded.num_entity_texts]
            relation_texts = texts[:, encoded.num_entity_texts :]
            entity_logits = self.entity_classifier(entity_states, entity_texts)
            layers.append(
                RelationPredictions(
                    subject_boxes=entity_boxes[:, :num_pairs],
                    object_boxes=entity_boxes[:, num_pairs:],
                    subject_logits=entity_logits[:, :num_pairs],
                    object_logits=entity_logits[:, num_pairs:],
                    relation_logits=self.relation_classifier(relation_states, relation_texts),
                )
            )
        return RelationDetectionOutput(
            layers=tuple(layers), relation_text_features=encoded.relation_text_features
        )

    def parameter_groups(self, optimization: OptimizationConfig) -> list[dict]:
        """AdamW groups, each at its learning rate of ``optimization``: the backbone body, the
        pretrained text encoder, and the rest (named "transformer")."""
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        text = [p for p in self.text_encoder.parameters() if p.requires_grad]
        taken = {id(parameter) for parameter in (*backbone, *text)}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in taken]
        groups = [
            {"params": rest, "lr": optimization.learning_rate, "name": "transformer"},
            {"params": backbone, "lr": optimization.backbone_learning_rate, "name": "backbone"},
            {
                "params": text,
                "lr": optimization.text_encoder_learning_rate,
                "name": "text_encoder",
            },
        ]
        return [group for group in groups if group["params"]]

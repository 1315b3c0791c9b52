"""Builds a ``RelationTagger`` from the detector configuration."""

from model.build_detector import build_relation_detector
from model.detector_config import DetectorConfig
from rtagger.box_pair_queries import BoxPairQueryEncoder
from rtagger.relation_tagger import RelationTagger


def build_relation_tagger(config: DetectorConfig) -> RelationTagger:
    return RelationTagger(
        # Given boxes are the first layer's references: it starts by keeping them as they are.
        detector=build_relation_detector(config, first_box_size_logit=0.0),
        query_encoder=BoxPairQueryEncoder(hidden_dim=config.hidden_dim),
        num_heads=config.num_heads,
    )

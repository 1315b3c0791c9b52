"""Builds a ``RelationDetector`` from a ``DetectorConfig``: the one reader of that config."""


from torch import nn

from model.backbone import build_backbone
from model.deformable_decoder_layer import DeformableDecoderLayer
from model.deformable_encoder_layer import DeformableEncoderLayer
from model.detector_config import DetectorConfig
from model.feature_resizer import FeatureResizer
from model.fused_encoder import build_fused_encoder
from model.input_projection import build_input_projection
from model.pair_queries import LearnedPairQueries
from model.parsed_decoder import POINT_QUERY_BOX_SIZE_LOGIT, ParsedDecoder
from model.position_encoding import SinePositionEncoding
from model.relation_detector import RelationDetector
from model.text_classifier import TextSimilarityClassifier
from model.text_encoder import build_text_encoder


def build_relation_detector(
    config: DetectorConfig, *, first_box_size_logit: float = POINT_QUERY_BOX_SIZE_LOGIT
) -> RelationDetector:
    """Load the pretrained parts (backbone, RoBERTa) and assemble the detector.

    ``first_box_size_logit``: see :class:`~model.parsed_decoder.ParsedDecoder`; the default
    suits the detector's own (point) queries.
    """
    backbone = build_backbone(config.backbone)
    text_encoder = build_text_encoder(config.text_encoder)
    text_projection = nn.Linear(config.hidden_dim, config.hidden_dim)  # shared, as in RLIPv2
    layer_sizes = {
        "hidden_dim": config.hidden_dim,
        "feedforward_dim": config.feedforward_dim,
        "dropout": config.dropout,
        "num_levels": config.num_levels,
        "num_heads": config.num_heads,
        "num_points": config.num_points,
    }
    encoder_layers = nn.ModuleList(
        DeformableEncoderLayer(**layer_sizes) for _ in range(config.encoder_layers)
    )
    fused_encoder = build_fused_encoder(
        config.fusion,
        encoder_layers=encoder_layers,
        visual_dim=config.hidden_dim,
        language_config=text_encoder.config,
    )
    return RelationDetector(
        backbone=backbone,
        input_projection=build_input_projection(config.backbone, in_channels=backbone.channels),
        position_encoding=SinePositionEncoding(hidden_dim=config.hidden_dim),
        text_encoder=text_encoder,
        fused_encoder=fused_encoder,
        text_resizer=FeatureResizer(
            input_dim=text_encoder.text_dim,
            output_dim=config.hidden_dim,
            dropout=config.text_dropout,
        ),
        pair_queries=LearnedPairQueries(num_pairs=config.num_pairs, hidden_dim=config.hidden_dim),
        decoder=ParsedDecoder(
            entity_layer=DeformableDecoderLayer(**layer_sizes),
            relation_layer=DeformableDecoderLayer(**layer_sizes),
            num_layers=config.decoder_layers,
            num_pairs=config.num_pairs,
            hidden_dim=config.hidden_dim,
            first_box_size_logit=first_box_size_logit,
        ),
        entity_classifier=TextSimilarityClassifier(
            text_projection=text_projection, hidden_dim=config.hidden_dim
        ),
        relation_classifier=TextSimilarityClassifier(
            text_projection=text_projection, hidden_dim=config.hidden_dim
        ),
        num_levels=config.num_levels,
        hidden_dim=config.hidden_dim,
    )

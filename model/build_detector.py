"""Builds a ``RelationDetector`` from a ``DetectorConfig``: the one reader of that config."""


from torch import nn

from model.anchor_position import AnchorQueryPosition
from model.backbone import build_backbone
from model.decoder_config import DecoderKind, RelationContent
from model.deformable_decoder_layer import DeformableDecoderLayer
from model.deformable_encoder_layer import DeformableEncoderLayer
from model.detector_config import DetectorConfig
from model.feature_resizer import FeatureResizer
from model.fused_encoder import build_fused_encoder
from model.input_projection import build_input_projection
from model.multi_branch_fusion import MultiBranchFusion
from model.pair_queries import AnchorPairQueries, LearnedPairQueries
from model.parsed_decoder import POINT_QUERY_BOX_SIZE_LOGIT, ParsedDecoder
from model.position_encoding import SinePositionEncoding
from model.relation_detector import RelationDetector
from model.text_classifier import TextSimilarityClassifier
from model.text_encoder import LabelTextEncoder, build_text_encoder


def build_relation_detector(
    config: DetectorConfig,
    *,
    first_box_size_logit: float = POINT_QUERY_BOX_SIZE_LOGIT,
    text_encoder: LabelTextEncoder | None = None,
) -> RelationDetector:
    """Load the pretrained parts (backbone, RoBERTa) and assemble the detector.

    ``first_box_size_logit``: see :class:`~model.parsed_decoder.ParsedDecoder`; the default
    suits the detector's own (point or anchor) queries. ``text_encoder``: one already built (it
    must be ``config.text_encoder``'s), instead of loading it.
    """
    backbone = build_backbone(config.backbone)
    if text_encoder is None:
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
        input_projection=build_input_projection(
            config.backbone,
            in_channels=backbone.channels,
            extra_level_mask=config.extra_level_mask,
        ),
        position_encoding=SinePositionEncoding(
            hidden_dim=config.hidden_dim, offset=config.position_offset
        ),
        text_encoder=text_encoder,
        fused_encoder=fused_encoder,
        text_resizer=FeatureResizer(
            input_dim=text_encoder.text_dim,
            output_dim=config.hidden_dim,
            dropout=config.text_dropout,
        ),
        pair_queries=_build_pair_queries(config),
        decoder=_build_decoder(config, layer_sizes, first_box_size_logit),
        entity_classifier=TextSimilarityClassifier(
            text_projection=text_projection, hidden_dim=config.hidden_dim
        ),
        relation_classifier=TextSimilarityClassifier(
            text_projection=text_projection, hidden_dim=config.hidden_dim
        ),
        num_levels=config.num_levels,
        hidden_dim=config.hidden_dim,
    )


def _build_pair_queries(config: DetectorConfig) -> LearnedPairQueries | AnchorPairQueries:
    if config.decoder.kind is DecoderKind.PARSEDA:
        return AnchorPairQueries(num_pairs=config.num_pairs, hidden_dim=config.hidden_dim)
    return LearnedPairQueries(num_pairs=config.num_pairs, hidden_dim=config.hidden_dim)


def _build_decoder(
    config: DetectorConfig, layer_sizes: dict, first_box_size_logit: float
) -> ParsedDecoder:
    anchors = config.decoder.kind is DecoderKind.PARSEDA
    fusion = None
    if config.decoder.relation_content is RelationContent.FUSED:
        fusion = MultiBranchFusion(
            input_dim=config.hidden_dim,
            output_dim=config.hidden_dim,
            num_branches=config.decoder.fusion_branches,
            branch_dim=config.hidden_dim // config.decoder.fusion_branches,
        )
    return ParsedDecoder(
        entity_layer=DeformableDecoderLayer(**layer_sizes),
        relation_layer=DeformableDecoderLayer(**layer_sizes),
        num_layers=config.decoder_layers,
        num_pairs=config.num_pairs,
        hidden_dim=config.hidden_dim,
        first_box_size_logit=first_box_size_logit,
        entity_position=AnchorQueryPosition(hidden_dim=config.hidden_dim) if anchors else None,
        relation_position=AnchorQueryPosition(hidden_dim=config.hidden_dim) if anchors else None,
        relation_fusion=fusion,
        relation_box_refinement=config.decoder.relation_box_refinement,
    )

"""Builds a ``RelationTagger`` from the detector configuration and its query choice."""

from model.build_detector import build_relation_detector
from model.detector_config import DetectorConfig
from model.parsed_decoder import POINT_QUERY_BOX_SIZE_LOGIT
from model.text_encoder import LabelTextEncoder
from rtagger.box_pair_queries import BoxPairQueryEncoder, TaggerReference
from rtagger.relation_tagger import RelationTagger


def build_relation_tagger(
    config: DetectorConfig,
    *,
    reference: TaggerReference = TaggerReference.BOX,
    text_encoder: LabelTextEncoder | None = None,
) -> RelationTagger:
    """The tagger of ``config``; ``text_encoder`` as in
    :func:`~model.build_detector.build_relation_detector`."""
    # Given boxes are the first layer's references: it starts by keeping them as they are.
    # Points from the boxes start as the detector's own point queries do.
    first_box_size_logit = 0.0 if reference is TaggerReference.BOX else POINT_QUERY_BOX_SIZE_LOGIT
    return RelationTagger(
        detector=build_relation_detector(
            config, first_box_size_logit=first_box_size_logit, text_encoder=text_encoder
        ),
        query_encoder=BoxPairQueryEncoder(hidden_dim=config.hidden_dim, reference=reference),
        num_heads=config.num_heads,
    )

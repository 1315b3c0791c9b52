"""Which relations a confidence cut keeps: human relations always, pseudo-labels at or above it.

A relation's ``confidence`` is None for human annotation and the tagger's score in [0, 1] for a
pseudo-label (see :class:`data_schemas.relations.RelationRecord`). RLIPv2 pre-trains on
pseudo-labels with confidence >= 0.20.
"""

DEFAULT_RELATION_THRESHOLD = 0.20


def check_relation_threshold(relation_threshold: float) -> None:
    """Raise ``ValueError`` unless ``relation_threshold`` is in [0, 1]."""
    if not 0.0 <= relation_threshold <= 1.0:
        raise ValueError(f"relation_threshold must be in [0, 1], got {relation_threshold}")


def keeps_relationship(confidence: float | None, relation_threshold: float) -> bool:
    """Human relations (``confidence`` None) are always kept; pseudo-labels iff >= threshold."""
    return confidence is None or confidence >= relation_threshold

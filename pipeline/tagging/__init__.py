"""Tagging: score caption candidates with a relation tagger and write pseudo-labelled scene
graphs (RLIPv2's R-Tagger step)."""

from pipeline.tagging.relation_scorer import RelationScorer, ScoreMatrix, checked_scores
from pipeline.tagging.tag_candidates import (
    DEFAULT_SAVE_THRESHOLD,
    candidate_pairs_and_texts,
    check_scorer_max_pairs,
    check_tagging_options,
    tag_image,
)
from pipeline.tagging.tagged_scene_graph import tagged_scene_graph
from pipeline.tagging.tagging_run import TAG_STAGE, TaggingCounts, TaggingSummary, run_tagging

__all__ = [
    "DEFAULT_SAVE_THRESHOLD",
    "TAG_STAGE",
    "RelationScorer",
    "ScoreMatrix",
    "TaggingCounts",
    "TaggingSummary",
    "candidate_pairs_and_texts",
    "check_scorer_max_pairs",
    "check_tagging_options",
    "checked_scores",
    "run_tagging",
    "tag_image",
    "tagged_scene_graph",
]

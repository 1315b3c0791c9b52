"""Tagging: score caption candidates with a relation tagger and write pseudo-labelled scene
graphs (RLIPv2's R-Tagger step)."""

from pipeline.tagging.relation_scorer import RelationScorer, ScoreMatrix, checked_scores
from pipeline.tagging.tag_candidates import (
    DEFAULT_SAVE_THRESHOLD,
    candidate_pairs_and_texts,
    check_scorer_max_pairs,
    tag_image,
)
from pipeline.tagging.tag_images import TAG_STAGE, TaggedImage, TaggingCounts, tag_images
from pipeline.tagging.tagged_scene_graph import tagged_scene_graph

__all__ = [
    "DEFAULT_SAVE_THRESHOLD",
    "TAG_STAGE",
    "RelationScorer",
    "ScoreMatrix",
    "TaggedImage",
    "TaggingCounts",
    "candidate_pairs_and_texts",
    "check_scorer_max_pairs",
    "checked_scores",
    "tag_image",
    "tag_images",
    "tagged_scene_graph",
]

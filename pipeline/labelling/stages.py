"""The stages of a labelling run, in order. A stage's name names its shard outputs
(``OUT/work/<stage>/shard-…``); captioning and tagging also write it into their rejects, so
those two names are their packages'."""

from pipeline.captioning.caption_images import CAPTION_STAGE
from pipeline.tagging.tag_images import TAG_STAGE

SPLIT_STAGE = "split"
PARSE_STAGE = "parse"
MATCH_STAGE = "match"
SCENE_GRAPH_STAGE = "scene_graphs"

WORK_DIR_NAME = "work"
"""``OUT/work/<stage>/shard-…``: the content-addressed shard outputs (the cache)."""

LABEL_STAGES = (SPLIT_STAGE, CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE, TAG_STAGE, SCENE_GRAPH_STAGE)
"""The stages of ``rlipv2 label``."""
CANDIDATE_STAGES = (SPLIT_STAGE, CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE)
"""The stages of ``rlipv2 candidates``."""
TAG_STAGES = (SPLIT_STAGE, TAG_STAGE, SCENE_GRAPH_STAGE)
"""The stages of ``rlipv2 tag``, which tags a candidate run's candidates."""

"""The stages of a labelling run, in order. A stage's name names its shard outputs
(``OUT/work/<stage>/shard-…``); captioning and tagging also write it into their rejects, so
those two names are their packages'."""

from pipeline.captioning.caption_images import CAPTION_STAGE
from pipeline.tagging.tagging_run import TAG_STAGE

SPLIT_STAGE = "split"
PARSE_STAGE = "parse"
MATCH_STAGE = "match"
SCENE_GRAPH_STAGE = "scene_graphs"

LABEL_STAGES = (SPLIT_STAGE, CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE, TAG_STAGE, SCENE_GRAPH_STAGE)

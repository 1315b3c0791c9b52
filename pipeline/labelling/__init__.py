"""The labelling run, stage by stage and shard by shard: split -> caption -> parse -> match ->
tag -> scene graphs, each shard's output content-addressed by a key of its inputs, settings,
model checksum and code version (so re-runs reuse finished shards), then published as tables.

Pure functions over files; the Prefect flow (``flows/``) and the benchmark's plain loop call
the same ``run_*_job`` functions.
"""

from data_schemas.shard_manifest import ShardManifest
from pipeline.labelling.caption_stage import CaptionJob, run_caption_job
from pipeline.labelling.digests import code_version, directory_digest, file_digest, json_digest
from pipeline.labelling.label_plan import LabelPlan, resolve_label_plan
from pipeline.labelling.label_settings import BlipSettings, CaptionSource, LabelSettings
from pipeline.labelling.label_summary import LabelRunSummary, summarize_label_run
from pipeline.labelling.match_stage import MatchJob, run_match_job
from pipeline.labelling.parse_stage import ParseJob, run_parse_job
from pipeline.labelling.publish import publish_run
from pipeline.labelling.scene_graph_stage import SceneGraphJob, run_scene_graph_job
from pipeline.labelling.shard_store import ShardStore
from pipeline.labelling.split_stage import SplitJob, run_split_job
from pipeline.labelling.stages import (
    CANDIDATE_STAGES,
    CAPTION_STAGE,
    LABEL_STAGES,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
    TAG_STAGES,
)
from pipeline.labelling.tag_stage import TagJob, run_tag_job

__all__ = [
    "CANDIDATE_STAGES",
    "CAPTION_STAGE",
    "LABEL_STAGES",
    "MATCH_STAGE",
    "PARSE_STAGE",
    "SCENE_GRAPH_STAGE",
    "SPLIT_STAGE",
    "TAG_STAGE",
    "TAG_STAGES",
    "BlipSettings",
    "CaptionJob",
    "CaptionSource",
    "LabelPlan",
    "LabelRunSummary",
    "LabelSettings",
    "MatchJob",
    "ParseJob",
    "SceneGraphJob",
    "ShardManifest",
    "ShardStore",
    "SplitJob",
    "TagJob",
    "code_version",
    "directory_digest",
    "file_digest",
    "json_digest",
    "publish_run",
    "resolve_label_plan",
    "run_caption_job",
    "run_match_job",
    "run_parse_job",
    "run_scene_graph_job",
    "run_split_job",
    "run_tag_job",
    "summarize_label_run",
]

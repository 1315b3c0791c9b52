"""The labelling run, stage by stage and shard by shard: split -> caption -> parse -> match ->
tag -> scene graphs, each shard's output content-addressed by a key of its inputs, settings,
model checksum and code version (so re-runs reuse finished shards), then published as tables.

Pure functions over files; the Prefect flow (``flows/``) and the benchmark's plain loop call
the same ``run_*_job`` functions.
"""

from data_schemas.lazy_exports import lazy_exports
from data_schemas.shard_manifest import ShardManifest

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "caption_stage": ("CaptionJob", "run_caption_job"),
        "digests": ("code_version", "directory_digest", "file_digest", "json_digest"),
        "label_plan": ("LabelPlan", "resolve_label_plan"),
        "label_settings": ("BlipSettings", "CaptionSource", "LabelSettings"),
        "label_summary": ("LabelRunSummary", "summarize_label_run"),
        "match_stage": ("MatchJob", "run_match_job"),
        "parse_stage": ("ParseJob", "run_parse_job"),
        "publish": ("publish_run",),
        "scene_graph_stage": ("SceneGraphJob", "run_scene_graph_job"),
        "shard_store": ("ShardStore",),
        "split_stage": ("SplitJob", "run_split_job"),
        "stages": (
            "CANDIDATE_STAGES",
            "CAPTION_STAGE",
            "LABEL_STAGES",
            "MATCH_STAGE",
            "PARSE_STAGE",
            "SCENE_GRAPH_STAGE",
            "SPLIT_STAGE",
            "TAG_STAGE",
            "TAG_STAGES",
        ),
        "tag_stage": ("TagJob", "run_tag_job"),
    },
)
__all__ += ["ShardManifest"]

"""The stage jobs of a plan run one after the other, shard by shard, without Prefect: how
``rlipv2 candidates`` and ``rlipv2 tag`` run their stages, and the baseline the flow is measured
against. The ``label`` flow runs the same jobs as Prefect tasks."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from tqdm import tqdm

from data_schemas.shard_manifest import ShardManifest
from pipeline.captioning.captioner import Captioner
from pipeline.labelling.caption_stage import run_caption_job
from pipeline.labelling.label_plan import LabelPlan
from pipeline.labelling.match_stage import run_match_job
from pipeline.labelling.parse_stage import run_parse_job
from pipeline.labelling.scene_graph_stage import run_scene_graph_job
from pipeline.labelling.split_stage import run_split_job
from pipeline.labelling.stages import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
)
from pipeline.labelling.tag_stage import run_tag_job
from pipeline.matching import PhraseMatcher
from pipeline.parsing import CaptionParser
from pipeline.tagging import RelationScorer

_Model = TypeVar("_Model")


@dataclass(frozen=True)
class StageModels:
    """The models the stages run with; each is needed by its stage only (the captioner only to
    caption with BLIP)."""

    captioner: Captioner | None = None
    parser: CaptionParser | None = None
    matcher: PhraseMatcher | None = None
    scorer: RelationScorer | None = None


def run_shards(
    plan: LabelPlan, stages: Sequence[str], models: StageModels
) -> dict[str, list[ShardManifest]]:
    """Run ``stages`` (consecutive stages of a labelling run, from the split) of ``plan`` on
    every shard, reusing the shards its store holds; returns each stage's manifests in shard
    order. Without the match stage, the tag stage tags the candidates the split carries."""
    store = plan.store()
    splits = run_split_job(plan.split_job(), store)
    run: dict[str, list[ShardManifest]] = {stage: [] for stage in stages}
    run[SPLIT_STAGE] = splits
    for split in tqdm(splits, desc=" -> ".join(stages[1:]), unit="shard", disable=None):
        if CAPTION_STAGE in stages:
            job = plan.caption_job(split)
            run[CAPTION_STAGE].append(run_caption_job(job, store, models.captioner))
        if PARSE_STAGE in stages:
            job = plan.parse_job(run[CAPTION_STAGE][-1])
            run[PARSE_STAGE].append(run_parse_job(job, store, _needed(models.parser, PARSE_STAGE)))
        if MATCH_STAGE in stages:
            job = plan.match_job(split, run[PARSE_STAGE][-1])
            run[MATCH_STAGE].append(run_match_job(job, store, _needed(models.matcher, MATCH_STAGE)))
        if TAG_STAGE in stages:
            job = plan.tag_job(split, run[MATCH_STAGE][-1] if MATCH_STAGE in stages else split)
            run[TAG_STAGE].append(run_tag_job(job, store, _needed(models.scorer, TAG_STAGE)))
    if SCENE_GRAPH_STAGE in stages:
        run[SCENE_GRAPH_STAGE] = [
            run_scene_graph_job(job, store) for job in plan.scene_graph_jobs(splits, run[TAG_STAGE])
        ]
    return run


def _needed(model: _Model | None, stage: str) -> _Model:
    if model is None:
        raise ValueError(f"the {stage} stage needs its model")
    return model

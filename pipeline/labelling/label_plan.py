"""The settings of one labelling run and the stage jobs they define, shard by shard.

The Prefect flow and a plain loop (the benchmark's baseline) build the same jobs from one
:class:`LabelPlan`, so they compute, key and publish identically.
"""

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from data_schemas.candidates import CANDIDATES
from data_schemas.captions import CAPTIONS
from data_schemas.rejects import REJECTS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from data_schemas.triplets import TRIPLETS
from pipeline.captioning import BlipCaptionerConfig
from pipeline.labelling.caption_stage import CAPTION_STAGE, CaptionJob, CaptionSource
from pipeline.labelling.label_summary import LabelRunSummary, summarize_label_run
from pipeline.labelling.match_stage import MATCH_STAGE, MatchJob
from pipeline.labelling.parse_stage import PARSE_STAGE, ParseJob
from pipeline.labelling.publish import publish_run
from pipeline.labelling.scene_graph_stage import SCENE_GRAPH_STAGE, SceneGraphJob
from pipeline.labelling.shard_store import ShardManifest, ShardStore
from pipeline.labelling.split_stage import SplitJob
from pipeline.labelling.tag_stage import TAG_STAGE, TagJob
from pipeline.matching.synonym_table import BuiltinVocabulary
from pipeline.parsing import CaptionParserConfig
from pipeline.tagging.relation_scorer import dataset_category_names

WORK_DIR_NAME = "work"
"""``OUT/work/<stage>/shard-…``: the content-addressed shard outputs (the cache)."""

# Which stage's shard files make up each published table, in table order.
_PUBLISHED: dict[TableSpec, tuple[str, ...]] = {
    CAPTIONS: (CAPTION_STAGE,),
    TRIPLETS: (PARSE_STAGE,),
    CANDIDATES: (MATCH_STAGE,),
    TAGGED_RELATIONS: (TAG_STAGE,),
    SCENE_GRAPHS: (SCENE_GRAPH_STAGE,),
    REJECTS: (CAPTION_STAGE, TAG_STAGE),
}


class LabelPlan(BaseModel):
    """Everything that decides a labelling run's outputs, resolved to values and checksums."""

    model_config = ConfigDict(frozen=True)

    dataset_dir: Path
    """An ingested dataset (images, entities, and captions when ``caption_source`` is existing)."""
    out_dir: Path
    image_root: Path
    images_per_shard: int
    caption_source: CaptionSource
    blip: BlipCaptionerConfig | None
    blip_checksum: str | None
    parser: CaptionParserConfig
    parser_versions: dict[str, str]
    vocabulary: BuiltinVocabulary
    synonyms_file: Path | None
    synonyms_digest: str
    """Digest of the synonym table of ``vocabulary`` extended with ``synonyms_file``."""
    max_pairs_per_triplet: int | None
    tagger_checkpoint: Path
    tagger_checksum: str
    tagger_device: str
    save_threshold: float
    top_k_per_pair: int | None
    code_version: str

    def store(self) -> ShardStore:
        return ShardStore(self.out_dir / WORK_DIR_NAME)

    def split_job(self) -> SplitJob:
        return SplitJob(
            dataset_dir=self.dataset_dir,
            images_per_shard=self.images_per_shard,
            with_captions=self.caption_source == "existing",
            code_version=self.code_version,
        )

    def caption_job(self, split: ShardManifest) -> CaptionJob:
        return CaptionJob(
            split=split,
            source=self.caption_source,
            blip=self.blip,
            model_checksum=self.blip_checksum,
            image_root=self.image_root,
            code_version=self.code_version,
        )

    def parse_job(self, captions: ShardManifest) -> ParseJob:
        return ParseJob(
            captions=captions,
            parser=self.parser,
            parser_versions=self.parser_versions,
            code_version=self.code_version,
        )

    def match_job(self, split: ShardManifest, triplets: ShardManifest) -> MatchJob:
        return MatchJob(
            split=split,
            triplets=triplets,
            synonyms_digest=self.synonyms_digest,
            max_pairs_per_triplet=self.max_pairs_per_triplet,
            code_version=self.code_version,
        )

    def tag_job(self, split: ShardManifest, candidates: ShardManifest) -> TagJob:
        return TagJob(
            split=split,
            candidates=candidates,
            tagger_checksum=self.tagger_checksum,
            save_threshold=self.save_threshold,
            top_k_per_pair=self.top_k_per_pair,
            image_root=self.image_root,
            code_version=self.code_version,
            category_names=dataset_category_names(self.dataset_dir),
        )

    def scene_graph_jobs(
        self, splits: Sequence[ShardManifest], tagged: Sequence[ShardManifest]
    ) -> list[SceneGraphJob]:
        """One job per shard; relationship ids continue from shard to shard."""
        kept = [manifest.counts["relations_kept"] for manifest in tagged]
        first_ids = [1 + before for before in itertools.accumulate([0] + kept[:-1])]
        return [
            SceneGraphJob(
                split=split,
                tagged=tag,
                first_relationship_id=first_id,
                code_version=self.code_version,
            )
            for split, tag, first_id in zip(splits, tagged, first_ids, strict=True)
        ]

    def summarize(self, stages: Mapping[str, Sequence[ShardManifest]]) -> LabelRunSummary:
        return summarize_label_run(
            stages,
            save_threshold=self.save_threshold,
            rejects_at_ingest=_ingest_rejects(self.dataset_dir),
        )

    def publish(self, stages: Mapping[str, Sequence[ShardManifest]]) -> LabelRunSummary:
        """Publish the run's tables and manifest under ``out_dir``; returns its summary.

        ``stages`` maps every stage name to its manifests in shard order.
        """
        summary = self.summarize(stages)
        tables = {
            spec: [
                manifest.table_path(spec)
                for stage in stage_names
                for manifest in stages[stage]
            ]
            for spec, stage_names in _PUBLISHED.items()
        }
        publish_run(
            self.out_dir,
            tables,
            {
                "dataset": str(self.dataset_dir),
                "plan": json.loads(self.model_dump_json()),
                "summary": summary.as_dict(),
            },
        )
        return summary


def _ingest_rejects(dataset_dir: Path) -> dict[str, int]:
    """Rejects by reason recorded in the ingested dataset's manifest (none if it has none)."""
    manifest = dataset_dir / "manifest.json"
    if not manifest.is_file():
        return {}
    return dict(json.loads(manifest.read_text()).get("rejects", {}))

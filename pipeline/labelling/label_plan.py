"""The plan of a labelling run: its settings, its inputs and the digests of the models and
files they name, resolved once; it builds the run's stage jobs, shard by shard, and publishes
their outputs.

The Prefect flow, ``rlipv2 candidates`` and ``rlipv2 tag`` and a plain loop (the benchmark's
baseline) build their jobs from a :class:`LabelPlan`, so they compute, key and publish alike.
"""

import itertools
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from data_schemas.candidates import CANDIDATES
from data_schemas.captions import CAPTIONS
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import ingested_image_root, read_dataset_manifest
from data_schemas.rejects import REJECTS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from data_schemas.triplets import TRIPLETS
from pipeline.labelling.caption_stage import CaptionJob
from pipeline.labelling.digests import code_version, json_digest
from pipeline.labelling.label_settings import LabelSettings
from pipeline.labelling.label_summary import LabelRunSummary, summarize_label_run
from pipeline.labelling.match_stage import MatchJob
from pipeline.labelling.model_checksums import checkpoint_checksum, model_files_checksum
from pipeline.labelling.parse_stage import ParseJob
from pipeline.labelling.publish import publish_run
from pipeline.labelling.scene_graph_stage import SceneGraphJob
from pipeline.labelling.shard_store import ShardStore
from pipeline.labelling.split_stage import SplitJob
from pipeline.labelling.stages import (
    CAPTION_STAGE,
    LABEL_STAGES,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    TAG_STAGE,
    WORK_DIR_NAME,
)
from pipeline.labelling.tag_stage import TagJob
from pipeline.matching import check_vocabulary_coverage, synonym_table
from pipeline.parsing import CaptionParserConfig, parser_software_versions
from pipeline.tagging.relation_scorer import dataset_category_names
from rtagger.tagger_identity import tagger_id_of

# Which stage's shard files make up each published table, in table order.
_PUBLISHED: dict[TableSpec, tuple[str, ...]] = {
    CAPTIONS: (CAPTION_STAGE,),
    TRIPLETS: (PARSE_STAGE,),
    CANDIDATES: (MATCH_STAGE,),
    TAGGED_RELATIONS: (TAG_STAGE,),
    SCENE_GRAPHS: (SCENE_GRAPH_STAGE,),
    REJECTS: (CAPTION_STAGE, TAG_STAGE),
}

_Resolved = TypeVar("_Resolved")


class LabelPlan(BaseModel):
    """Everything that decides a labelling run's outputs (see :func:`resolve_label_plan`).

    A plan resolved for some stages only has no digests of the others' models and files, and
    cannot build their jobs.
    """

    model_config = ConfigDict(frozen=True)

    settings: LabelSettings
    dataset_dir: Path
    """An ingested dataset (images, entities, and captions when they are reused)."""
    out_dir: Path
    work_dir: Path
    """Where the shard outputs are stored (:class:`ShardStore`)."""
    image_root: Path | None
    """Where the images' files are, when a stage reads them (BLIP captioning, tagging)."""
    carried: dict[str, Path]
    """Tables cut into the shards with the images (see :class:`SplitJob`)."""
    parser: CaptionParserConfig
    parser_versions: dict[str, str] | None
    blip_checksum: str | None
    """Of ``settings.blip.model``, when BLIP captions."""
    synonyms_digest: str | None
    """Of the synonym table of ``settings.vocabulary`` and ``settings.synonyms_file``."""
    tagger_checkpoint: Path | None
    tagger_checksum: str | None
    code_version: str

    def store(self) -> ShardStore:
        return ShardStore(self.work_dir)

    def split_job(self) -> SplitJob:
        return SplitJob(
            dataset_dir=self.dataset_dir,
            carried=self.carried,
            settings=self.settings,
            code_version=self.code_version,
        )

    def caption_job(self, split: ShardManifest) -> CaptionJob:
        return CaptionJob(
            split=split,
            model_checksum=self.blip_checksum,
            image_root=self.image_root,
            settings=self.settings,
            code_version=self.code_version,
        )

    def parse_job(self, captions: ShardManifest) -> ParseJob:
        return ParseJob(
            captions=captions,
            parser=self.parser,
            parser_versions=_resolved(self.parser_versions, PARSE_STAGE),
            settings=self.settings,
            code_version=self.code_version,
        )

    def match_job(self, split: ShardManifest, triplets: ShardManifest) -> MatchJob:
        return MatchJob(
            split=split,
            triplets=triplets,
            synonyms_digest=_resolved(self.synonyms_digest, MATCH_STAGE),
            settings=self.settings,
            code_version=self.code_version,
        )

    def tag_job(self, split: ShardManifest, candidates: ShardManifest) -> TagJob:
        return TagJob(
            split=split,
            candidates=candidates,
            tagger_checksum=_resolved(self.tagger_checksum, TAG_STAGE),
            image_root=_resolved(self.image_root, TAG_STAGE),
            settings=self.settings,
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
                settings=self.settings,
                code_version=self.code_version,
            )
            for split, tag, first_id in zip(splits, tagged, first_ids, strict=True)
        ]

    def summarize(self, stages: Mapping[str, Sequence[ShardManifest]]) -> LabelRunSummary:
        return summarize_label_run(
            stages,
            save_threshold=self.settings.save_threshold,
            rejects_at_ingest=read_dataset_manifest(self.dataset_dir).rejects,
        )

    @property
    def tagger_id(self) -> str | None:
        """The id the tag stage's scorer gives its relations (None without the tag stage)."""
        if self.tagger_checkpoint is None or self.tagger_checksum is None:
            return None
        return tagger_id_of(self.tagger_checkpoint.name, self.tagger_checksum)

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
            LabelRunManifest(
                dataset=self.dataset_dir,
                plan=json.loads(self.model_dump_json()),
                summary=summary.as_dict(),
                tagger_id=self.tagger_id,
            ),
        )
        return summary


def resolve_label_plan(
    settings: LabelSettings,
    *,
    dataset_dir: Path,
    out_dir: Path,
    work_dir: Path | None = None,
    image_root: Path | None = None,
    tagger_checkpoint: Path | None = None,
    captions_dir: Path | None = None,
    candidates_dir: Path | None = None,
    stages: Collection[str] = LABEL_STAGES,
) -> LabelPlan:
    """The plan of running ``stages`` with ``settings`` on the ingested dataset ``dataset_dir``
    into ``out_dir`` (shards in ``work_dir``, by default ``out_dir/work``), every path made
    absolute so that what the run records names files from any directory.

    ``image_root`` defaults to the one recorded at ingest; ``tagger_checkpoint`` is needed by
    the tag stage. Reused captions come from ``captions_dir`` (by default the dataset's);
    ``candidates_dir``, a candidate run's candidates, is tagged in place of the match stage's.

    Raises:
        RLIPv2InputError: the BLIP model, the synonym file or the tagger checkpoint cannot be
            found, or the synonym table names none of the dataset's categories.
    """
    if TAG_STAGE in stages and tagger_checkpoint is None:
        raise ValueError("the tag stage needs a tagger checkpoint")
    dataset_dir = dataset_dir.resolve()
    if image_root is None and _reads_images(settings, stages):
        image_root = ingested_image_root(dataset_dir)
    carried = {}
    if CAPTION_STAGE in stages and settings.captioner == "existing":
        carried[CAPTIONS.name] = (captions_dir or dataset_dir / CAPTIONS.name).resolve()
    if candidates_dir is not None:
        carried[CANDIDATES.name] = candidates_dir.resolve()
    if settings.synonyms_file is not None:
        settings = settings.model_copy(update={"synonyms_file": settings.synonyms_file.resolve()})
    parser = CaptionParserConfig()
    return LabelPlan(
        settings=settings,
        dataset_dir=dataset_dir,
        out_dir=out_dir.resolve(),
        work_dir=(work_dir or out_dir / WORK_DIR_NAME).resolve(),
        image_root=None if image_root is None else image_root.resolve(),
        carried=carried,
        parser=parser,
        parser_versions=(
            parser_software_versions(parser.spacy_model) if PARSE_STAGE in stages else None
        ),
        blip_checksum=(
            model_files_checksum(settings.blip.model)
            if CAPTION_STAGE in stages and settings.captioner == "blip" else None
        ),
        synonyms_digest=(
            _synonyms_digest(settings, dataset_dir) if MATCH_STAGE in stages else None
        ),
        tagger_checkpoint=None if tagger_checkpoint is None else tagger_checkpoint.resolve(),
        tagger_checksum=checkpoint_checksum(tagger_checkpoint) if TAG_STAGE in stages else None,
        code_version=code_version(),
    )


def _reads_images(settings: LabelSettings, stages: Collection[str]) -> bool:
    """Whether ``stages`` read image files: BLIP captions them, the tagger scores them."""
    return TAG_STAGE in stages or (CAPTION_STAGE in stages and settings.captioner == "blip")


def _synonyms_digest(settings: LabelSettings, dataset_dir: Path) -> str:
    """Digest of the run's synonym table, checked against the dataset's categories."""
    table = synonym_table(settings.vocabulary, settings.synonyms_file)
    check_vocabulary_coverage(table, dataset_dir)
    return json_digest(table.synonyms)


def _resolved(value: _Resolved | None, stage: str) -> _Resolved:
    if value is None:
        raise ValueError(f"the plan was resolved without the {stage} stage")
    return value

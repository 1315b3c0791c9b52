"""Some stages of a labelling run on their own, over a whole dataset: ``rlipv2 candidates``
(split, caption, parse, match) and ``rlipv2 tag`` (split, tag, scene graphs).

They run the shard jobs of a labelling run, built by its plan
(:class:`~pipeline.labelling.label_plan.LabelPlan`), in a shard store of their own beside the
output that is removed at the end, and copy the tables into one output directory of
``rows_per_shard``-row files, which appears only once complete::

    OUT/manifest.json    the dataset (and candidates) read, the settings, each stage's totals
    OUT/<table>/…        candidates: captions, triplets, candidates, rejects;
                         tag: tagged_relations, scene_graphs, rejects
"""

import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc

from data_schemas.candidates import CANDIDATES
from data_schemas.captions import CAPTIONS
from data_schemas.errors import RLIPv2InputError
from data_schemas.image_groups import table_rows
from data_schemas.images import IMAGES
from data_schemas.parquet_io import read_table
from data_schemas.rejects import REJECTS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.shard_manifest import ShardManifest
from data_schemas.stage_run_manifest import StageRunManifest, StageTotals
from data_schemas.staged_output import StagedDatasetOutput
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from data_schemas.temporary_siblings import new_temporary_sibling
from data_schemas.triplets import TRIPLETS
from pipeline.captioning.captioner import Captioner
from pipeline.labelling.label_plan import resolve_label_plan
from pipeline.labelling.label_settings import LabelSettings
from pipeline.labelling.shard_loop import StageModels, run_shards
from pipeline.labelling.stages import (
    CANDIDATE_STAGES,
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    TAG_STAGE,
    TAG_STAGES,
)
from pipeline.matching import PhraseMatcher
from pipeline.parsing import CaptionParser
from pipeline.tagging import RelationScorer

# The tables of each run, and the stages whose shards make them up.
_CANDIDATE_TABLES: dict[TableSpec, tuple[str, ...]] = {
    CAPTIONS: (CAPTION_STAGE,),
    TRIPLETS: (PARSE_STAGE,),
    CANDIDATES: (MATCH_STAGE,),
    REJECTS: (CAPTION_STAGE,),
}
_TAG_TABLES: dict[TableSpec, tuple[str, ...]] = {
    TAGGED_RELATIONS: (TAG_STAGE,),
    SCENE_GRAPHS: (SCENE_GRAPH_STAGE,),
    REJECTS: (TAG_STAGE,),
}


@dataclass(frozen=True)
class StageRunSummary:
    """What a run of stages on their own wrote (``manifest``), where, and in how long."""

    out_dir: Path
    manifest: StageRunManifest
    seconds: float


def run_candidate_stages(
    settings: LabelSettings,
    dataset_dir: Path,
    out_dir: Path,
    *,
    captions_dir: Path | None,
    image_root: Path | None,
    captioner: Captioner | None,
    parser: CaptionParser,
    matcher: PhraseMatcher,
    rows_per_shard: int,
    overwrite: bool,
) -> StageRunSummary:
    """Caption (reusing ``captions_dir``'s captions, by default the dataset's, or with
    ``captioner`` when ``settings.captioner`` is BLIP), parse and match ``dataset_dir`` into
    ``out_dir``. The models are those of ``settings``.

    Raises:
        RLIPv2InputError: ``out_dir`` exists (without ``overwrite``), a table is missing, or
            the synonym table names none of the dataset's categories.
    """
    started = time.perf_counter()
    with _staged_output(out_dir, rows_per_shard, overwrite) as (output, work_dir):
        plan = resolve_label_plan(
            settings, dataset_dir=dataset_dir, out_dir=out_dir, work_dir=work_dir,
            image_root=image_root, captions_dir=captions_dir, stages=CANDIDATE_STAGES,
        )
        stages = run_shards(
            plan, CANDIDATE_STAGES, StageModels(captioner=captioner, parser=parser, matcher=matcher)
        )
        manifest = StageRunManifest(command="candidates", dataset=dataset_dir)
        return _commit(output, stages, _CANDIDATE_TABLES, manifest, started)


def run_tag_stages(
    settings: LabelSettings,
    dataset_dir: Path,
    candidates_dir: Path,
    out_dir: Path,
    *,
    tagger_checkpoint: Path,
    scorer: RelationScorer,
    image_root: Path | None,
    rows_per_shard: int,
    overwrite: bool,
) -> StageRunSummary:
    """Tag the candidates of ``candidates_dir`` (a candidate run's output directory) over the
    images and entities of ``dataset_dir`` with ``scorer``, loaded from ``tagger_checkpoint``,
    and write them and their scene graphs into ``out_dir``.

    An image the scorer raises :class:`RLIPv2InputError` for is written to ``rejects`` and gets
    no scene graph; every other image gets one, with no relationships when it has no
    candidates (such an image is never opened).

    Raises:
        RLIPv2InputError: ``out_dir`` exists (without ``overwrite``), a table is missing or of
            another schema, or the candidates name images or entities ``dataset_dir`` does not
            have (they were built from another dataset).
    """
    started = time.perf_counter()
    _check_candidate_images(candidates_dir, dataset_dir)
    with _staged_output(out_dir, rows_per_shard, overwrite) as (output, work_dir):
        plan = resolve_label_plan(
            settings, dataset_dir=dataset_dir, out_dir=out_dir, work_dir=work_dir,
            image_root=image_root, tagger_checkpoint=tagger_checkpoint,
            candidates_dir=candidates_dir / CANDIDATES.name, stages=TAG_STAGES,
        )
        stages = run_shards(plan, TAG_STAGES, StageModels(scorer=scorer))
        manifest = StageRunManifest(
            command="tag",
            dataset=dataset_dir,
            candidates=candidates_dir,
            settings={
                "tagger_id": scorer.tagger_id,
                "save_threshold": settings.save_threshold,
                "top_k_per_pair": settings.top_k_per_pair,
            },
        )
        return _commit(output, stages, _TAG_TABLES, manifest, started)


@contextmanager
def _staged_output(
    out_dir: Path, rows_per_shard: int, overwrite: bool
) -> Iterator[tuple[StagedDatasetOutput, Path]]:
    """The staged output directory, and a temporary directory beside it for the shards."""
    with StagedDatasetOutput(out_dir, rows_per_shard=rows_per_shard, overwrite=overwrite) as output:
        work_dir = new_temporary_sibling(out_dir)
        try:
            yield output, work_dir
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)


def _commit(
    output: StagedDatasetOutput,
    stages: Mapping[str, Sequence[ShardManifest]],
    tables: Mapping[TableSpec, tuple[str, ...]],
    manifest: StageRunManifest,
    started: float,
) -> StageRunSummary:
    """Copy the run's tables from its shards, in shard order, and commit the output with each
    stage's totals."""
    for spec, stage_names in tables.items():
        writer = output.writer(spec)
        for stage in stage_names:
            for shard in stages[stage]:
                for row in table_rows(shard.read(spec)):
                    writer.append(row)
    totals = {stage: StageTotals.of_shards(shards) for stage, shards in stages.items()}
    manifest = manifest.model_copy(update={"stages": totals})
    out_dir = output.commit(manifest)
    return StageRunSummary(
        out_dir=out_dir, manifest=manifest, seconds=time.perf_counter() - started
    )


def _check_candidate_images(candidates_dir: Path, dataset_dir: Path) -> None:
    """Raise unless every candidate is of an image of ``dataset_dir`` (candidates are tagged with
    the dataset they were built from; the tag stage checks their entities image by image)."""
    candidates = read_table(candidates_dir / CANDIDATES.name, CANDIDATES)["image_id"]
    images = read_table(dataset_dir / IMAGES.name, IMAGES)["image_id"].combine_chunks()
    unknown = pc.unique(candidates.filter(pc.invert(pc.is_in(candidates, value_set=images))))
    if len(unknown):
        raise RLIPv2InputError(
            f"{candidates_dir} has candidates of {len(unknown)} image(s) that {dataset_dir} does "
            f"not have (e.g. image {unknown[0].as_py()}); tag candidates with the dataset they "
            "were built from"
        )

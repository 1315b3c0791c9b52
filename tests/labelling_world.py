"""A small labelling world for the labelling-stage, label-flow and resume tests, built once per
session by the ``labelling_world`` fixture (``conftest.py``); tests must not change it.

:func:`build_labelling_world` writes, under one root: the demo world's images and annotations,
the COCO-format dataset with captions ingested (tables cut into several files), the Visual
Genome ground truth ingested, a tiny random text encoder, a tiny R-Tagger trained for two steps,
and a **reference run**: the whole dataset as one shard through ``rlipv2 candidates``' and
``rlipv2 tag``'s runs, whose tables are written row by row into files of their own, the oracle
the sharded runs and their published tables are compared with.

Also here: :func:`label_in_a_loop` (the labelling jobs called one after the other, no Prefect),
:func:`published_rows` and :func:`duplicate_keys`, to compare and check published tables.
"""

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from demo_world import write_demo_world
from model.config_file import load_config_file
from model.random_text_encoder import save_random_text_encoder
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import (
    LABEL_STAGES,
    LabelPlan,
    LabelRunSummary,
    LabelSettings,
    ShardManifest,
    resolve_label_plan,
)
from pipeline.labelling.shard_loop import StageModels, run_shards
from pipeline.labelling.stage_run import run_candidate_stages, run_tag_stages
from pipeline.matching import PhraseMatcher, build_phrase_matcher, builtin_synonym_table
from pipeline.parsing import CaptionParser, CaptionParserConfig, build_caption_parser
from pipeline.tagging import RelationScorer
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.tagger_scorer import load_tagger_scorer
from rtagger.train_tagger import run_tagger_training

REPOSITORY = Path(__file__).resolve().parents[1]
NUM_IMAGES = 12
SEED = 0
VOCABULARY = "demo"
INGEST_ROWS_PER_SHARD = 25
"""Rows per ingested table file: the entities and captions of the world span several files."""
REFERENCE_SAVE_THRESHOLD = 0.015
"""The tiny tagger scores about 0.005 to 0.035: this keeps roughly three relations in four."""

PUBLISHED_TABLES = (
    "captions", "triplets", "candidates", "tagged_relations", "scene_graphs", "rejects",
)
TABLE_KEYS = {
    "captions": ("image_id", "caption_index"),
    "triplets": ("image_id", "caption_index", "triplet_index"),
    "candidates": ("image_id", "subject_entity_id", "object_entity_id", "relation"),
    "tagged_relations": ("image_id", "subject_entity_id", "object_entity_id", "relation"),
    "scene_graphs": ("image_id",),
    "rejects": ("stage", "record_kind", "record_id"),
}
"""The columns that identify a row of each published table."""


@dataclass(frozen=True)
class LabellingWorld:
    """Paths of the world, and the settings its tagger and reference run were made with."""

    root: Path
    images_dir: Path
    dataset_dir: Path
    """The ingested COCO-format demo dataset (images, entities, captions)."""
    ground_truth_dir: Path
    """The ingested Visual Genome ground truth (scene_graphs of human relations)."""
    text_encoder_dir: Path
    tagger_config: Path
    tagger_overrides: tuple[str, ...]
    """``key=value`` overrides that make ``tagger_config`` train the world's tiny tagger."""
    tagger_checkpoint: Path
    pretrain_config: Path
    pretrain_overrides: tuple[str, ...]
    """Overrides for one step of a tiny pretraining on the reference run's scene graphs."""
    reference_candidates_dir: Path
    reference_tagged_dir: Path

    def reference_rows(self) -> dict[str, list[dict]]:
        """The reference run's tables as :func:`published_rows` gives a label run's."""
        candidates = self.reference_candidates_dir
        tagged = self.reference_tagged_dir
        rows = {
            "captions": _sorted_rows(candidates / "captions"),
            "triplets": _sorted_rows(candidates / "triplets"),
            "candidates": _sorted_rows(candidates / "candidates"),
            "tagged_relations": _sorted_rows(tagged / "tagged_relations"),
            "scene_graphs": _sorted_rows(tagged / "scene_graphs"),
        }
        rows["rejects"] = sorted(
            pq.read_table(candidates / "rejects").to_pylist()
            + pq.read_table(tagged / "rejects").to_pylist(),
            key=_canonical,
        )
        return rows


def build_labelling_world(root: Path) -> LabellingWorld:
    """Write the world under ``root`` (a few seconds)."""
    paths = write_demo_world(root / "world", num_images=NUM_IMAGES, seed=SEED)
    dataset_dir, ground_truth_dir = root / "coco", root / "vg"
    ingest_coco_dataset(
        paths.instances_json, out_dir=dataset_dir, dataset="demo", split="train",
        image_root=paths.images_dir, captions_json=paths.captions_json,
        rows_per_shard=INGEST_ROWS_PER_SHARD,
    )
    ingest_visual_genome_dataset(
        paths.vg_image_data_json, relationships_json=paths.vg_relationships_json,
        objects_json=paths.vg_objects_json, out_dir=ground_truth_dir, dataset="demo_vg",
        split="train", image_root=paths.images_dir,
    )
    ground_truth = ground_truth_dir / "scene_graphs"
    text_encoder_dir = save_random_text_encoder(root / "text_encoder", _label_texts(ground_truth))

    tagger_config = root / "tagger.toml"
    tagger_config.write_text((REPOSITORY / "configs" / "tagger_demo.toml").read_text())
    tagger_overrides = (
        f'output_dir="{root / "tagger"}"', "optimization.epochs=1", "max_steps_per_epoch=2",
        # The save-threshold tests need scores on both sides of their cuts: two steps at 2e-4
        # give them, two at the demo's 1e-3 do not.
        "optimization.learning_rate=2e-4", "optimization.backbone_learning_rate=2e-4",
        "optimization.text_encoder_learning_rate=2e-4",
        f'model.text_encoder.name_or_path="{text_encoder_dir}"',
        f'data.sources=[{{scene_graphs_dir="{ground_truth}", image_root="{paths.images_dir}"}}]',
    )
    training = run_tagger_training(
        load_config_file(tagger_config, TaggerTrainingConfig, tagger_overrides)
    )
    tagger_checkpoint = training.checkpoint_dir / "checkpoint-000001.pt"

    reference_candidates_dir = root / "reference" / "candidates"
    reference_tagged_dir = root / "reference" / "tagged"
    reference = LabelSettings(
        vocabulary=VOCABULARY, save_threshold=REFERENCE_SAVE_THRESHOLD, tagger_device="cpu"
    )
    run_candidate_stages(
        reference, dataset_dir, reference_candidates_dir, captions_dir=None, image_root=None,
        captioner=None, parser=build_caption_parser(CaptionParserConfig()),
        matcher=build_phrase_matcher(VOCABULARY, None), rows_per_shard=INGEST_ROWS_PER_SHARD,
        overwrite=False,
    )
    run_tag_stages(
        reference, dataset_dir, reference_candidates_dir, reference_tagged_dir,
        tagger_checkpoint=tagger_checkpoint,
        scorer=load_tagger_scorer(tagger_checkpoint, device="cpu"), image_root=paths.images_dir,
        rows_per_shard=INGEST_ROWS_PER_SHARD, overwrite=False,
    )

    pretrain_config = root / "pretrain.toml"
    pretrain_config.write_text((REPOSITORY / "configs" / "pretrain_demo.toml").read_text())
    pretrain_overrides = (
        f'output_dir="{root / "pretrain"}"', "optimization.epochs=1", "max_steps_per_epoch=1",
        f'model.text_encoder.name_or_path="{text_encoder_dir}"',
        f'data.sources=[{{scene_graphs_dir="{reference_tagged_dir / "scene_graphs"}", '
        f'image_root="{paths.images_dir}"}}]',
    )
    return LabellingWorld(
        root=root,
        images_dir=paths.images_dir,
        dataset_dir=dataset_dir,
        ground_truth_dir=ground_truth_dir,
        text_encoder_dir=text_encoder_dir,
        tagger_config=tagger_config,
        tagger_overrides=tagger_overrides,
        tagger_checkpoint=tagger_checkpoint,
        pretrain_config=pretrain_config,
        pretrain_overrides=pretrain_overrides,
        reference_candidates_dir=reference_candidates_dir,
        reference_tagged_dir=reference_tagged_dir,
    )


def world_plan(
    world: LabellingWorld,
    out_dir: Path,
    *,
    images_per_shard: int,
    save_threshold: float = REFERENCE_SAVE_THRESHOLD,
    top_k_per_pair: int | None = None,
) -> LabelPlan:
    """The plan of a label run of ``world`` reusing its captions, built without Prefect."""
    settings = LabelSettings(
        images_per_shard=images_per_shard, vocabulary=VOCABULARY, save_threshold=save_threshold,
        top_k_per_pair=top_k_per_pair, tagger_device="cpu",
    )
    return resolve_label_plan(
        settings, dataset_dir=world.dataset_dir, out_dir=out_dir, image_root=world.images_dir,
        tagger_checkpoint=world.tagger_checkpoint,
    )


def world_models(world: LabellingWorld) -> dict:
    """The real parser, matcher and tiny tagger of ``world``, as :func:`label_in_a_loop`
    takes them."""
    return {
        "parser": build_caption_parser(CaptionParserConfig()),
        "matcher": PhraseMatcher(builtin_synonym_table(VOCABULARY)),
        "scorer": load_tagger_scorer(world.tagger_checkpoint, device="cpu"),
    }


def label_in_a_loop(
    plan: LabelPlan,
    *,
    parser: CaptionParser,
    matcher: PhraseMatcher,
    scorer: RelationScorer,
) -> tuple[dict[str, list[ShardManifest]], LabelRunSummary]:
    """Run every job of ``plan`` one after the other and publish; returns the manifests of each
    stage (in shard order) and the run summary."""
    stages = run_shards(
        plan, LABEL_STAGES, StageModels(parser=parser, matcher=matcher, scorer=scorer)
    )
    return stages, plan.publish(stages)


def published_rows(out_dir: Path) -> dict[str, list[dict]]:
    """Every published table of a label run as rows in a canonical order, read with pyarrow
    alone (no schema checks of ours)."""
    return {table: _sorted_rows(out_dir / table) for table in PUBLISHED_TABLES}


SCORE_TOLERANCE = 1e-5


def assert_same_rows(
    actual: Mapping[str, list[dict]], expected: Mapping[str, list[dict]]
) -> None:
    """The same tables with the same rows by key, scores equal to a relative 1e-5: the tagger's
    float32 sums differ in the last bits with torch's thread count, which differs between the
    main thread, worker threads under load and single-threaded Dask workers; through the
    network that reaches about 1e-6 of a score (seen: 0.03318151 against 0.03318148)."""
    assert actual.keys() == expected.keys()
    for table in actual:
        keyed = {tuple(row[c] for c in TABLE_KEYS[table]): row for row in actual[table]}
        assert len(keyed) == len(actual[table]), table
        assert keyed == {
            tuple(row[c] for c in TABLE_KEYS[table]): _with_approximate_scores(table, row)
            for row in expected[table]
        }, table


def _with_approximate_scores(table: str, row: dict) -> dict:
    if table == "tagged_relations":
        return row | {"score": pytest.approx(row["score"], rel=SCORE_TOLERANCE)}
    if table == "scene_graphs":
        return row | {"relationships": [
            item | {"confidence": pytest.approx(item["confidence"], rel=SCORE_TOLERANCE)}
            for item in row["relationships"]
        ]}
    return row


def duplicate_keys(table: str, rows: list[Mapping]) -> list[tuple]:
    """The keys (:data:`TABLE_KEYS`) that more than one row of ``table`` has."""
    counts = Counter(tuple(row[column] for column in TABLE_KEYS[table]) for row in rows)
    return [key for key, count in counts.items() if count > 1]


def complete_shard_dirs(out_dir: Path) -> dict[str, set[str]]:
    """``stage -> names of its complete shard directories`` under ``out_dir / "work"``."""
    work = out_dir / "work"
    return {
        stage.name: {
            shard.name for shard in stage.glob("shard-*") if (shard / "manifest.json").is_file()
        }
        for stage in sorted(work.iterdir())
        if stage.is_dir()
    }


def _sorted_rows(table_dir: Path) -> list[dict]:
    files = sorted(table_dir.glob("shard-*.parquet"))
    rows = [row for file in files for row in pq.read_table(file).to_pylist()]
    return sorted(rows, key=_canonical)


def _canonical(row: Mapping) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _label_texts(scene_graphs_dir: Path) -> list[str]:
    texts = set()
    for file in sorted(scene_graphs_dir.glob("shard-*.parquet")):
        for row in pq.read_table(file).to_pylist():
            texts.update(item["category_name"] for item in row["objects"])
            texts.update(item["predicate"] for item in row["relationships"])
    return sorted(texts) + ["no objects"]

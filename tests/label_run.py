"""A small labelled demo world laid out as the label flow writes it, for the inspection, show,
export and README tests: :func:`build_label_run` writes it (the demo world ingested, caption
candidates, tags from a named fake scorer, and a label run directory with every table side by
side and the dataset named in the manifest); :func:`shared_label_run` builds it once a session.
"""

import shutil
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import data_schemas as ds
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import write_manifest
from demo_world import write_demo_world
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import run_candidate_stages, run_tag_stages
from pipeline.matching import build_phrase_matcher
from pipeline.parsing import CaptionParserConfig, build_caption_parser

NUM_IMAGES = 12
UNREADABLE_IMAGE_ID = 5
SAVE_THRESHOLD = 0.05
EXTRA_REJECTS = (
    ds.RejectRecord(
        stage="caption", source_file="000002.png", record_kind="image", record_id="2",
        image_id=2, reason=ds.RejectReason.UNREADABLE_IMAGE, detail="test: truncated PNG",
    ),
    ds.RejectRecord(
        stage="ingest", source_file="instances.json", record_kind="annotation", record_id="999",
        image_id=3, reason=ds.RejectReason.DEGENERATE_BOX, detail="test: zero width",
    ),
)
"""Rejects the label run adds to the tagger's, so that several reasons are counted."""


class UnreadableImageError(ds.RLIPv2InputError):
    """What a real scorer raises for an image file it cannot decode."""


class HashedFakeScorer:
    """Scores each (subject, object, text) from a hash of it, spread over [0, 1]; raises
    :class:`UnreadableImageError` for image ``UNREADABLE_IMAGE_ID``."""

    tagger_id = "fake-hashed-scorer"
    max_pairs = 100

    def score(
        self,
        image: ds.ImageRecord,
        image_root: Path,
        entities: Sequence[ds.EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> np.ndarray:
        if image.image_id == UNREADABLE_IMAGE_ID:
            raise UnreadableImageError(f"{image_root / image.file_name} cannot be decoded")
        scores = [
            [_hashed_score(f"{subject}|{object_}|{text}") for text in relation_texts]
            for subject, object_ in pairs
        ]
        return np.array(scores, dtype=np.float64).reshape(len(pairs), len(relation_texts))


def _hashed_score(key: str) -> float:
    """A score in {0, 0.001, ..., 1} spread evenly over keys."""
    return zlib.crc32(key.encode()) % 1001 / 1000


@dataclass(frozen=True)
class LabelRun:
    """The directories of a small labelled demo world."""

    images_dir: Path
    dataset_dir: Path
    vg_dir: Path
    candidates_dir: Path
    tagged_dir: Path
    label_dir: Path


def build_label_run(root: Path) -> LabelRun:
    """Write a labelled demo world of ``NUM_IMAGES`` images under ``root`` (the label run in
    ``root / "label"``). Tables are cut into several shards."""
    paths = write_demo_world(root / "world", num_images=NUM_IMAGES, seed=0)
    ingest_coco_dataset(
        paths.instances_json, out_dir=root / "coco", dataset="demo", split="train",
        image_root=paths.images_dir, captions_json=paths.captions_json,
    )
    ingest_visual_genome_dataset(
        paths.vg_image_data_json, relationships_json=paths.vg_relationships_json,
        objects_json=paths.vg_objects_json, out_dir=root / "vg", dataset="demo_vg",
        split="train", image_root=paths.images_dir,
    )
    settings = LabelSettings(vocabulary="demo", save_threshold=SAVE_THRESHOLD)
    run_candidate_stages(
        settings, root / "coco", root / "candidates", captions_dir=None, image_root=None,
        captioner=None, parser=build_caption_parser(CaptionParserConfig()),
        matcher=build_phrase_matcher("demo", None), rows_per_shard=40, overwrite=False,
    )
    stand_in = root / "fake-tagger.pt"  # the checkpoint the shards are keyed on
    stand_in.write_text(HashedFakeScorer.tagger_id)
    run_tag_stages(
        settings, root / "coco", root / "candidates", root / "tagged",
        tagger_checkpoint=stand_in, scorer=HashedFakeScorer(), image_root=paths.images_dir,
        rows_per_shard=40, overwrite=False,
    )
    label_dir = root / "label"
    label_dir.mkdir()
    for source, tables in (
        (root / "candidates", ("captions", "triplets", "candidates")),
        (root / "tagged", ("tagged_relations", "scene_graphs")),
    ):
        for table in tables:
            shutil.copytree(source / table, label_dir / table)
    rejects = [
        *ds.REJECTS.to_records(ds.read_table(root / "candidates" / "rejects", ds.REJECTS)),
        *ds.REJECTS.to_records(ds.read_table(root / "tagged" / "rejects", ds.REJECTS)),
        *EXTRA_REJECTS,
    ]
    ds.write_table_atomic(
        ds.REJECTS.to_arrow(rejects), ds.shard_path(label_dir / "rejects", 0), ds.REJECTS
    )
    write_manifest(label_dir, LabelRunManifest(dataset=root / "coco", plan={}, summary={}))
    return LabelRun(
        images_dir=paths.images_dir,
        dataset_dir=root / "coco",
        vg_dir=root / "vg",
        candidates_dir=root / "candidates",
        tagged_dir=root / "tagged",
        label_dir=label_dir,
    )


def shared_label_run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    """One label run per test session, built by the first module that asks (tests must not
    change it: they copy what they alter)."""
    root = tmp_path_factory.getbasetemp() / "shared-label-run"
    label_dir = root / "label"
    if not label_dir.is_dir():
        return build_label_run(root)
    return LabelRun(
        images_dir=root / "world" / "images",
        dataset_dir=root / "coco",
        vg_dir=root / "vg",
        candidates_dir=root / "candidates",
        tagged_dir=root / "tagged",
        label_dir=label_dir,
    )


def coco_named_scene_graphs(label_dir: Path, out: Path) -> Path:
    """The run's scene graphs with COCO's file names (``<image_id as 12 digits>.jpg``), written
    as the table directory ``out``."""
    table = ds.read_table(label_dir / "scene_graphs", ds.SCENE_GRAPHS)
    names = [f"{image_id:012d}.jpg" for image_id in table["image_id"].to_pylist()]
    table = table.set_column(
        table.schema.get_field_index("file_name"), table.schema.field("file_name"), [names]
    )
    ds.write_table_atomic(table, ds.shard_path(out, 0), ds.SCENE_GRAPHS)
    return out

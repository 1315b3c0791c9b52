"""Manifests: each kind round-trips, those written before kinds and versions were recorded are
still read, and a newer version or a file that is no manifest is a clear error."""

import json
from pathlib import Path

import pytest

from data_schemas import RLIPv2InputError
from data_schemas.dataset_manifest import DatasetManifest, DatasetSources
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import (
    ingested_image_root,
    read_dataset_manifest,
    read_manifest,
    write_manifest,
)
from data_schemas.shard_manifest import ShardManifest, ShardTable
from data_schemas.stage_run_manifest import StageRunManifest, StageTotals
from data_schemas.table_counts import TableCount

DATASET = DatasetManifest(
    dataset="coco", split="train",
    sources=DatasetSources(instances=Path("instances.json"), image_root=Path("images")),
    counts={"images": 2}, rejects={"missing_image_file": 1},
    tables={"images": TableCount(schema_version=1, rows=2, shards=1)},
)
MANIFESTS = [
    DATASET,
    StageRunManifest(
        command="tag", dataset=Path("coco"), candidates=Path("candidates"),
        settings={"tagger_id": "t@1", "save_threshold": 0.05, "top_k_per_pair": None},
        stages={"tag": StageTotals(counts={"images": 2}, histograms={"predicates": {"on": 3}})},
    ),
    LabelRunManifest(dataset=Path("coco"), plan={"images_per_shard": 5}, summary={"images": 2},
                     table_shards={"captions": 1}),
    LabelRunManifest(dataset=Path("coco"), plan={}, summary={}, tagger_id="tagger.pt@0123456789ab"),
    ShardManifest(stage="tag", shard_index=3, key="k", directory=Path("shard"),
                  tables={"tagged_relations": ShardTable(file="t.parquet", rows=4, size=9, digest="d")}),
]


@pytest.mark.parametrize(
    "manifest", MANIFESTS, ids=[f"{item.kind}-{index}" for index, item in enumerate(MANIFESTS)]
)
def test_every_kind_round_trips(manifest, tmp_path: Path) -> None:
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written["manifest_version"] == manifest.manifest_version


def test_manifests_without_kind_or_version_are_told_apart_by_their_keys(tmp_path: Path) -> None:
    """A dataset's, a labelling run's and a shard's layout is the same as before."""
    for manifest in (MANIFESTS[0], MANIFESTS[2], MANIFESTS[3]):
        payload = manifest.model_dump(mode="json", exclude={"kind", "manifest_version"})
        (tmp_path / "manifest.json").write_text(json.dumps(payload))
        assert read_manifest(tmp_path) == manifest


def test_a_stage_run_manifest_of_the_first_layout_keeps_its_links_and_settings(
    tmp_path: Path,
) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({
        "dataset": "coco", "candidates": "candidates", "tagger_id": "t@1",
        "save_threshold": 0.05, "images": 2, "top_predicates": {"on": 3},
        "tables": {"scene_graphs": {"schema_version": 1, "rows": 2, "shards": 1}},
    }))
    assert read_manifest(tmp_path) == StageRunManifest(
        command="tag", dataset=Path("coco"), candidates=Path("candidates"),
        settings={"tagger_id": "t@1", "save_threshold": 0.05},
        tables={"scene_graphs": TableCount(schema_version=1, rows=2, shards=1)},
    )


def test_a_newer_version_or_a_file_that_is_no_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(DATASET.model_dump(mode="json") | {"manifest_version": 2}))
    with pytest.raises(RLIPv2InputError, match="dataset manifest of version 2, written by a newer"):
        read_manifest(tmp_path)
    for text, message in (("{", "is not valid JSON"), ("[]", "is not a JSON object"),
                          ('{"kind": "dataset"}', "is not an rlipv2 manifest")):
        path.write_text(text)
        with pytest.raises(RLIPv2InputError, match=message):
            read_manifest(tmp_path)
    assert read_manifest(tmp_path / "elsewhere") is None


def test_the_dataset_manifest_and_its_image_root(tmp_path: Path) -> None:
    write_manifest(tmp_path, DATASET)
    assert read_dataset_manifest(tmp_path) == DATASET
    assert ingested_image_root(tmp_path) == Path("images")
    assert DATASET.missing_image_files() == 1
    write_manifest(tmp_path, DATASET.model_copy(update={"sources": DatasetSources()}))
    with pytest.raises(RLIPv2InputError, match="ingested without --image-root"):
        ingested_image_root(tmp_path)
    write_manifest(tmp_path, MANIFESTS[2])
    with pytest.raises(RLIPv2InputError, match="is not an ingested dataset"):
        read_dataset_manifest(tmp_path)

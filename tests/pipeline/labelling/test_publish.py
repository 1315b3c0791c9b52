"""Publishing a label run: copies, never links; and a full disk at any write leaves the previous
tables and manifest as they were (never tables without their manifest)."""

import errno
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from data_schemas.label_run_manifest import LabelRunManifest
from pipeline.labelling import publish
from pipeline.labelling.publish import publish_run

SPECS = (ds.IMAGES, ds.ENTITIES)


def shard_files(directory: Path, run: int) -> dict[ds.TableSpec, list[Path]]:
    """Two shards of images (ids ``run * 10 + shard``) and one empty entities shard."""
    images = [
        ds.write_table_atomic(ds.IMAGES.rows_to_arrow([{
            "image_id": run * 10 + shard, "dataset": "d", "split": "s", "file_name": "a.png",
            "width": 4, "height": 3,
        }]), directory / f"images-{run}-{shard}.parquet", ds.IMAGES)
        for shard in range(2)
    ]
    entities = ds.write_table_atomic(ds.ENTITIES.rows_to_arrow([]),
                                     directory / f"entities-{run}.parquet", ds.ENTITIES)
    return {ds.IMAGES: images, ds.ENTITIES: [entities]}


def manifest(run: int) -> LabelRunManifest:
    return LabelRunManifest(dataset=Path("coco"), plan={"run": run}, summary={"images": 2})


def published(out: Path) -> tuple[list[int], dict]:
    return (pq.read_table(out / "images").column("image_id").to_pylist(),
            json.loads((out / "manifest.json").read_text())["plan"])


def test_published_files_are_copies_not_links(tmp_path: Path) -> None:
    files = shard_files(tmp_path / "store", 1)
    publish_run(tmp_path / "out", files, manifest(1))
    assert published(tmp_path / "out") == ([10, 11], {"run": 1})
    shard = tmp_path / "out" / "images" / "shard-00000.parquet"
    assert shard.stat().st_nlink == 1 and files[ds.IMAGES][0].stat().st_nlink == 1
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "entities", "images", "manifest.json"
    ]


@pytest.mark.parametrize(("target", "calls"), [
    ("copyfile", 1), ("copyfile", 3), ("write_manifest", 1),
])
def test_a_full_disk_leaves_the_previous_tables_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, calls: int
) -> None:
    out = tmp_path / "out"
    publish_run(out, shard_files(tmp_path / "store", 1), manifest(1))
    second = shard_files(tmp_path / "store", 2)
    original = shutil.copyfile if target == "copyfile" else publish.write_manifest
    count = 0

    def full_disk(*args, **kwargs):
        nonlocal count
        count += 1
        if count == calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, **kwargs)

    monkeypatch.setattr(shutil if target == "copyfile" else publish, target, full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish_run(out, second, manifest(2))
    assert published(out) == ([10, 11], {"run": 1})
    assert sorted(path.name for path in out.iterdir()) == ["entities", "images", "manifest.json"]

    monkeypatch.undo()
    publish_run(out, second, manifest(2))
    assert published(out) == ([20, 21], {"run": 2})


def test_a_full_disk_at_the_first_publish_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish, "write_manifest", full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish_run(tmp_path / "out", shard_files(tmp_path / "store", 1), manifest(1))
    assert list((tmp_path / "out").iterdir()) == []

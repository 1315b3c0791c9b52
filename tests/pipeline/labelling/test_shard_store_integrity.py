"""The shard store trusts nothing it cannot verify: published tables are copies (editing one
cannot reach the store), and a reused shard whose files differ from what was stored (size or
SHA-256) is logged, removed and computed again."""

import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from labelling_world import (
    PUBLISHED_TABLES,
    LabellingWorld,
    label_in_a_loop,
    published_rows,
    world_models,
    world_plan,
)
from pipeline.labelling import LabelPlan, ShardStore
from pipeline.labelling.digests import file_digest
from pipeline.labelling.shard_store import ShardResult

SPECS = {"images": ds.IMAGES}
RECOMPUTING = "recomputing the shard"


def images_result(*image_ids: int) -> ShardResult:
    rows = [{"image_id": image_id, "dataset": "d", "split": "s", "file_name": f"{image_id}.png",
             "width": 4, "height": 3} for image_id in image_ids]
    return ShardResult(tables={"images": ds.IMAGES.rows_to_arrow(rows)})


def image_ids(path: Path) -> list[int]:
    return pq.read_table(path).column("image_id").to_pylist()


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_last_byte(path: Path) -> None:
    """Change one byte of ``path`` in place: the same size, another digest."""
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def write_another_manifest(path: Path) -> None:
    path.write_text("{ not json")


@pytest.mark.parametrize("damage", [truncate, flip_last_byte, write_another_manifest,
                                    Path.unlink], ids=lambda damage: damage.__name__)
def test_a_damaged_shard_is_logged_and_computed_again(
    damage, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ShardStore(tmp_path)
    stored = store.compute("stage", 0, "k0", SPECS, lambda: images_result(1, 2))
    table = stored.table_path(ds.IMAGES)
    assert stored.tables["images"].size == table.stat().st_size
    target = stored.directory / "manifest.json" if damage is write_another_manifest else table
    damage(target)

    with caplog.at_level(logging.WARNING, logger="pipeline.labelling.shard_store"):
        again = store.compute("stage", 0, "k0", SPECS, lambda: images_result(1, 2))
    assert not again.reused
    assert [record.getMessage() for record in caplog.records if RECOMPUTING in record.getMessage()
            ] != [], "the repair must be logged"
    assert image_ids(again.table_path(ds.IMAGES)) == [1, 2]
    assert file_digest(again.table_path(ds.IMAGES)) == again.tables["images"].digest
    reused = store.compute("stage", 0, "k0", SPECS, lambda: images_result(99))
    assert reused.reused and image_ids(reused.table_path(ds.IMAGES)) == [1, 2]


def test_an_intact_shard_is_reused_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ShardStore(tmp_path)
    store.compute("stage", 0, "k0", SPECS, lambda: images_result(1))
    with caplog.at_level(logging.WARNING, logger="pipeline.labelling.shard_store"):
        assert store.compute("stage", 0, "k0", SPECS, lambda: images_result(99)).reused
    assert caplog.records == []


# --- through a whole label run (the labelling world) ----------------------------------------


@pytest.fixture(scope="module")
def models(labelling_world: LabellingWorld) -> dict:
    """The real parser, matcher and tiny tagger, loaded once for the module."""
    return world_models(labelling_world)


def store_digests(out_dir: Path) -> dict[Path, str]:
    return {path: file_digest(path) for path in sorted((out_dir / "work").rglob("*.parquet"))}


def labelled(world: LabellingWorld, models: dict, out: Path) -> tuple[LabelPlan, dict]:
    """A finished label run of ``world`` into ``out`` (5 images a shard): its plan and rows."""
    plan = world_plan(world, out, images_per_shard=5)
    label_in_a_loop(plan, **models)
    return plan, published_rows(out)


def test_rewriting_a_published_table_in_place_leaves_the_store_and_a_rerun_republishes(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "out"
    plan, first = labelled(labelling_world, models, out)
    stored = store_digests(out)
    edited = out / "tagged_relations" / "shard-00000.parquet"
    assert edited.stat().st_nlink == 1, "a published file must not be a link to the store"
    table = pq.read_table(edited)
    pq.write_table(table.slice(0, table.num_rows // 2), edited)  # a user's edit, in place

    assert store_digests(out) == stored
    caplog.clear()  # the first run's records (INFO too, where a flow test routed stage logs)
    with caplog.at_level(logging.WARNING, logger="pipeline.labelling.shard_store"):
        _, summary = label_in_a_loop(plan, **models)
    assert summary.reused_shards == summary.stage_shards
    assert caplog.records == [], "the store is clean: nothing to repair"
    assert published_rows(out) == first


def test_a_truncated_shard_in_the_store_is_repaired_by_the_next_run(
    labelling_world: LabellingWorld, models: dict, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "out"
    plan, first = labelled(labelling_world, models, out)
    damaged = sorted((out / "work" / "tag").glob("shard-00001-*/tagged_relations.parquet"))
    assert len(damaged) == 1
    truncate(damaged[0])

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pipeline.labelling.shard_store"):
        _, summary = label_in_a_loop(plan, **models)
    assert [RECOMPUTING in record.getMessage() for record in caplog.records] == [True]
    assert summary.reused_shards == summary.stage_shards - 1
    assert published_rows(out) == first
    _, summary = label_in_a_loop(plan, **models)
    assert summary.reused_shards == summary.stage_shards
    assert set(published_rows(out)) == set(PUBLISHED_TABLES)

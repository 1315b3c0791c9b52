"""Bad input at scale for the training reader: a truncated or corrupt shard, a table whose
metadata claims a billion rows, an image file that disappears mid-run. Each is a clear error
naming the file (or a reject), nothing is published half-way, and the next run goes on."""

import shutil
import struct
from pathlib import Path

import pytest

import data_schemas as ds
from model.data import (
    ImageFileError,
    SceneGraphSource,
    build_pretrain_dataset,
    build_training_loader,
    read_scene_graph_annotations,
    read_training_annotations,
)
from scene_graph_tables import demo_config, mixed_records, write_scene_graphs


def two_shards(tmp_path: Path) -> Path:
    directory = write_scene_graphs(tmp_path / "sg", mixed_records())
    table = ds.read_table(directory, ds.SCENE_GRAPHS)
    ds.write_table_atomic(table, ds.shard_path(directory, 1), ds.SCENE_GRAPHS)
    return directory


def _varint(value: int) -> bytes:
    encoded = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        encoded.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(encoded)


def claim_rows(path: Path, true_rows: int, claimed_rows: int) -> None:
    """Rewrite the row counts in a Parquet footer (thrift compact i64 fields, zigzag varints)."""
    data = path.read_bytes()
    (footer_length,) = struct.unpack("<i", data[-8:-4])
    footer = data[-8 - footer_length : -8]
    old, new = (b"\x16" + _varint(rows << 1) for rows in (true_rows, claimed_rows))
    assert footer.count(old) >= 1, "no row count field found"
    footer = footer.replace(old, new)
    path.write_bytes(data[: -8 - footer_length] + footer + struct.pack("<i", len(footer)) + b"PAR1")


def test_a_truncated_shard_is_an_error_naming_it_and_publishes_nothing(
    tmp_path: Path, image_root: Path
) -> None:
    directory = two_shards(tmp_path)
    shard = ds.shard_path(directory, 1)
    good = shard.read_bytes()
    shard.write_bytes(good[: len(good) // 2])
    cache = tmp_path / "cache"
    source = SceneGraphSource(directory, image_root)
    with pytest.raises(ds.RLIPv2InputError, match=f"{shard} is not a readable Parquet file"):
        read_scene_graph_annotations(source, cache_dir=cache)
    assert list(cache.iterdir()) == []  # no store, no leftover
    shard.write_bytes(good)  # the shard restored, the next run reads both
    assert len(read_scene_graph_annotations(source, cache_dir=cache).annotations) == 2


def test_a_corrupt_row_group_is_an_error_naming_the_file(tmp_path: Path, image_root: Path) -> None:
    directory = two_shards(tmp_path)
    shard = ds.shard_path(directory, 0)
    data = bytearray(shard.read_bytes())
    data[8:400] = b"\xff" * 392  # the column chunks, not the footer
    shard.write_bytes(bytes(data))
    with pytest.raises(ds.RLIPv2InputError, match=f"{shard} is corrupt: row group 0"):
        read_scene_graph_annotations(SceneGraphSource(directory, image_root))


def test_a_billion_row_claim_is_an_error_and_allocates_nothing_for_it(
    tmp_path: Path, image_root: Path
) -> None:
    directory = two_shards(tmp_path)
    shard = ds.shard_path(directory, 1)
    claim_rows(shard, 3, 1_000_000_000)
    cache = tmp_path / "cache"
    with pytest.raises(ds.RLIPv2InputError,
                       match=f"{shard} is corrupt: row group 0 claims 1,000,000,000 rows but "
                             "holds 3"):
        read_scene_graph_annotations(SceneGraphSource(directory, image_root), cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_an_image_gone_mid_run_is_an_error_naming_it_and_the_next_run_sets_it_aside(
    tmp_path: Path, demo_source: SceneGraphSource
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for path in demo_source.image_root.iterdir():
        (images / path.name).write_bytes(path.read_bytes())
    config = demo_config(SceneGraphSource(demo_source.scene_graphs_dir, images))
    cache = tmp_path / "run" / "annotation-cache"
    dataset = build_pretrain_dataset(config, cache_dir=cache)
    gone = dataset.annotations[2].image_path
    gone.unlink()  # after the header checks: the run is under way
    with pytest.raises(ImageFileError, match=f"{gone} does not exist"):
        dataset[2]
    resumed = read_scene_graph_annotations(config.sources[0], cache_dir=cache)
    assert len(resumed.annotations) == len(dataset) - 1
    assert gone not in [annotation.image_path for annotation in resumed.annotations]
    (reject,) = resumed.rejects
    assert (reject.record_kind, reject.reason) == ("image", ds.RejectReason.MISSING_IMAGE_FILE)
    assert resumed.times.read_seconds == 0.0  # the store was found, only headers re-checked


def test_an_image_pool_gone_under_dataloader_workers_is_a_one_line_error_naming_a_file(
    tmp_path: Path, mixed_source: SceneGraphSource
) -> None:
    config = demo_config(mixed_source, images_without_relations="keep")
    data = build_training_loader(config, output_dir=tmp_path / "run", batch_size=1,
                                 num_workers=2, distributed=False, pin_memory=False)
    shutil.rmtree(mixed_source.image_root)  # the pool's mount is gone: the run is under way
    with pytest.raises(ImageFileError) as gone:
        next(iter(data.loader))
    message = str(gone.value)  # what `rlipv2: error: ...` prints
    assert "\n" not in message
    assert message.startswith(f"{mixed_source.image_root}/")
    assert message.endswith(" does not exist")
    assert gone.value.reason == ds.RejectReason.MISSING_IMAGE_FILE
    with pytest.raises(ds.RLIPv2InputError,  # the next run stops before its first step
                       match=f"image_root {mixed_source.image_root} of .* is not a directory"):
        read_training_annotations(config, cache_dir=tmp_path / "run" / "annotation-cache")

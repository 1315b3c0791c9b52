"""Objects365 ingest streams the file instead of loading it."""

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import data_schemas as ds
from demo_world import write_coco_shaped_annotations
from pipeline.ingest import ingest_coco_dataset


def peak_traced_memory(work: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_streaming_ingest_needs_a_fraction_of_the_memory_of_loading_the_file(
    tmp_path: Path,
) -> None:
    instances = tmp_path / "zhiyuan_objv2_train.json"
    write_coco_shaped_annotations(instances, num_images=10_000, seed=1, dataset="objects365")

    expected, loading_peak = peak_traced_memory(lambda: json.loads(instances.read_bytes()))
    summary, streaming_peak = peak_traced_memory(
        lambda: ingest_coco_dataset(instances, out_dir=tmp_path / "out", dataset="objects365",
                                    split="train", rows_per_shard=5_000)
    )

    assert streaming_peak < loading_peak / 4, (
        f"streaming peak {streaming_peak:,} B vs json.load peak {loading_peak:,} B"
    )
    assert summary.counts.images == len(expected["images"])
    assert summary.counts.entities + sum(summary.rejects.values()) == len(expected["annotations"])
    shards = sorted(p.name for p in (tmp_path / "out" / "entities").iterdir())
    assert len(shards) == -(-summary.counts.entities // 5_000)
    first = ds.read_table(tmp_path / "out" / "images", ds.IMAGES).to_pylist()[0]
    assert first["file_name"].startswith("images/v1/") and first["dataset"] == "objects365"

"""Detections files: Parquet and JSON round trips, and one clear line for each bad input."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_schemas.errors import RLIPv2InputError, SchemaMismatchError
from data_schemas.parquet_io import write_table_atomic
from data_schemas.relation_detections import RELATION_DETECTIONS
from evaluation import ImageDetections, read_detections, write_detections


def two_images() -> list[ImageDetections]:
    return [
        ImageDetections(
            image_id=3,
            boxes=[[0, 0, 10, 20], [5.5, 5, 30, 40], [1, 1, 1, 1]],
            labels=[0, 4, 2],
            subject_index=[0, 0],
            object_index=[1, 2],
            verb_scores=[[0.25, 0.5, 1.0], [0.0, 0.125, 0.75]],
        ),
        ImageDetections(
            image_id=8,
            boxes=np.zeros((0, 4)),
            labels=[],
            subject_index=[],
            object_index=[],
            verb_scores=[],
        ),
    ]


def assert_same(read: dict[int, ImageDetections], written: list[ImageDetections]) -> None:
    assert list(read) == [image.image_id for image in written]
    for image in written:
        for name in ("boxes", "labels", "subject_index", "object_index"):
            np.testing.assert_array_equal(getattr(read[image.image_id], name), getattr(image, name))
        assert read[image.image_id].verb_scores.size == image.verb_scores.size
        np.testing.assert_array_equal(
            read[image.image_id].verb_scores.reshape(-1), image.verb_scores.reshape(-1)
        )


@pytest.mark.parametrize("name", ["detections.parquet", "detections.json"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    images = two_images()
    path = write_detections(images, tmp_path / name)
    assert_same(read_detections(path), images)
    assert not [sibling for sibling in tmp_path.iterdir() if sibling.name.startswith(".")]


def test_a_directory_of_shards_reads_as_one_table(tmp_path: Path) -> None:
    images = two_images()
    write_detections(images[:1], tmp_path / "shards" / "shard-00000.parquet")
    write_detections(images[1:], tmp_path / "shards" / "shard-00001.parquet")
    assert_same(read_detections(tmp_path / "shards"), images)


def write_json_rows(path: Path, rows: list[dict], **header) -> Path:
    payload = {"table": "relation_detections", "schema_version": 1, "images": rows, **header}
    path.write_text(json.dumps(payload))
    return path


def row(**changes) -> dict:
    base = {
        "image_id": 1,
        "boxes": [[0, 0, 10, 10], [2, 2, 8, 9]],
        "labels": [0, 1],
        "subject_index": [0],
        "object_index": [1],
        "verb_scores": [[0.5, 0.25]],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row(verb_scores=[[float("nan"), 0.25]])], "image 1: a verb score is NaN"),
        ([row(verb_scores=[[1.5, 0.25]])], "image 1: a verb score is outside [0, 1]"),
        (
            [row(boxes=[[0, 0, 10, 10], [8, 2, 2, 9]])],
            "image 1: box 1 [8.0, 2.0, 2.0, 9.0] has x2 < x1",
        ),
        ([row(object_index=[2])], "image 1: a pair's object_index is outside the image's 2 boxes"),
        ([row(labels=[0, "cup"])], "images[0]: labels.1: Input should be a valid integer"),
        (
            [row(boxes=[[0, 0, 10], [2, 2, 8, 9]])],
            "images[0]: boxes.0: List should have at least 4 items",
        ),
        ([row(), row()], "image 1 is listed twice"),
        (
            [row(verb_scores=[[0.5, 0.25], [0.5, 0.25]])],
            "image 1: 1 subject indices, 1 object indices and 2",
        ),
    ],
)
def test_a_bad_json_row_is_one_clear_line(tmp_path: Path, rows: list[dict], expected: str) -> None:
    path = write_json_rows(tmp_path / "detections.json", rows)
    with pytest.raises(RLIPv2InputError) as error:
        read_detections(path)
    message = str(error.value)
    assert expected in message and str(path) in message and "\n" not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps([{"file_name": "a.jpg"}]), "is not an rlipv2 detections file"),
        (
            json.dumps({"table": "relation_detections", "schema_version": 7, "images": []}),
            "schema version 7",
        ),
        (
            json.dumps({"table": "relation_detections", "schema_version": 1, "images": {}}),
            '"images" must be a list',
        ),
    ],
)
def test_a_json_file_of_another_format_is_refused(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "detections.json"
    path.write_text(content)
    with pytest.raises(RLIPv2InputError, match=expected):
        read_detections(path)


def test_another_table_or_suffix_is_refused(tmp_path: Path) -> None:
    other = pa.table({"image_id": pa.array([1], pa.int64())})
    pq.write_table(other, tmp_path / "other.parquet")
    with pytest.raises(SchemaMismatchError, match="is not an rlipv2 table"):
        read_detections(tmp_path / "other.parquet")
    (tmp_path / "detections.pkl").write_bytes(b"\x80")
    with pytest.raises(RLIPv2InputError, match="expected detections as a .parquet file"):
        read_detections(tmp_path / "detections.pkl")
    for missing in ("missing.parquet", "missing.json"):
        with pytest.raises(RLIPv2InputError, match="does not exist"):
            read_detections(tmp_path / missing)


def test_parquet_pairs_with_different_verb_counts_are_refused(tmp_path: Path) -> None:
    table = RELATION_DETECTIONS.rows_to_arrow(
        [row(subject_index=[0, 0], object_index=[1, 1], verb_scores=[[0.5, 0.25], [0.5]])]
    )
    path = write_table_atomic(table, tmp_path / "detections.parquet", RELATION_DETECTIONS)
    with pytest.raises(
        RLIPv2InputError, match="image 1: pairs have different numbers of verb scores"
    ):
        read_detections(path)


def test_parquet_rows_are_checked_like_json_rows(tmp_path: Path) -> None:
    table = RELATION_DETECTIONS.rows_to_arrow([row(image_id=5, verb_scores=[[float("nan"), 0.1]])])
    path = write_table_atomic(table, tmp_path / "detections.parquet", RELATION_DETECTIONS)
    with pytest.raises(RLIPv2InputError, match="image 5: a verb score is NaN"):
        read_detections(path)

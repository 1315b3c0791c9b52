"""COCO-format ingest: kept rows, and each class of bad input rejected with its reason."""

import json
from pathlib import Path

import duckdb
import pytest

import data_schemas as ds
from conftest import write_json
from pipeline.ingest import MalformedJsonError, ingest_coco_dataset

CATEGORIES = [
    {"id": 1, "name": "person", "supercategory": "person"},
    {"id": 19, "name": "horse", "supercategory": "animal"},
]


def annotation(annotation_id: int, image_id: int, bbox: list, category_id: int = 1, **extra) -> dict:
    return {"id": annotation_id, "image_id": image_id, "category_id": category_id, "bbox": bbox,
            "area": 1.0, "iscrowd": 0, **extra}


def instances(images: list, annotations: list, categories: list = CATEGORIES) -> dict:
    return {"images": images, "annotations": annotations, "categories": categories}


GOOD_IMAGES = [
    {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
    {"id": 2, "file_name": "b.png", "width": 32, "height": 32},
]


def by_kind_reason_id(row: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return row[0], row[1], row[2] or ""


def rejects_by_kind_and_reason(out: Path) -> list[tuple[str, str, str | None]]:
    table = ds.read_table(out / "rejects", ds.REJECTS)
    rows = zip(table["record_kind"].to_pylist(), table["reason"].to_pylist(),
               table["record_id"].to_pylist())
    return sorted(rows, key=by_kind_reason_id)


def test_clean_file_is_ingested_with_boxes_converted_to_xyxy(tmp_path: Path, image_root: Path) -> None:
    path = write_json(tmp_path / "instances.json", instances(
        GOOD_IMAGES, [annotation(100, 1, [2, 3, 10, 20]), annotation(101, 2, [0, 0, 5.5, 5], 19)]
    ))
    summary = ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="coco", split="val",
                                  image_root=image_root)
    assert summary.counts.images == 2 and summary.counts.entities == 2
    assert summary.counts.categories == 2 and summary.rejects == {}
    entities = ds.ENTITIES.to_records(ds.read_table(tmp_path / "out" / "entities", ds.ENTITIES))
    assert entities[0] == ds.EntityRecord(entity_id=100, image_id=1, category_id=1,
                                          category_name="person", x1=2, y1=3, x2=12, y2=23)
    images = ds.IMAGES.to_records(ds.read_table(tmp_path / "out" / "images", ds.IMAGES))
    assert [(i.image_id, i.split, i.dataset, i.file_name) for i in images] == [
        (1, "val", "coco", "a.png"), (2, "val", "coco", "b.png")
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["tables"]["entities"] == {"schema_version": 1, "rows": 2, "shards": 1}


def test_each_bad_input_class_is_rejected_with_its_reason(tmp_path: Path, image_root: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"outside the root")
    images = GOOD_IMAGES + [
        {"id": 3, "file_name": "missing.png", "width": 10, "height": 10},
        {"id": 4, "file_name": "../../etc/passwd", "width": 10, "height": 10},
        {"id": 5, "file_name": "/etc/passwd", "width": 10, "height": 10},
        {"id": 6, "file_name": "../secret.png", "width": 10, "height": 10},
        {"id": 1, "file_name": "c.png", "width": 40, "height": 30},
        {"id": 7, "file_name": "c.png", "width": 0, "height": 30},
        {"file_name": "c.png", "width": 40, "height": 30},
    ]
    annotations = [
        annotation(100, 1, [2, 3, 10, 20]),
        annotation(101, 1, [60, 40, 20, 20]),
        annotation(102, 1, [70, 50, 5, 5]),
        annotation(103, 1, [1, 1, 0, 5]),
        annotation(104, 1, [1, 1, 5, 5], category_id=99),
        annotation(105, 1, [1, 1, float("inf"), 5]),
        annotation(106, 1, [1, 1, 5, 5], iscrowd=1),
        annotation(100, 2, [1, 1, 5, 5]),
        annotation(107, 3, [1, 1, 5, 5]),
        annotation(108, 42, [1, 1, 5, 5]),
        annotation(109, 2, [1, 1, 5]),
        {"id": 110, "image_id": "2", "category_id": 1, "bbox": [1, 1, 2, 2]},
        annotation(111, 2, [1, 1, 5, 5], category_id=7),
    ]
    categories = CATEGORIES + [
        {"id": 7, "name": " No Objects"},  # the model's reserved text
        {"id": 7, "name": "dog"},  # the id of a rejected category is still taken
    ]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(instances(images, annotations, categories)))  # bare Infinity

    summary = ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="coco", split="train",
                                  image_root=image_root)

    assert summary.counts.images == 2
    assert summary.counts.entities == 2, "box 100 kept, box 101 kept after clipping"
    assert summary.counts.clipped_boxes == 1
    assert rejects_by_kind_and_reason(tmp_path / "out") == sorted([
        ("image", "missing_image_file", "3"),
        ("image", "path_escapes_root", "4"),
        ("image", "path_escapes_root", "5"),
        ("image", "path_escapes_root", "6"),
        ("image", "duplicate_id", "1"),
        ("image", "malformed_record", "7"),
        ("image", "malformed_record", None),
        ("annotation", "degenerate_box", "102"),
        ("annotation", "degenerate_box", "103"),
        ("annotation", "unknown_category", "104"),
        ("annotation", "non_finite_box", "105"),
        ("annotation", "crowd", "106"),
        ("annotation", "duplicate_id", "100"),
        ("annotation", "image_rejected", "107"),
        ("annotation", "unknown_image", "108"),
        ("annotation", "malformed_record", "109"),
        ("annotation", "malformed_record", "110"),
        ("annotation", "unknown_category", "111"),
        ("category", "reserved_name", "7"),
        ("category", "duplicate_id", "7"),
    ], key=by_kind_reason_id)
    assert sum(summary.rejects.values()) == 20
    clipped = ds.read_table(tmp_path / "out" / "entities", ds.ENTITIES).to_pylist()[1]
    assert (clipped["x1"], clipped["y1"], clipped["x2"], clipped["y2"]) == (60, 40, 64, 48)


def test_path_escape_is_refused_even_without_an_image_root(tmp_path: Path) -> None:
    path = write_json(tmp_path / "instances.json", instances(
        [{"id": 1, "file_name": "ok/x.jpg", "width": 8, "height": 8},
         {"id": 2, "file_name": "ok/../../x.jpg", "width": 8, "height": 8},
         {"id": 3, "file_name": "C:\\data\\x.jpg", "width": 8, "height": 8}], []
    ))
    summary = ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")
    assert summary.counts.images == 1
    assert summary.rejects == {ds.RejectReason.PATH_ESCAPES_ROOT: 2}


def test_paths_the_system_refuses_are_rejects_not_a_crash(
    tmp_path: Path, image_root: Path
) -> None:
    (image_root / "loop.png").symlink_to(image_root / "loop.png")
    path = write_json(tmp_path / "instances.json", instances(
        GOOD_IMAGES + [{"id": 3, "file_name": "loop.png", "width": 8, "height": 8},
                       {"id": 4, "file_name": "x" * 300 + ".png", "width": 8, "height": 8}], []
    ))
    summary = ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s",
                                  image_root=image_root)
    assert summary.counts.images == 2
    assert rejects_by_kind_and_reason(tmp_path / "out") == [
        ("image", "unreadable_image", "3"), ("image", "unreadable_image", "4")
    ]


def test_captions_are_numbered_per_image_and_bad_ones_rejected(
    tmp_path: Path, image_root: Path
) -> None:
    instances_path = write_json(tmp_path / "instances.json", instances(GOOD_IMAGES, []))
    captions_path = write_json(tmp_path / "captions.json", {"images": GOOD_IMAGES, "annotations": [
        {"id": 1, "image_id": 1, "caption": "A man  riding a horse.\n"},
        {"id": 2, "image_id": 2, "caption": "two dogs"},
        {"id": 3, "image_id": 1, "caption": "a horse"},
        {"id": 4, "image_id": 1, "caption": "   "},
        {"id": 5, "image_id": 9, "caption": "nobody's image"},
        {"id": 3, "image_id": 2, "caption": "duplicate id"},
    ]})
    summary = ingest_coco_dataset(instances_path, captions_json=captions_path,
                                  out_dir=tmp_path / "out", dataset="coco", split="train",
                                  image_root=image_root)
    captions = ds.CAPTIONS.to_records(ds.read_table(tmp_path / "out" / "captions", ds.CAPTIONS))
    assert [(c.image_id, c.caption_index, c.text, c.method) for c in captions] == [
        (1, 0, "A man riding a horse.", "human"),
        (2, 0, "two dogs", "human"),
        (1, 1, "a horse", "human"),
    ]
    assert summary.rejects == {ds.RejectReason.EMPTY_TEXT: 1, ds.RejectReason.UNKNOWN_IMAGE: 1,
                               ds.RejectReason.DUPLICATE_ID: 1}


def test_malformed_json_is_one_clear_error_with_position_and_no_output(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text('{"categories": [{"id": 1, "name": "person"}],\n "images": [{"id": 1,, }]}')
    with pytest.raises(MalformedJsonError, match=r"line 2, column \d+ \(byte \d+\)"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["instances.json"], "staging dir left behind"


def test_truncated_large_file_reports_a_position(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("pipeline.ingest.json_stream._EXACT_POSITION_MAX_BYTES", 10)
    path = tmp_path / "instances.json"
    path.write_text('{"categories": [{"id": 1, "name": "person"}],\n"images": [{"id": 1, "file')
    with pytest.raises(MalformedJsonError, match=r"before line 2, column \d+ \(byte \d+ of \d+\)"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")


def test_not_a_coco_file_is_a_clear_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", {"categories": CATEGORIES, "something": []})
    with pytest.raises(ds.RLIPv2InputError, match="no entries under 'images'"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    path = write_json(tmp_path / "i.json", instances(GOOD_IMAGES, []))
    ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")
    with pytest.raises(ds.RLIPv2InputError, match="--overwrite"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")
    ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c2", split="s", overwrite=True)
    assert ds.read_table(tmp_path / "out" / "images", ds.IMAGES)["dataset"][0].as_py() == "c2"


def test_duckdb_reads_the_output(tmp_path: Path, image_root: Path) -> None:
    path = write_json(tmp_path / "instances.json", instances(
        GOOD_IMAGES, [annotation(100, 1, [2, 3, 10, 20]), annotation(101, 2, [0, 0, 5, 5], 19),
                      annotation(102, 2, [1, 1, 5, 5], 19)]
    ))
    ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="coco", split="val")
    rows = duckdb.sql(
        f"SELECT category_name, count(*) FROM '{tmp_path}/out/entities/*.parquet' "
        "GROUP BY category_name ORDER BY category_name"
    ).fetchall()
    assert rows == [("horse", 2), ("person", 1)]


def test_an_image_size_beyond_the_int32_column_rejects_the_image_not_the_file(
    tmp_path: Path,
) -> None:
    path = write_json(tmp_path / "instances.json", instances(
        [{"id": 1, "file_name": "a.png", "width": 2**31, "height": 48}, GOOD_IMAGES[1]], []
    ))
    summary = ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")
    assert summary.counts.images == 1
    assert rejects_by_kind_and_reason(tmp_path / "out") == [
        ("image", ds.RejectReason.MALFORMED_RECORD.value, "1")
    ]


def test_an_integer_beyond_64_bits_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text('{"categories": [{"id": 1, "name": "person", "area": 0.12345678901234567890123}],'
                    '\n "images": [{"id": 18446744073709551616}]}')
    with pytest.raises(MalformedJsonError, match=r"integer at line 2, column 20 \(byte 100\) does "
                                                 r"not fit in 64 bits"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")


def test_int64s_least_value_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text('{"images": [{"id": 1, "width": -9223372036854775808}]}')
    with pytest.raises(MalformedJsonError, match=r"integer at line 1, column 32 \(byte 31\) does "
                                                 r"not fit in 64 bits"):
        ingest_coco_dataset(path, out_dir=tmp_path / "out", dataset="c", split="s")

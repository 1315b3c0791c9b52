"""Round trips of every table schema, and refusal of other tables, versions and shapes."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

import data_schemas as ds
from data_schemas.image_files import image_file_location_problem
from data_schemas.table_spec import SCHEMA_VERSION_KEY, TableSpec

MATCH = ds.MatchEvidence(
    caption_index=2,
    triplet_index=0,
    subject_words="man",
    subject_synonym="man",
    object_words="horses",
    object_synonym="horse",
)

EXAMPLES: dict[str, list] = {
    "images": [
        ds.ImageRecord(
            image_id=7, dataset="coco", split="train", file_name="a/b.jpg", width=640, height=480
        )
    ],
    "categories": [
        ds.CategoryRecord(dataset="coco", category_id=1, name="person", supercategory="person"),
        ds.CategoryRecord(dataset="vg", category_id=2, name="dining table"),
    ],
    "entities": [
        ds.EntityRecord(
            entity_id=10, image_id=7, category_id=1, category_name="person",
            x1=1.5, y1=2.0, x2=30.0, y2=40.25,
        )
    ],
    "captions": [
        ds.CaptionRecord(
            image_id=7, caption_index=0, text="a man riding a horse", method="nucleus",
            decoding=ds.DecodingSettings(top_p=0.9, max_length=20, min_length=5,
                                         repetition_penalty=1.1, seed=3),
            captioner_id="Salesforce/blip-image-captioning-large",
        ),
        ds.CaptionRecord(
            image_id=7, caption_index=1, text="a horse", method="human",
            decoding=ds.DecodingSettings(), captioner_id="captions_train2017.json",
        ),
    ],
    "triplets": [
        ds.TripletRecord(
            image_id=7, caption_index=0, triplet_index=0,
            subject=ds.PhraseMention(span="a man", lemma_span="a man", head="man", lemma_head="man"),
            relation="riding", relation_lemma="ride",
            object=ds.PhraseMention(span="two horses", lemma_span="two horse", head="horses",
                                    lemma_head="horse"),
        )
    ],
    "candidates": [
        ds.CandidateRecord(image_id=7, subject_entity_id=10, object_entity_id=11,
                           relation="riding", provenance=[MATCH, MATCH])
    ],
    "tagged_relations": [
        ds.TaggedRelationRecord(image_id=7, subject_entity_id=10, object_entity_id=11,
                                relation="riding", score=0.73, tagger_id="tagger@abc",
                                provenance=[]),
    ],
    "relations": [
        ds.RelationRecord(relationship_id=1, image_id=7, subject_entity_id=10,
                          object_entity_id=11, predicate="riding", confidence=None),
        ds.RelationRecord(relationship_id=2, image_id=7, subject_entity_id=11,
                          object_entity_id=10, predicate="under", confidence=0.4),
    ],
    "scene_graphs": [
        ds.SceneGraphRecord(
            image_id=7, dataset="coco", split="train", file_name="a/b.jpg", width=640, height=480,
            objects=[
                ds.SceneGraphObject(entity_id=10, category_id=1, category_name="person",
                                    x1=1, y1=2, x2=30, y2=40),
                ds.SceneGraphObject(entity_id=11, category_id=19, category_name="horse",
                                    x1=5, y1=20, x2=90, y2=100),
            ],
            relationships=[
                ds.SceneGraphRelationship(relationship_id=1, subject_entity_id=10,
                                          object_entity_id=11, predicate="riding"),
                ds.SceneGraphRelationship(relationship_id=2, subject_entity_id=11,
                                          object_entity_id=10, predicate="under", confidence=0.3),
            ],
        )
    ],
    "rejects": [
        ds.RejectRecord(stage="ingest", source_file="x.json", record_kind="image", record_id="3",
                        image_id=3, reason=ds.RejectReason.MISSING_IMAGE_FILE, detail="gone"),
    ],
}


def test_every_table_has_an_example() -> None:
    assert {spec.name for spec in ds.ALL_TABLES} == set(EXAMPLES)


@pytest.mark.parametrize("spec", ds.ALL_TABLES, ids=lambda spec: spec.name)
def test_round_trip_through_parquet(spec: TableSpec, tmp_path: Path) -> None:
    records = EXAMPLES[spec.name]
    path = ds.write_table_atomic(spec.to_arrow(records), tmp_path / "t.parquet", spec)
    table = ds.read_table(path, spec)
    assert spec.to_records(table) == records
    metadata = pq.read_schema(path).metadata
    assert metadata[SCHEMA_VERSION_KEY] == str(spec.version).encode()
    assert not [p for p in tmp_path.iterdir() if p.name != "t.parquet"], "temp file left behind"


def test_other_schema_version_is_refused(tmp_path: Path) -> None:
    newer = TableSpec(name="images", version=2, schema=ds.IMAGES.schema, record_type=ds.ImageRecord)
    path = ds.write_table_atomic(newer.to_arrow(EXAMPLES["images"]), tmp_path / "i.parquet", newer)
    with pytest.raises(ds.SchemaMismatchError, match="schema version 2.*reads version 1"):
        ds.read_table(path, ds.IMAGES)


def test_other_table_is_refused(tmp_path: Path) -> None:
    path = ds.write_table_atomic(
        ds.CATEGORIES.to_arrow(EXAMPLES["categories"]), tmp_path / "c.parquet", ds.CATEGORIES
    )
    with pytest.raises(ds.SchemaMismatchError, match="holds table 'categories', expected 'images'"):
        ds.read_table(path, ds.IMAGES)


def test_other_shape_with_same_version_is_refused(tmp_path: Path) -> None:
    table = pa.table({"image_id": [1], "dataset": ["x"]}).replace_schema_metadata(
        ds.IMAGES.metadata
    )
    pq.write_table(table, tmp_path / "i.parquet")
    with pytest.raises(ds.SchemaMismatchError, match="missing 'split'"):
        ds.read_table(tmp_path / "i.parquet", ds.IMAGES)


def test_plain_parquet_file_is_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp_path / "plain.parquet")
    with pytest.raises(ds.SchemaMismatchError, match="not an rlipv2 table"):
        ds.read_table(tmp_path / "plain.parquet", ds.IMAGES)


def test_sharded_writer_numbers_shards_and_reader_concatenates(tmp_path: Path) -> None:
    writer = ds.ShardedTableWriter(tmp_path / "images", ds.IMAGES, rows_per_shard=2)
    for image_id in range(5):
        writer.append(
            {"image_id": image_id, "dataset": "d", "split": "s", "file_name": f"{image_id}.png",
             "width": 4, "height": 3}
        )
    shards = writer.close()
    assert [path.name for path in shards] == [
        "shard-00000.parquet", "shard-00001.parquet", "shard-00002.parquet"
    ]
    (tmp_path / "images" / ".shard-00003.parquet.abc.tmp").write_bytes(b"half written")
    table = ds.read_table(tmp_path / "images", ds.IMAGES)
    assert table.column("image_id").to_pylist() == [0, 1, 2, 3, 4]


def test_empty_table_still_gets_a_shard(tmp_path: Path) -> None:
    shards = ds.ShardedTableWriter(tmp_path / "rejects", ds.REJECTS, rows_per_shard=10).close()
    assert len(shards) == 1
    assert ds.read_table(tmp_path / "rejects", ds.REJECTS).num_rows == 0


def test_records_refuse_invalid_values() -> None:
    with pytest.raises(ValidationError, match="x2 > x1"):
        ds.EntityRecord(entity_id=1, image_id=1, category_id=1, category_name="a",
                        x1=5, y1=0, x2=5, y2=3)
    with pytest.raises(ValidationError, match="not a path under the image root"):
        ds.ImageRecord(image_id=1, dataset="d", split="s", file_name="../x.png", width=1, height=1)
    with pytest.raises(ValidationError, match="same entity"):
        ds.RelationRecord(relationship_id=1, image_id=1, subject_entity_id=3,
                          object_entity_id=3, predicate="on")
    with pytest.raises(ValidationError, match="not among the image's objects"):
        ds.SceneGraphRecord(
            image_id=1, dataset="d", split="s", file_name="x.png", width=9, height=9, objects=[],
            relationships=[ds.SceneGraphRelationship(relationship_id=1, subject_entity_id=1,
                                                     object_entity_id=2, predicate="on")],
        )


def test_read_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ds.RLIPv2InputError, match="does not exist"):
        ds.read_table(tmp_path / "nope", ds.IMAGES)


def test_an_image_file_location_is_checked_on_disk_and_never_raises(tmp_path: Path) -> None:
    root = (tmp_path / "images").resolve()
    root.mkdir()
    (root / "a.png").write_bytes(b"any bytes")
    (root / "folder.png").mkdir()
    (root / "loop.png").symlink_to(root / "loop.png")
    (tmp_path / "outside.png").write_bytes(b"any bytes")
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    (root / "dangling.png").symlink_to(root / "gone.png")
    expected = {
        "a.png": None,
        "missing.png": (ds.RejectReason.MISSING_IMAGE_FILE, "does not exist"),
        "dangling.png": (ds.RejectReason.MISSING_IMAGE_FILE, "does not exist"),
        "../outside.png": (ds.RejectReason.PATH_ESCAPES_ROOT, "outside the image root"),
        "link.png": (ds.RejectReason.PATH_ESCAPES_ROOT, "outside the image root"),
        "folder.png": (ds.RejectReason.UNREADABLE_IMAGE, "not a regular file"),
        "loop.png": (ds.RejectReason.UNREADABLE_IMAGE, "cannot resolve"),
        "x" * 300 + ".png": (ds.RejectReason.UNREADABLE_IMAGE, "File name too long"),
        "nul\x00.png": (ds.RejectReason.UNREADABLE_IMAGE, "null"),
    }
    for file_name, reason_and_words in expected.items():
        problem = image_file_location_problem(root / file_name, image_root=root)
        if reason_and_words is None:
            assert problem is None
        else:
            reason, words = reason_and_words
            assert problem is not None and problem.reason == reason, file_name
            assert words in problem.detail, (file_name, problem.detail)

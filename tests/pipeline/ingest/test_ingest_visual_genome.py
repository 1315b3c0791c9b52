"""Visual Genome ingest: entities from objects and relationships, GT relations, scene graphs."""

from pathlib import Path

import pyarrow.parquet as pq

import data_schemas as ds
from conftest import write_json
from pipeline.ingest import ingest_visual_genome_dataset


def vg_object(object_id: int, x: float, y: float, w: float, h: float, name: str) -> dict:
    return {"object_id": object_id, "x": x, "y": y, "w": w, "h": h, "names": [name]}


def relationship(relationship_id: int, predicate: str, subject: dict, object_: dict) -> dict:
    return {"relationship_id": relationship_id, "predicate": predicate, "subject": subject,
            "object": object_}


def write_vg(tmp_path: Path) -> tuple[Path, Path, Path]:
    man, horse = vg_object(1, 2, 2, 20, 30, "Man"), vg_object(2, 10, 20, 40, 20, "horse")
    hat = {"object_id": 3, "x": 5, "y": 0, "w": 8, "h": 5, "name": "hat"}
    image_data = write_json(tmp_path / "image_data.json", [
        {"image_id": 1, "width": 64, "height": 48, "url": "https://x.org/VG_100K/a.png"},
        {"image_id": 2, "width": 32, "height": 32, "url": "", "file_name": "b.png"},
        {"image_id": 3, "width": 32, "height": 32, "url": "", "file_name": "../../etc/passwd"},
    ])
    objects = write_json(tmp_path / "objects.json", [
        {"image_id": 1, "objects": [man, horse, vg_object(4, 1, 1, 0, 5, "stick")]},
        {"image_id": 2, "objects": [vg_object(5, 1, 1, 5, 5, "cup"),
                                    vg_object(6, 8, 8, 5, 5, "dining table"),
                                    vg_object(7, 2, 2, 5, 5, "No  Objects")]},
    ])
    relationships = write_json(tmp_path / "relationships.json", [
        {"image_id": 1, "relationships": [
            relationship(10, "Riding ", man, horse),
            relationship(11, "wearing", man, hat),
            relationship(12, "", man, horse),
            relationship(13, "holding", man, vg_object(4, 1, 1, 0, 5, "stick")),
            relationship(14, "near", horse, horse),
            relationship(10, "on", man, horse),
        ]},
        {"image_id": 2, "relationships": [
            relationship(20, "on", vg_object(5, 1, 1, 5, 5, "cup"),
                         vg_object(6, 8, 8, 5, 5, "dining table")),
            relationship(21, "near", vg_object(5, 1, 1, 5, 5, "cup"), man),
            relationship(22, "near", vg_object(5, 1, 1, 5, 5, "cup"),
                         vg_object(7, 2, 2, 5, 5, "No  Objects")),
        ]},
        {"image_id": 3, "relationships": [relationship(30, "on", man, horse)]},
    ])
    return image_data, objects, relationships


def test_visual_genome_ingest(tmp_path: Path, image_root: Path) -> None:
    (image_root / "VG_100K").mkdir()
    (image_root / "a.png").rename(image_root / "VG_100K" / "a.png")
    image_data, objects, relationships = write_vg(tmp_path)
    out = tmp_path / "out"
    summary = ingest_visual_genome_dataset(
        image_data, objects_json=objects, relationships_json=relationships, out_dir=out,
        dataset="vg", split="train", image_root=image_root,
    )
    assert summary.counts.images == 2
    assert summary.counts.entities == 5, "man, horse, cup, table from objects + hat from a relation"
    assert summary.counts.relations == 3
    assert summary.rejects == {
        ds.RejectReason.DEGENERATE_BOX: 1,
        ds.RejectReason.EMPTY_TEXT: 1,
        ds.RejectReason.UNKNOWN_ENTITY: 3,  # one of them on the object named "no objects"
        ds.RejectReason.RESERVED_NAME: 1,
        ds.RejectReason.SELF_RELATION: 1,
        ds.RejectReason.DUPLICATE_ID: 1,
        ds.RejectReason.PATH_ESCAPES_ROOT: 1,
        ds.RejectReason.IMAGE_REJECTED: 1,
    }
    relations = ds.RELATIONS.to_records(ds.read_table(out / "relations", ds.RELATIONS))
    assert [(r.relationship_id, r.subject_entity_id, r.predicate, r.object_entity_id,
             r.confidence) for r in relations] == [
        (10, 1, "riding", 2, None), (11, 1, "wearing", 3, None), (20, 5, "on", 6, None)
    ]
    categories = ds.read_table(out / "categories", ds.CATEGORIES).to_pylist()
    assert [(c["category_id"], c["name"]) for c in categories] == [
        (1, "man"), (2, "horse"), (3, "cup"), (4, "dining table"), (5, "hat")
    ]
    graphs = ds.SCENE_GRAPHS.to_records(ds.read_table(out / "scene_graphs", ds.SCENE_GRAPHS))
    assert [g.file_name for g in graphs] == ["VG_100K/a.png", "b.png"]
    assert [o.entity_id for o in graphs[0].objects] == [1, 2, 3]
    assert [r.predicate for r in graphs[0].relationships] == ["riding", "wearing"]
    assert [r.predicate for r in graphs[1].relationships] == ["on"]


def test_scene_graph_files_are_versioned(tmp_path: Path) -> None:
    image_data, objects, relationships = write_vg(tmp_path)
    ingest_visual_genome_dataset(image_data, relationships_json=relationships, out_dir=tmp_path / "o",
                                 dataset="vg", split="val")
    metadata = pq.read_schema(tmp_path / "o" / "scene_graphs" / "shard-00000.parquet").metadata
    assert metadata[b"rlipv2.table"] == b"scene_graphs"
    assert metadata[b"rlipv2.schema_version"] == b"1"


def test_a_confidence_is_read_back_and_a_bad_one_is_rejected(tmp_path: Path) -> None:
    man, horse = vg_object(1, 2, 2, 20, 30, "man"), vg_object(2, 10, 20, 40, 20, "horse")
    image_data = write_json(tmp_path / "image_data.json", [
        {"image_id": 1, "width": 64, "height": 48, "url": "", "file_name": "a.png"},
    ])
    confidences = {10: 0.25, 11: None, 12: 1.5, 13: "high", 14: True, 15: float("nan")}
    entries = []
    for relationship_id, confidence in confidences.items():
        entry = relationship(relationship_id, "riding", man, horse)
        if confidence is not None:
            entry["confidence"] = confidence
        entries.append(entry)
    relationships = write_json(
        tmp_path / "relationships.json", [{"image_id": 1, "relationships": entries}]
    )
    summary = ingest_visual_genome_dataset(
        image_data, relationships_json=relationships, out_dir=tmp_path / "out", dataset="vg",
        split="train",
    )
    assert summary.rejects == {ds.RejectReason.MALFORMED_RECORD: 4}
    relations = ds.RELATIONS.to_records(ds.read_table(tmp_path / "out" / "relations", ds.RELATIONS))
    assert [(r.relationship_id, r.confidence) for r in relations] == [(10, 0.25), (11, None)]

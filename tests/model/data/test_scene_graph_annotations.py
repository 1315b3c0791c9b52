"""Reading scene graphs for training: confidence filtering, pairing, and what is set aside."""

import logging
from dataclasses import replace
from pathlib import Path

import pytest

import data_schemas as ds
from conftest import write_image
from data_schemas.relation_confidence import keeps_relationship
from model.data import (
    RelationFilterCounts,
    SceneGraphSource,
    build_pretrain_dataset,
    read_scene_graph_annotations,
)
from model.data.scene_graph_annotations import STAGE
from model.targets import NO_OBJECT_TEXT
from scene_graph_tables import (
    HAT,
    HORSE,
    MAN,
    demo_config,
    relationship,
    scene_graph,
    scene_object,
    write_scene_graph_rows,
    write_scene_graphs,
)


def test_human_relations_always_kept_pseudo_iff_at_threshold() -> None:
    assert keeps_relationship(None, 1.0)
    assert keeps_relationship(0.2, 0.2) and not keeps_relationship(0.19, 0.2)


def test_confidence_filter_and_pair_grouping(mixed_source: SceneGraphSource) -> None:
    reading = read_scene_graph_annotations(mixed_source, relation_threshold=0.2)
    annotations, counts = reading.annotations, reading.counts
    assert [annotation.image_id for annotation in annotations] == [1]  # 2 and 3 dropped
    assert (counts.images_read, counts.images_kept, counts.images_dropped) == (3, 1, 2)
    assert (counts.relations_read, counts.relations_kept) == (7, 5)
    assert counts.relations_below_threshold == 2
    (annotation,) = annotations
    assert annotation.image_path == mixed_source.image_root / "a.png"
    pairs = {(pair.subject_name, pair.object_name): pair for pair in annotation.pairs}
    assert set(pairs) == {("man", "horse"), ("man", "hat"), ("horse", "man")}
    assert pairs["man", "horse"].predicates == ("riding", "on")  # duplicate "riding" counted once
    assert pairs["man", "hat"].predicates == ("wearing",)
    assert pairs["horse", "man"].predicates == ("under",)
    assert pairs["man", "horse"].subject_box == MAN and pairs["man", "horse"].object_box == HORSE
    assert counts.pairs_kept == 3
    assert annotation.unrelated_entities == ()  # man, horse and hat are all related


def test_objects_in_no_kept_relation_are_unrelated_entities(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [
        scene_object(1, "man", MAN), scene_object(2, "horse", HORSE), scene_object(3, "hat", HAT),
        scene_object(4, "man", (40, 30, 50, 46)), scene_object(5, "man", (40, 30, 50, 46)),
        scene_object(6, NO_OBJECT_TEXT, (1, 1, 3, 3)), scene_object(7, "horse", MAN),
    ]
    relationships = [relationship(1, 1, 2, "riding", None), relationship(2, 1, 3, "wearing", 0.1)]
    source = SceneGraphSource(
        write_scene_graphs(tmp_path / "sg", [scene_graph(1, "a.png", (64, 48), objects,
                                                         relationships)]),
        image_root,
    )
    (annotation,) = read_scene_graph_annotations(source, relation_threshold=0.2).annotations
    assert [(entity.name, entity.box) for entity in annotation.unrelated_entities] == [
        ("hat", HAT),  # its relationship is below the threshold
        ("man", (40, 30, 50, 46)),  # once, though annotated twice
        ("horse", MAN),  # the man's box, but another name
    ]  # the object called "no objects" is left out


def test_threshold_zero_keeps_every_image(mixed_source: SceneGraphSource) -> None:
    reading = read_scene_graph_annotations(mixed_source, relation_threshold=0.0)
    annotations, counts = reading.annotations, reading.counts
    assert [annotation.image_id for annotation in annotations] == [1, 2]
    assert counts.relations_below_threshold == 0 and counts.images_dropped == 1


def counts_add_up(counts: RelationFilterCounts) -> bool:
    return (
        counts.images_read == counts.images_kept + counts.images_dropped + counts.images_rejected
        and counts.relations_read
        == counts.relations_kept + counts.relations_below_threshold + counts.relations_rejected
    )


def test_malformed_relationships_are_rejected_and_the_rest_kept(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE),
               scene_object(3, NO_OBJECT_TEXT, HAT), scene_object(4, "No  Objects", HAT)]
    relationships = [
        relationship(1, 1, 2, "riding", None),
        relationship(2, 1, 9, "holding", 0.9),  # entity 9 does not exist
        relationship(3, 3, 2, "on", None),  # subject called "no objects"
        relationship(4, 1, 9, "near", 0.01),  # malformed and below the threshold: rejected
        relationship(5, 2, 1, "under", 0.1),
        relationship(6, 1, 4, "near", None),  # object reserved in another case and spacing
    ]
    row = scene_graph(7, "a.png", (64, 48), objects, []).model_dump()
    row["relationships"] = [r.model_dump() for r in relationships]  # the record type refuses
    source = SceneGraphSource(write_scene_graph_rows(tmp_path / "sg", [row]), image_root)
    reading = read_scene_graph_annotations(source, relation_threshold=0.2)
    (annotation,) = reading.annotations
    assert [(pair.subject_name, pair.object_name, pair.predicates) for pair in annotation.pairs] == [
        ("man", "horse", ("riding",))
    ]
    assert [(r.record_kind, r.record_id, r.image_id, r.reason) for r in reading.rejects] == [
        ("relationship", "2", 7, ds.RejectReason.UNKNOWN_ENTITY),
        ("relationship", "3", 7, ds.RejectReason.RESERVED_NAME),
        ("relationship", "4", 7, ds.RejectReason.UNKNOWN_ENTITY),
        ("relationship", "6", 7, ds.RejectReason.RESERVED_NAME),
    ]
    assert all(r.stage == STAGE and r.source_file == str(source.scene_graphs_dir)
               for r in reading.rejects)
    assert "entity 9" in reading.rejects[0].detail and "subject" in reading.rejects[1].detail
    counts = reading.counts
    assert (counts.relations_kept, counts.relations_below_threshold,
            counts.relations_rejected) == (1, 1, 4)
    assert annotation.unrelated_entities == ()  # neither reserved object is a negative
    assert counts_add_up(counts)


def test_unusable_image_files_are_rejected_with_their_relations(
    tmp_path: Path, image_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = write_image(tmp_path / "outside.png", 64, 48)
    (image_root / "link.png").symlink_to(outside)
    (image_root / "loop.png").symlink_to(image_root / "loop.png")
    (image_root / "text.png").write_text("not an image")
    (image_root / "folder.png").mkdir()
    write_image(image_root / "small.png", 63, 48)
    reasons = {
        "a.png": None,
        "missing.png": ds.RejectReason.MISSING_IMAGE_FILE,
        "../outside.png": ds.RejectReason.PATH_ESCAPES_ROOT,
        "link.png": ds.RejectReason.PATH_ESCAPES_ROOT,
        "loop.png": ds.RejectReason.UNREADABLE_IMAGE,  # the system refuses these three paths
        "x" * 300 + ".png": ds.RejectReason.UNREADABLE_IMAGE,
        "nul\x00.png": ds.RejectReason.UNREADABLE_IMAGE,
        "text.png": ds.RejectReason.UNREADABLE_IMAGE,
        "folder.png": ds.RejectReason.UNREADABLE_IMAGE,
        "small.png": ds.RejectReason.IMAGE_SIZE_MISMATCH,
    }
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE)]
    rows = [
        scene_graph(index, "a.png", (64, 48), objects,
                    [relationship(1, 1, 2, "riding", None), relationship(2, 1, 2, "riding", 0.5),
                     relationship(3, 2, 1, "under", 0.1)]
                    ).model_dump() | {"file_name": name}  # the record type refuses "../"
        for index, name in enumerate(reasons)
    ]
    source = SceneGraphSource(write_scene_graph_rows(tmp_path / "sg", rows), image_root)
    with caplog.at_level(logging.WARNING):
        reading = read_scene_graph_annotations(source, relation_threshold=0.2)
    assert [annotation.image_id for annotation in reading.annotations] == [0]
    assert [(r.record_kind, r.image_id, r.reason) for r in reading.rejects] == [
        ("image", index, reason) for index, reason in enumerate(reasons.values()) if reason
    ]
    assert "63x48" in reading.rejects[-1].detail
    assert "is not a regular file" in reading.rejects[-2].detail
    counts = reading.counts
    assert (counts.images_kept, counts.images_rejected) == (1, 9)
    # each rejected image's two kept relationships (one pair) are rejected; "under" stays below
    assert (counts.relations_kept, counts.relations_rejected, counts.pairs_kept) == (2, 18, 1)
    assert counts.relations_below_threshold == 10
    assert counts_add_up(counts)
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings[0].startswith(
        f"rejected image 1 of {source.scene_graphs_dir}: missing_image_file ("
    )
    assert sum(": unreadable_image (" in warning for warning in warnings) == 5
    assert "more unreadable_image rejects" not in " ".join(warnings)  # only beyond five


def test_a_source_without_any_usable_image_is_an_input_error(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE)]
    record = scene_graph(1, "gone.png", (64, 48), objects, [relationship(1, 1, 2, "on", None)])
    source = SceneGraphSource(write_scene_graphs(tmp_path / "sg", [record]), image_root)
    with pytest.raises(ds.RLIPv2InputError,
                       match=r"none of the 1 images .* \(1 missing_image_file\); is image_root"):
        build_pretrain_dataset(demo_config(source))
    with pytest.raises(ds.RLIPv2InputError, match="is not a directory"):
        build_pretrain_dataset(demo_config(replace(source, image_root=tmp_path / "nowhere")))



"""The annotation store: column-wise pairing edge cases, memory-mapped columns, pickling as a
path, and the cache that builds a table's store once and finds it afterwards."""

import gc
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from model.data import SceneGraphSource, read_scene_graph_annotations
from model.data.annotation_build import ReadingSettings
from model.data.annotation_cache import shared_annotation_store, store_key
from scene_graph_tables import (
    HORSE,
    MAN,
    mixed_records,
    relationship,
    scene_graph,
    scene_object,
    write_scene_graph_rows,
    write_scene_graphs,
)

SETTINGS = ReadingSettings(relation_threshold=0.2)


def one_image_source(tmp_path: Path, image_root: Path, objects, relationships) -> SceneGraphSource:
    row = scene_graph(1, "a.png", (64, 48), [], []).model_dump()
    row["objects"], row["relationships"] = objects, relationships
    return SceneGraphSource(write_scene_graph_rows(tmp_path / "sg", [row]), image_root)


def test_boxes_are_compared_as_the_tables_float64_and_kept_as_float32(
    tmp_path: Path, image_root: Path
) -> None:
    almost = (2.0, 4.0, 30.0, 40.0 + 1e-9)  # the same float32 box as MAN, another float64 one
    objects = [scene_object(*entity).model_dump() for entity in
               ((1, "man", MAN), (2, "horse", HORSE), (3, "man", almost), (4, "man", MAN))]
    source = one_image_source(tmp_path, image_root, objects,
                              [relationship(1, 1, 2, "riding", None).model_dump()])
    (annotation,) = read_scene_graph_annotations(source).annotations
    # object 3 differs from the rider in float64: an unrelated entity; object 4 equals it
    assert [(entity.name, entity.box) for entity in annotation.unrelated_entities] == [
        ("man", tuple(np.float32(almost).tolist()))
    ]
    assert annotation.pairs[0].subject_box == MAN


def test_an_entity_id_shared_by_two_objects_names_the_last(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [scene_object(*entity).model_dump() for entity in
               ((1, "man", MAN), (2, "horse", HORSE), (2, "dog", (1, 1, 9, 9)))]
    source = one_image_source(tmp_path, image_root, objects, [
        relationship(1, 1, 2, "riding", None).model_dump(),
        relationship(2, 1, 2, "near", None).model_dump(),
        relationship(3, 1, 2, "riding", 0.9).model_dump(),
    ])
    (annotation,) = read_scene_graph_annotations(source).annotations
    assert [(pair.object_name, pair.predicates) for pair in annotation.pairs] == [
        ("dog", ("riding", "near"))
    ]
    assert [entity.name for entity in annotation.unrelated_entities] == ["horse"]


def test_nan_boxes_equal_nothing_but_themselves(tmp_path: Path, image_root: Path) -> None:
    cup = scene_object(2, "cup", (1, 1, 5, 5)).model_dump() | {"x1": float("nan")}
    objects = [scene_object(1, "man", MAN).model_dump(), cup, cup | {"entity_id": 3}]
    source = one_image_source(tmp_path, image_root, objects,
                              [relationship(1, 1, 2, "holding", None).model_dump()])
    (annotation,) = read_scene_graph_annotations(source).annotations
    assert len(annotation.pairs) == 1
    assert [entity.name for entity in annotation.unrelated_entities] == ["cup"]


def test_empty_table_and_images_without_objects(tmp_path: Path, image_root: Path) -> None:
    source = one_image_source(tmp_path, image_root, [], [])
    keep = read_scene_graph_annotations(source, images_without_relations="keep")
    (annotation,) = keep.annotations
    assert annotation.pairs == () and annotation.unrelated_entities == ()
    assert keep.counts.images_without_relations == 1
    empty = SceneGraphSource(write_scene_graph_rows(tmp_path / "empty", []), image_root)
    assert len(read_scene_graph_annotations(empty).annotations) == 0


def test_store_columns_are_read_only_maps_and_a_store_pickles_as_its_path(
    mixed_source: SceneGraphSource, tmp_path: Path
) -> None:
    store = shared_annotation_store(mixed_source.scene_graphs_dir, SETTINGS, tmp_path / "c").store
    for column in store.columns.values():
        assert isinstance(column, np.memmap) and not column.flags.writeable
    pickled = pickle.dumps(store)
    assert len(pickled) < 300 + len(str(store.directory))
    copy = pickle.loads(pickled)
    assert copy.annotation(0, Path("/images")) == store.annotation(0, Path("/images"))


def test_the_cache_builds_once_and_rebuilds_when_table_or_settings_change(
    mixed_source: SceneGraphSource, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    table = mixed_source.scene_graphs_dir
    first = shared_annotation_store(table, SETTINGS, cache)
    again = shared_annotation_store(table, SETTINGS, cache)
    assert not first.found and again.found and again.store.directory == first.store.directory
    assert again.times.read_seconds == 0.0
    lower = shared_annotation_store(table, ReadingSettings(relation_threshold=0.0), cache)
    keep = shared_annotation_store(table, ReadingSettings(0.2, "keep"), cache)
    assert (len(first.store), len(lower.store), len(keep.store)) == (1, 2, 3)
    key = store_key(table, SETTINGS)
    write_scene_graphs(table, mixed_records()[:2])  # the table changed: another store
    assert store_key(table, SETTINGS) != key
    changed = shared_annotation_store(table, SETTINGS, cache)
    assert not changed.found
    assert sorted(path.name.startswith("annotations-") for path in cache.iterdir()) == [True] * 4


def test_a_killed_build_leaves_no_store_and_its_leftover_is_cleared(
    mixed_source: SceneGraphSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    directory = cache / f"annotations-{store_key(mixed_source.scene_graphs_dir, SETTINGS)}"
    cache.mkdir()
    dead = cache / f".{directory.name}.staging-{os.uname().nodename}-999999999-0123abcd"
    dead.mkdir()  # what a build killed at pid 999999999 left
    (dead / "image_ids.bin").write_bytes(b"\0" * 8)
    cached = shared_annotation_store(mixed_source.scene_graphs_dir, SETTINGS, cache)
    assert not cached.found and len(cached.store) == 1
    assert [path.name for path in cache.iterdir()] == [directory.name]


def test_a_private_store_is_removed_once_unused(mixed_source: SceneGraphSource) -> None:
    reading = read_scene_graph_annotations(mixed_source)
    directory = reading.annotations.selections[0].store.directory
    assert directory.is_dir()
    del reading
    gc.collect()
    assert not directory.parent.exists()

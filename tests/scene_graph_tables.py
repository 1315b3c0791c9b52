"""Small training data for the training-data tests: hand-made scene-graph tables, the demo world
ingested as Visual Genome, and a label vocabulary."""

from pathlib import Path

import data_schemas as ds
from demo_world import write_demo_world
from model.data import (
    CropConfig,
    LabelVocabulary,
    PretrainDataConfig,
    SceneGraphSource,
    TextSamplingConfig,
    TransformConfig,
)
from pipeline.ingest import ingest_visual_genome_dataset

SMALL_TRANSFORM = TransformConfig(
    shorter_sides=(40, 56, 72),
    max_size=120,
    eval_shorter_side=64,
    crop=CropConfig(probability=0.5, pre_crop_shorter_sides=(96,), min_size=48, max_size=80),
)
SMALL_TEXTS = TextSamplingConfig(total_texts=30)


def scene_object(entity_id: int, name: str, box: tuple[float, float, float, float]):
    x1, y1, x2, y2 = box
    return ds.SceneGraphObject(
        entity_id=entity_id, category_id=entity_id, category_name=name, x1=x1, y1=y1, x2=x2, y2=y2
    )


def relationship(relationship_id: int, subject: int, object_: int, predicate: str, confidence):
    return ds.SceneGraphRelationship(
        relationship_id=relationship_id,
        subject_entity_id=subject,
        object_entity_id=object_,
        predicate=predicate,
        confidence=confidence,
    )


def scene_graph(image_id: int, file_name: str, size: tuple[int, int], objects, relationships):
    return ds.SceneGraphRecord(
        image_id=image_id,
        dataset="hand",
        split="train",
        file_name=file_name,
        width=size[0],
        height=size[1],
        objects=objects,
        relationships=relationships,
    )


def write_scene_graphs(directory: Path, records: list[ds.SceneGraphRecord]) -> Path:
    return write_scene_graph_rows(directory, [record.model_dump() for record in records])


def write_scene_graph_rows(directory: Path, rows: list[dict]) -> Path:
    """Rows as another tool may write them: not validated by the record type."""
    table = ds.SCENE_GRAPHS.rows_to_arrow(rows)
    ds.write_table_atomic(table, ds.shard_path(directory, 0), ds.SCENE_GRAPHS)
    return directory


VOCABULARY = LabelVocabulary(  # one frequent entity and relation, rare others
    entity_counts=(("person", 10_000),) + tuple((f"thing {index}", 1) for index in range(20)),
    relation_counts=(("on", 5_000), ("holding", 3), ("riding", 2), ("near", 1)),
)


MAN, HORSE, HAT = (2, 4, 30, 40), (20, 20, 60, 46), (8, 2, 20, 10)


def mixed_records() -> list[ds.SceneGraphRecord]:
    """Image 1 mixes human and pseudo relations; image 2 has only a weak one; image 3 none."""
    objects = [
        scene_object(1, "man", MAN), scene_object(2, "horse", HORSE), scene_object(3, "hat", HAT)
    ]
    return [
        scene_graph(1, "a.png", (64, 48), objects, [
            relationship(1, 1, 2, "riding", None),
            relationship(2, 1, 3, "wearing", 0.5),
            relationship(3, 2, 3, "near", 0.1),
            relationship(4, 1, 2, "on", 0.2),
            relationship(5, 1, 2, "riding", 0.9),
            relationship(6, 2, 1, "under", None),
        ]),
        scene_graph(2, "b.png", (32, 32), [scene_object(1, "cup", (1, 1, 6, 6)),
                                            scene_object(2, "table", (8, 8, 30, 30))],
                    [relationship(7, 1, 2, "on", 0.19)]),
        scene_graph(3, "c.png", (40, 30), [scene_object(1, "cup", (1, 1, 6, 6))], []),
    ]


def ingest_demo_source(root: Path, *, num_images: int, seed: int) -> SceneGraphSource:
    """A demo world of ``num_images`` images under ``root``, its human relations ingested as
    Visual Genome scene graphs."""
    paths = write_demo_world(root / "world", num_images=num_images, seed=seed)
    ingest_visual_genome_dataset(
        paths.vg_image_data_json,
        relationships_json=paths.vg_relationships_json,
        objects_json=paths.vg_objects_json,
        out_dir=root / "ingested",
        dataset="demo_vg",
        split="train",
    )
    return SceneGraphSource(root / "ingested" / ds.SCENE_GRAPHS.name, paths.images_dir)


def demo_config(source: SceneGraphSource, **overrides) -> PretrainDataConfig:
    settings = {"sources": (source,), "transform": SMALL_TRANSFORM, "text_sampling": SMALL_TEXTS}
    return PretrainDataConfig(**(settings | overrides))



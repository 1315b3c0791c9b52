"""Relation annotations read from ``scene_graphs`` tables: filtered by confidence, grouped by pair.

Human annotations (``confidence`` None) and pseudo-labels share the table; a relationship is kept
iff ``confidence is None or confidence >= relation_threshold`` (RLIPv2 pre-trains with 0.20).
Kept relationships are grouped into unique ordered (subject, object) pairs, each with the set of
its predicates; an image left without any pair is dropped. The image's other objects are kept
as its unrelated entities (the R-Tagger's negatives).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import read_table
from data_schemas.relation_confidence import (
    DEFAULT_RELATION_THRESHOLD,
    check_relation_threshold,
    keeps_relationship,
)
from data_schemas.scene_graphs import SCENE_GRAPHS
from model.targets import NO_OBJECT_TEXT

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 in absolute pixels of the original image (x right, y down)."""


@dataclass(frozen=True)
class SceneGraphSource:
    """A ``scene_graphs`` table (shard directory) and the root its ``file_name``s are under."""

    scene_graphs_dir: Path
    image_root: Path


@dataclass(frozen=True)
class RelationPair:
    """One unique ordered (subject, object) pair of an image and every predicate kept for it.

    Boxes are xyxy in absolute pixels of the original image. ``predicates`` is non-empty, without
    duplicates, in the order the table first lists them.
    """

    subject_name: str
    object_name: str
    subject_box: Box
    object_box: Box
    predicates: tuple[str, ...]


@dataclass(frozen=True)
class UnrelatedEntity:
    """An object of an image that is in none of its kept relationships; ``box`` as in
    :class:`RelationPair`. The R-Tagger pairs it into negatives; pre-training ignores it."""

    name: str
    box: Box


@dataclass(frozen=True)
class ImageAnnotation:
    """An image file, its size as recorded in the table, its relation pairs (at least one) and
    its other objects."""

    image_path: Path
    dataset: str
    image_id: int
    width: int
    height: int
    pairs: tuple[RelationPair, ...]
    unrelated_entities: tuple[UnrelatedEntity, ...] = ()


@dataclass(frozen=True)
class RelationFilterCounts:
    """What confidence filtering kept and dropped (relationships are counted before pairing)."""

    images_read: int = 0
    images_kept: int = 0
    images_dropped: int = 0
    relations_read: int = 0
    relations_kept: int = 0
    relations_below_threshold: int = 0
    pairs_kept: int = 0

    def __add__(self, other: "RelationFilterCounts") -> "RelationFilterCounts":
        return RelationFilterCounts(
            images_read=self.images_read + other.images_read,
            images_kept=self.images_kept + other.images_kept,
            images_dropped=self.images_dropped + other.images_dropped,
            relations_read=self.relations_read + other.relations_read,
            relations_kept=self.relations_kept + other.relations_kept,
            relations_below_threshold=self.relations_below_threshold
            + other.relations_below_threshold,
            pairs_kept=self.pairs_kept + other.pairs_kept,
        )


def group_relation_pairs(
    row: Mapping, relation_threshold: float
) -> tuple[tuple[RelationPair, ...], int]:
    """One ``scene_graphs`` row -> its kept pairs and the number of relationships kept.

    Duplicate (subject, object, predicate) relationships count once in a pair's predicates.

    Raises:
        RLIPv2InputError: a relationship names an entity the row has no object for, or an object
            is called :data:`NO_OBJECT_TEXT` (reserved for unmatched slots).
    """
    objects = {scene_object["entity_id"]: scene_object for scene_object in row["objects"]}
    predicates_by_pair: dict[tuple[int, int], dict[str, None]] = {}
    relations_kept = 0
    for relationship in row["relationships"]:
        if not keeps_relationship(relationship["confidence"], relation_threshold):
            continue
        relations_kept += 1
        key = (relationship["subject_entity_id"], relationship["object_entity_id"])
        predicates_by_pair.setdefault(key, {})[relationship["predicate"]] = None
    pairs = tuple(
        _relation_pair(row, objects, subject_id, object_id, tuple(predicates))
        for (subject_id, object_id), predicates in predicates_by_pair.items()
    )
    return pairs, relations_kept


def objects_in_no_pair(
    row: Mapping, pairs: tuple[RelationPair, ...]
) -> tuple[UnrelatedEntity, ...]:
    """The row's objects that are no pair's subject or object (compared by name and box), once
    each; objects called :data:`NO_OBJECT_TEXT` are left out, as no text may name them."""
    related = {(pair.subject_name, pair.subject_box) for pair in pairs}
    related |= {(pair.object_name, pair.object_box) for pair in pairs}
    entities: dict[tuple[str, Box], None] = {}
    for scene_object in row["objects"]:
        name = scene_object["category_name"]
        box = (scene_object["x1"], scene_object["y1"], scene_object["x2"], scene_object["y2"])
        if name != NO_OBJECT_TEXT and (name, box) not in related:
            entities[(name, box)] = None
    return tuple(UnrelatedEntity(name=name, box=box) for name, box in entities)


def _relation_pair(
    row: Mapping,
    objects: Mapping[int, Mapping],
    subject_id: int,
    object_id: int,
    predicates: tuple[str, ...],
) -> RelationPair:
    entities = []
    for entity_id in (subject_id, object_id):
        entity = objects.get(entity_id)
        if entity is None:
            raise RLIPv2InputError(
                f"image {row['image_id']} ({row['file_name']}): a relationship refers to entity "
                f"{entity_id}, which is not among the image's objects"
            )
        if entity["category_name"] == NO_OBJECT_TEXT:
            raise RLIPv2InputError(
                f"image {row['image_id']} ({row['file_name']}): category name "
                f"{NO_OBJECT_TEXT!r} is reserved for unmatched entity slots; rename it"
            )
        entities.append(entity)
    subject, object_ = entities
    return RelationPair(
        subject_name=subject["category_name"],
        object_name=object_["category_name"],
        subject_box=(subject["x1"], subject["y1"], subject["x2"], subject["y2"]),
        object_box=(object_["x1"], object_["y1"], object_["x2"], object_["y2"]),
        predicates=predicates,
    )


def annotate_rows(
    rows: Iterable[Mapping], *, image_root: Path, relation_threshold: float
) -> tuple[list[ImageAnnotation], RelationFilterCounts]:
    """``scene_graphs`` rows -> annotations of the images that keep at least one pair."""
    check_relation_threshold(relation_threshold)
    annotations: list[ImageAnnotation] = []
    images_read = relations_read = relations_kept = 0
    for row in rows:
        images_read += 1
        relations_read += len(row["relationships"])
        pairs, kept = group_relation_pairs(row, relation_threshold)
        relations_kept += kept
        if pairs:
            annotations.append(
                ImageAnnotation(
                    image_path=image_root / row["file_name"],
                    dataset=row["dataset"],
                    image_id=row["image_id"],
                    width=row["width"],
                    height=row["height"],
                    pairs=pairs,
                    unrelated_entities=objects_in_no_pair(row, pairs),
                )
            )
    counts = RelationFilterCounts(
        images_read=images_read,
        images_kept=len(annotations),
        images_dropped=images_read - len(annotations),
        relations_read=relations_read,
        relations_kept=relations_kept,
        relations_below_threshold=relations_read - relations_kept,
        pairs_kept=sum(len(annotation.pairs) for annotation in annotations),
    )
    return annotations, counts


def read_scene_graph_annotations(
    source: SceneGraphSource, *, relation_threshold: float = DEFAULT_RELATION_THRESHOLD
) -> tuple[list[ImageAnnotation], RelationFilterCounts]:
    """Read one ``scene_graphs`` table (a shard directory or one file) and filter it.

    Raises:
        RLIPv2InputError: the table is missing, another table or schema version, or inconsistent.
    """
    table = read_table(source.scene_graphs_dir, SCENE_GRAPHS)
    annotations: list[ImageAnnotation] = []
    counts = RelationFilterCounts()
    for record_batch in table.to_batches():
        batch_annotations, batch_counts = annotate_rows(
            record_batch.to_pylist(),
            image_root=source.image_root,
            relation_threshold=relation_threshold,
        )
        annotations.extend(batch_annotations)
        counts += batch_counts
    logger.info(
        "%s: kept %d of %d images (%d dropped without relations), %d of %d relations "
        "(%d below confidence %.2f), %d pairs",
        source.scene_graphs_dir,
        counts.images_kept,
        counts.images_read,
        counts.images_dropped,
        counts.relations_kept,
        counts.relations_read,
        counts.relations_below_threshold,
        relation_threshold,
        counts.pairs_kept,
    )
    return annotations, counts

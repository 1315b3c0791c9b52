"""``scene_graphs`` record batches -> training annotations as numpy columns, without a Python
object per image.

The rules are those of :mod:`model.data.scene_graph_annotations`, computed column-wise:

- a relationship whose subject or object is not among the image's objects, or is called
  "no objects" (any case), is rejected (subject before object, missing before reserved); an
  entity id that several objects share names the last of them;
- the others are kept iff ``confidence is None or confidence >= relation_threshold``;
- kept relationships are grouped into unique (subject id, object id) pairs in the order the table
  first lists them, each with its distinct predicates in first-listed order;
- an image's entities are the distinct (name, box) of its pairs' subjects and objects, in the
  order the pairs first name them, then its other objects (not reserved, not equal in name and
  box to a related entity), each distinct (name, box) once, in table order. Boxes are compared
  as the table's float64 values (-0.0 equals 0.0; a NaN equals nothing) and kept as float32,
  the precision the transforms compute in;
- images without a kept pair are dropped, or kept when ``keep_images_without_relations``.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_schemas.categories import is_reserved_category_name

PROBLEM_NONE, SUBJECT_MISSING, SUBJECT_RESERVED, OBJECT_MISSING, OBJECT_RESERVED = range(5)
"""Per relationship: why it cannot be trained on (see :func:`relationship_problems`)."""


class TextIndex:
    """Distinct texts numbered in order of first sight (entity names, predicates, datasets)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._ids: dict[str, int] = {}

    def ids(self, texts: pa.Array) -> np.ndarray:
        """int32 id of each text of ``texts`` (an Arrow string array), numbering new ones."""
        encoded = pc.dictionary_encode(texts)
        dictionary_ids = np.array(
            [self._id(text) for text in encoded.dictionary.to_pylist()], dtype=np.int32
        )
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        return dictionary_ids[indices] if len(indices) else np.zeros(0, dtype=np.int32)

    def _id(self, text: str) -> int:
        if text not in self._ids:
            self._ids[text] = len(self.texts)
            self.texts.append(text)
        return self._ids[text]


@dataclass(frozen=True)
class BatchColumns:
    """One record batch flattened: per image, per object and per relationship columns.

    Object and relationship rows of image ``i`` are ``object_offsets[i]:object_offsets[i + 1]``
    and likewise; names, predicates and datasets are :class:`TextIndex` ids.
    """

    image_ids: np.ndarray  # (num_images,) int64
    dataset_ids: np.ndarray  # (num_images,) int32
    file_names: pa.Array  # (num_images,) string
    widths: np.ndarray  # (num_images,) int32
    heights: np.ndarray  # (num_images,) int32
    object_offsets: np.ndarray  # (num_images + 1,) int64
    entity_ids: np.ndarray  # (num_objects,) int64: each object's entity id
    object_names: np.ndarray  # (num_objects,) int32
    object_boxes: np.ndarray  # (num_objects, 4) float64 xyxy absolute
    relationship_offsets: np.ndarray  # (num_images + 1,) int64
    relationship_ids: np.ndarray  # (num_relationships,) int64
    subject_entity_ids: np.ndarray  # (num_relationships,) int64
    object_entity_ids: np.ndarray  # (num_relationships,) int64
    predicates: np.ndarray  # (num_relationships,) int32
    confidences: np.ndarray  # (num_relationships,) float64, NaN where None
    human: np.ndarray  # (num_relationships,) bool: confidence is None

    @property
    def num_images(self) -> int:
        return len(self.image_ids)


def flatten_batch(
    batch: pa.RecordBatch, *, names: TextIndex, predicates: TextIndex, datasets: TextIndex
) -> BatchColumns:
    """The columns of a ``scene_graphs`` record batch (its schema already checked)."""
    objects, relationships = batch.column("objects"), batch.column("relationships")
    flat_objects, flat_relationships = objects.flatten(), relationships.flatten()

    def field(struct: pa.Array, name: str) -> np.ndarray:
        return pc.struct_field(struct, name).to_numpy(zero_copy_only=False)

    confidence = pc.struct_field(flat_relationships, "confidence")
    return BatchColumns(
        image_ids=batch.column("image_id").to_numpy(zero_copy_only=False),
        dataset_ids=datasets.ids(batch.column("dataset")),
        file_names=batch.column("file_name"),
        widths=batch.column("width").to_numpy(zero_copy_only=False),
        heights=batch.column("height").to_numpy(zero_copy_only=False),
        object_offsets=_offsets(objects),
        entity_ids=field(flat_objects, "entity_id"),
        object_names=names.ids(pc.struct_field(flat_objects, "category_name")),
        object_boxes=np.stack(
            [field(flat_objects, name) for name in ("x1", "y1", "x2", "y2")], axis=1
        ).reshape(-1, 4),
        relationship_offsets=_offsets(relationships),
        relationship_ids=field(flat_relationships, "relationship_id"),
        subject_entity_ids=field(flat_relationships, "subject_entity_id"),
        object_entity_ids=field(flat_relationships, "object_entity_id"),
        predicates=predicates.ids(pc.struct_field(flat_relationships, "predicate")),
        confidences=confidence.fill_null(np.nan).to_numpy(zero_copy_only=False),
        human=confidence.is_null().to_numpy(zero_copy_only=False),
    )


def _offsets(lists: pa.ListArray) -> np.ndarray:
    lengths = lists.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64)
    return np.concatenate([[0], np.cumsum(lengths)])


@dataclass(frozen=True)
class RelationshipProblems:
    """Per relationship: its problem code, and the rows of its subject and object (-1: none)."""

    codes: np.ndarray  # (num_relationships,) int8, PROBLEM_NONE ... OBJECT_RESERVED
    subject_rows: np.ndarray  # (num_relationships,) int64 object rows
    object_rows: np.ndarray  # (num_relationships,) int64


def relationship_problems(columns: BatchColumns, reserved: np.ndarray) -> RelationshipProblems:
    """Resolve each relationship's entity ids to object rows of its image (the last object with
    that id) and say what is wrong with it; ``reserved`` flags the reserved name ids."""
    object_images = _row_images(columns.object_offsets)
    relationship_images = _row_images(columns.relationship_offsets)
    num_objects, num_relationships = len(object_images), len(relationship_images)
    # Entity ids ranked over the batch, so that (image, entity id) fits one int64 key.
    _, ranks = np.unique(
        np.concatenate([columns.entity_ids, columns.subject_entity_ids,
                        columns.object_entity_ids]),
        return_inverse=True,
    )
    ranks = ranks.reshape(-1)
    num_ranks = int(ranks.max()) + 1 if len(ranks) else 1
    object_keys = object_images * num_ranks + ranks[:num_objects]
    order = np.lexsort((np.arange(num_objects), object_keys))
    sorted_keys = object_keys[order]
    last_of_key = np.ones(num_objects, dtype=bool)
    last_of_key[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    unique_keys, unique_rows = sorted_keys[last_of_key], order[last_of_key]

    def rows_of(entity_ranks: np.ndarray) -> np.ndarray:
        keys = relationship_images * num_ranks + entity_ranks
        if not num_objects:
            return np.full(len(keys), -1, dtype=np.int64)
        positions = np.minimum(np.searchsorted(unique_keys, keys), len(unique_keys) - 1)
        return np.where(unique_keys[positions] == keys, unique_rows[positions], -1)

    subject_rows = rows_of(ranks[num_objects:num_objects + num_relationships])
    object_rows = rows_of(ranks[num_objects + num_relationships:])
    row_reserved = np.append(reserved[columns.object_names], False)  # row -1: not reserved
    codes = np.select(
        [subject_rows < 0, row_reserved[subject_rows], object_rows < 0, row_reserved[object_rows]],
        [SUBJECT_MISSING, SUBJECT_RESERVED, OBJECT_MISSING, OBJECT_RESERVED],
        PROBLEM_NONE,
    ).astype(np.int8)
    return RelationshipProblems(codes=codes, subject_rows=subject_rows, object_rows=object_rows)


def reserved_flags(names: TextIndex, *, known: np.ndarray) -> np.ndarray:
    """(num_names,) bool: the name is "no objects" in some case or spacing; ``known`` holds
    the flags of the first names already."""
    new = [is_reserved_category_name(name) for name in names.texts[len(known):]]
    return np.concatenate([known, np.array(new, dtype=bool)])


@dataclass(frozen=True)
class PairedImages:
    """The images a batch keeps, as columns. Entity, pair and predicate rows of kept image ``k``
    are ``entity_offsets[k]:entity_offsets[k + 1]`` and likewise; a pair's subject and object
    index the image's entities (related ones first: ``0 .. max referenced``)."""

    image_rows: np.ndarray  # (num_kept,) int64 rows of the batch
    relations_kept: np.ndarray  # (num_kept,) int32 relationships kept per image
    entity_offsets: np.ndarray  # (num_kept + 1,) int64
    entity_names: np.ndarray  # (num_entities,) int32
    entity_boxes: np.ndarray  # (num_entities, 4) float32 xyxy absolute
    pair_offsets: np.ndarray  # (num_kept + 1,) int64
    pair_subjects: np.ndarray  # (num_pairs,) int32 image-local entity index
    pair_objects: np.ndarray  # (num_pairs,) int32
    predicate_offsets: np.ndarray  # (num_pairs + 1,) int64
    predicates: np.ndarray  # (num_pair_predicates,) int32


def pair_relations(
    columns: BatchColumns,
    problems: RelationshipProblems,
    *,
    reserved: np.ndarray,
    relation_threshold: float,
    keep_images_without_relations: bool,
) -> PairedImages:
    """Group the kept relationships into pairs and list each kept image's entities;
    ``reserved`` flags the reserved name ids."""
    relationship_images = _row_images(columns.relationship_offsets)
    valid = problems.codes == PROBLEM_NONE
    kept = np.flatnonzero(valid & (columns.human | (columns.confidences >= relation_threshold)))
    num_objects = len(columns.entity_ids)
    pair_keys = problems.subject_rows[kept] * num_objects + problems.object_rows[kept]
    pair_of_kept, pair_first = _first_seen_groups(pair_keys)
    pair_relationships = kept[pair_first]  # the first relationship of each pair
    pair_images = relationship_images[pair_relationships]
    num_pairs = len(pair_first)

    # Each pair's distinct predicates, in the order the table first lists them.
    num_predicates = int(columns.predicates.max()) + 1 if len(columns.predicates) else 1
    predicate_keys = pair_of_kept * num_predicates + columns.predicates[kept]
    unique_keys, first_index = np.unique(predicate_keys, return_index=True)
    order = np.lexsort((first_index, unique_keys // num_predicates))
    predicate_pairs = (unique_keys // num_predicates)[order]

    num_images = columns.num_images
    has_pair = np.bincount(pair_images, minlength=num_images) > 0
    keep_image = np.ones(num_images, dtype=bool) if keep_images_without_relations else has_pair
    image_rows = np.flatnonzero(keep_image)
    entities = _image_entities(
        columns,
        named_rows=np.stack(
            [problems.subject_rows[pair_relationships], problems.object_rows[pair_relationships]],
            axis=1,
        ).reshape(-1),  # subject, object of pair 0, then of pair 1, ...
        keep_image=keep_image,
        reserved=reserved,
    )
    relations_kept = np.bincount(relationship_images[kept], minlength=num_images)
    return PairedImages(
        image_rows=image_rows,
        relations_kept=relations_kept[image_rows].astype(np.int32),
        entity_offsets=_offsets_of(entities.images, image_rows, num_images),
        entity_names=columns.object_names[entities.rows],
        entity_boxes=columns.object_boxes[entities.rows].astype(np.float32),
        pair_offsets=_offsets_of(pair_images, image_rows, num_images),
        pair_subjects=entities.pair_subjects,
        pair_objects=entities.pair_objects,
        predicate_offsets=np.concatenate(
            [[0], np.cumsum(np.bincount(predicate_pairs, minlength=num_pairs))]
        ).astype(np.int64),
        predicates=(unique_keys % num_predicates)[order].astype(np.int32),
    )


@dataclass(frozen=True)
class _Entities:
    rows: np.ndarray  # (num_entities,) object rows, grouped by image, related first
    images: np.ndarray  # (num_entities,) batch image rows, ascending
    pair_subjects: np.ndarray  # (num_pairs,) int32 image-local entity index
    pair_objects: np.ndarray  # (num_pairs,) int32


def _image_entities(
    columns: BatchColumns, *, named_rows: np.ndarray, keep_image: np.ndarray, reserved: np.ndarray
) -> _Entities:
    """Each kept image's entities as object rows (one row per distinct name and box), and the
    image-local entity of each pair's subject and object (``named_rows``, interleaved)."""
    object_images = _row_images(columns.object_offsets)
    groups, num_groups = _same_name_and_box(
        object_images, columns.object_names, columns.object_boxes
    )
    _, related_first = _first_seen_groups(groups[named_rows])
    related_rows = named_rows[related_first]
    is_related = np.zeros(num_groups, dtype=bool)
    is_related[groups[related_rows]] = True
    candidates = np.flatnonzero(
        keep_image[object_images] & ~reserved[columns.object_names] & ~is_related[groups]
    )
    _, unrelated_first = _first_seen_groups(groups[candidates])
    rows = np.concatenate([related_rows, candidates[unrelated_first]])
    images = object_images[rows]
    order = np.argsort(images, kind="stable")  # per image: related (first named first), others
    rows, images = rows[order], images[order]
    first_entity_of_image = np.searchsorted(images, np.arange(columns.num_images))
    local_of_group = np.zeros(num_groups, dtype=np.int64)
    local_of_group[groups[rows]] = np.arange(len(rows)) - first_entity_of_image[images]
    local_named = local_of_group[groups[named_rows]].astype(np.int32).reshape(-1, 2)
    return _Entities(rows=rows, images=images, pair_subjects=local_named[:, 0],
                     pair_objects=local_named[:, 1])


def _same_name_and_box(
    images: np.ndarray, names: np.ndarray, boxes: np.ndarray
) -> tuple[np.ndarray, int]:
    """(num_objects,) group ids, equal for objects of one image with equal name and box, and
    the number of groups."""
    boxes = boxes + 0.0  # -0.0 -> 0.0
    order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0], names, images))
    sorted_images, sorted_names, sorted_boxes = images[order], names[order], boxes[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (
        (sorted_images[1:] != sorted_images[:-1])
        | (sorted_names[1:] != sorted_names[:-1])
        | (sorted_boxes[1:] != sorted_boxes[:-1]).any(axis=1)  # NaN != NaN: a group of its own
    )
    groups = np.empty(len(order), dtype=np.int64)
    groups[order] = np.cumsum(new_group) - 1
    return groups, int(new_group.sum())


def _first_seen_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct ``keys`` in order of first occurrence: (group of each key, index of
    each group's first occurrence)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], first[order]


def _row_images(offsets: np.ndarray) -> np.ndarray:
    """(num_rows,) int64: the image of each row of a list column with ``offsets``."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


def _offsets_of(row_images: np.ndarray, image_rows: np.ndarray, num_images: int) -> np.ndarray:
    """Offsets of rows sorted by image, over the kept ``image_rows`` only."""
    counts = np.bincount(row_images, minlength=num_images)[image_rows]
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

"""One training image's annotation, as a dataset item decodes it: its file, its relation pairs
and its other objects."""

from dataclasses import dataclass
from pathlib import Path

Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 in absolute pixels of the original image (x right, y down)."""


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
    """An image file (under ``image_root``), its size as recorded in the table, its relation
    pairs (none for an image kept without relations) and its other objects."""

    image_path: Path
    image_root: Path
    dataset: str
    image_id: int
    width: int
    height: int
    pairs: tuple[RelationPair, ...]
    unrelated_entities: tuple[UnrelatedEntity, ...] = ()

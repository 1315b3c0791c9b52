"""Relation annotations read from ``scene_graphs`` tables: filtered by confidence, grouped by pair.

Human annotations (``confidence`` None) and pseudo-labels share the table; a relationship is kept
iff ``confidence is None or confidence >= relation_threshold`` (RLIPv2 pre-trains with 0.20).
Kept relationships are grouped into unique ordered (subject, object) pairs, each with the set of
its predicates; an image left without any pair is dropped. The image's other objects are kept
as its unrelated entities (the R-Tagger's negatives).

Bad input is set aside, not trained on and not fatal: a relationship naming an entity the image
lacks, or an entity called "no objects" (in any case: the text the model keeps for unmatched
slots), and an image whose file is missing, outside its root, unreadable or of another size
than the table's, each become a :class:`~data_schemas.rejects.RejectRecord` (stage
:data:`STAGE`), counted and logged. A source none of whose images can be used is an error: its
``image_root`` is most likely wrong.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from data_schemas.categories import is_reserved_category_name
from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import read_table
from data_schemas.relation_confidence import (
    DEFAULT_RELATION_THRESHOLD,
    check_relation_threshold,
    keeps_relationship,
)
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import (
    Rejection,
    RejectReason,
    RejectRecord,
    reserved_name_rejection,
)
from data_schemas.scene_graphs import SCENE_GRAPHS
from model.data.image_files import image_file_problems
from model.distributed import computed_on_rank_zero

logger = logging.getLogger(__name__)

STAGE = "training data"
"""The ``stage`` of the rejects set aside while reading scene graphs for training."""


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
    """An image file (under ``image_root``), its size as recorded in the table, its relation
    pairs (at least one) and its other objects."""

    image_path: Path
    image_root: Path
    dataset: str
    image_id: int
    width: int
    height: int
    pairs: tuple[RelationPair, ...]
    unrelated_entities: tuple[UnrelatedEntity, ...] = ()


@dataclass(frozen=True)
class RelationFilterCounts:
    """What reading kept, dropped and rejected (relationships are counted before pairing).

    ``images_read = images_kept + images_dropped + images_rejected``, where dropped images kept
    no relation and rejected ones have an unusable file; ``relations_read = relations_kept +
    relations_below_threshold + relations_rejected``, where rejected relations are malformed or
    were kept by the threshold in a rejected image.
    """

    images_read: int = 0
    images_kept: int = 0
    images_dropped: int = 0
    images_rejected: int = 0
    relations_read: int = 0
    relations_kept: int = 0
    relations_below_threshold: int = 0
    relations_rejected: int = 0
    pairs_kept: int = 0

    def __add__(self, other: "RelationFilterCounts") -> "RelationFilterCounts":
        return RelationFilterCounts(
            images_read=self.images_read + other.images_read,
            images_kept=self.images_kept + other.images_kept,
            images_dropped=self.images_dropped + other.images_dropped,
            images_rejected=self.images_rejected + other.images_rejected,
            relations_read=self.relations_read + other.relations_read,
            relations_kept=self.relations_kept + other.relations_kept,
            relations_below_threshold=self.relations_below_threshold
            + other.relations_below_threshold,
            relations_rejected=self.relations_rejected + other.relations_rejected,
            pairs_kept=self.pairs_kept + other.pairs_kept,
        )


@dataclass(frozen=True)
class AnnotationReading:
    """The images that keep at least one pair, what reading counted, and what it set aside."""

    annotations: tuple[ImageAnnotation, ...]
    counts: RelationFilterCounts
    rejects: tuple[RejectRecord, ...]

    def __add__(self, other: "AnnotationReading") -> "AnnotationReading":
        return AnnotationReading(
            annotations=self.annotations + other.annotations,
            counts=self.counts + other.counts,
            rejects=self.rejects + other.rejects,
        )


@dataclass(frozen=True)
class RowPairs:
    """One ``scene_graphs`` row's kept pairs, how many relationships they hold, and the
    relationships it rejects (with why)."""

    pairs: tuple[RelationPair, ...]
    relations_kept: int
    rejected: tuple[tuple[Mapping, Rejection], ...]


def relationship_problem(
    relationship: Mapping, objects: Mapping[int, Mapping]
) -> Rejection | None:
    """Why ``relationship`` cannot be trained on (``objects`` by entity id); None if it can."""
    for role in ("subject", "object"):
        entity_id = relationship[f"{role}_entity_id"]
        entity = objects.get(entity_id)
        if entity is None:
            return Rejection(
                RejectReason.UNKNOWN_ENTITY,
                f"its {role} is entity {entity_id}, which is not among the image's objects",
            )
        if is_reserved_category_name(entity["category_name"]):
            return reserved_name_rejection(f"its {role} (entity {entity_id})")
    return None


def group_relation_pairs(row: Mapping, relation_threshold: float) -> RowPairs:
    """One ``scene_graphs`` row -> its kept pairs; malformed relationships are rejected whatever
    their confidence. Duplicate (subject, object, predicate) relationships count once in a
    pair's predicates."""
    objects = {scene_object["entity_id"]: scene_object for scene_object in row["objects"]}
    predicates_by_pair: dict[tuple[int, int], dict[str, None]] = {}
    relations_kept = 0
    rejected = []
    for relationship in row["relationships"]:
        problem = relationship_problem(relationship, objects)
        if problem is not None:
            rejected.append((relationship, problem))
            continue
        if not keeps_relationship(relationship["confidence"], relation_threshold):
            continue
        relations_kept += 1
        key = (relationship["subject_entity_id"], relationship["object_entity_id"])
        predicates_by_pair.setdefault(key, {})[relationship["predicate"]] = None
    pairs = tuple(
        _relation_pair(objects[subject_id], objects[object_id], tuple(predicates))
        for (subject_id, object_id), predicates in predicates_by_pair.items()
    )
    return RowPairs(pairs=pairs, relations_kept=relations_kept, rejected=tuple(rejected))


def objects_in_no_pair(
    row: Mapping, pairs: tuple[RelationPair, ...]
) -> tuple[UnrelatedEntity, ...]:
    """The row's objects that are no pair's subject or object (compared by name and box), once
    each; objects called "no objects" (any case) are left out, as no text may name them."""
    related = {(pair.subject_name, pair.subject_box) for pair in pairs}
    related |= {(pair.object_name, pair.object_box) for pair in pairs}
    entities: dict[tuple[str, Box], None] = {}
    for scene_object in row["objects"]:
        name = scene_object["category_name"]
        box = (scene_object["x1"], scene_object["y1"], scene_object["x2"], scene_object["y2"])
        if not is_reserved_category_name(name) and (name, box) not in related:
            entities[(name, box)] = None
    return tuple(UnrelatedEntity(name=name, box=box) for name, box in entities)


def _relation_pair(
    subject: Mapping, object_: Mapping, predicates: tuple[str, ...]
) -> RelationPair:
    return RelationPair(
        subject_name=subject["category_name"],
        object_name=object_["category_name"],
        subject_box=(subject["x1"], subject["y1"], subject["x2"], subject["y2"]),
        object_box=(object_["x1"], object_["y1"], object_["x2"], object_["y2"]),
        predicates=predicates,
    )


ImageChecker = Callable[[Sequence[ImageAnnotation]], list[Rejection | None]]
"""Why each annotated image's file cannot be trained on (None where it can), in order."""


def image_problems_of_rank_zero(image_root: Path) -> ImageChecker:
    """The :data:`ImageChecker` of files under ``image_root``: rank 0 reads the headers (see
    :func:`~model.data.image_files.image_file_problems`) and every rank gets its answers, so
    that all ranks train on the same images even if storage fails one of them once."""

    def check(annotations: Sequence[ImageAnnotation]) -> list[Rejection | None]:
        files = [(annotation.image_path, (annotation.width, annotation.height))
                 for annotation in annotations]
        logger.info("reading the headers of %d image files under %s", len(files), image_root)
        return computed_on_rank_zero(lambda: image_file_problems(files, image_root=image_root))

    return check


def annotate_rows(
    rows: Iterable[Mapping],
    *,
    image_root: Path,
    relation_threshold: float,
    source_file: str,
    image_problems: ImageChecker,
) -> AnnotationReading:
    """``scene_graphs`` rows -> annotations of the images that keep at least one pair and whose
    file ``image_problems`` accepts; the rejects name ``source_file``."""
    check_relation_threshold(relation_threshold)
    candidates: list[tuple[ImageAnnotation, int]] = []  # with its relationships kept
    rejects: list[RejectRecord] = []
    images_read = relations_read = relations_below_threshold = 0
    for row in rows:
        images_read += 1
        relations_read += len(row["relationships"])
        grouped = group_relation_pairs(row, relation_threshold)
        relations_below_threshold += (
            len(row["relationships"]) - grouped.relations_kept - len(grouped.rejected)
        )
        rejects.extend(
            _reject(
                source_file, "relationship", relationship["relationship_id"], row["image_id"],
                problem,
            )
            for relationship, problem in grouped.rejected
        )
        if grouped.pairs:
            annotation = ImageAnnotation(
                image_path=image_root / row["file_name"],
                image_root=image_root,
                dataset=row["dataset"],
                image_id=row["image_id"],
                width=row["width"],
                height=row["height"],
                pairs=grouped.pairs,
                unrelated_entities=objects_in_no_pair(row, grouped.pairs),
            )
            candidates.append((annotation, grouped.relations_kept))
    annotations: list[ImageAnnotation] = []
    relations_kept = 0
    problems = image_problems([annotation for annotation, _ in candidates])
    for (annotation, kept), problem in zip(candidates, problems, strict=True):
        if problem is None:
            annotations.append(annotation)
            relations_kept += kept
        else:
            rejects.append(
                _reject(source_file, "image", annotation.image_id, annotation.image_id, problem)
            )
    images_rejected = len(candidates) - len(annotations)
    counts = RelationFilterCounts(
        images_read=images_read,
        images_kept=len(annotations),
        images_dropped=images_read - len(candidates),
        images_rejected=images_rejected,
        relations_read=relations_read,
        relations_kept=relations_kept,
        relations_below_threshold=relations_below_threshold,
        relations_rejected=relations_read - relations_kept - relations_below_threshold,
        pairs_kept=sum(len(annotation.pairs) for annotation in annotations),
    )
    return AnnotationReading(tuple(annotations), counts, tuple(rejects))


def read_scene_graph_annotations(
    source: SceneGraphSource, *, relation_threshold: float = DEFAULT_RELATION_THRESHOLD
) -> AnnotationReading:
    """Read one ``scene_graphs`` table (a shard directory or one file), filter it, and set aside
    malformed relationships and unusable image files.

    Raises:
        RLIPv2InputError: the table is missing, or another table or schema version; or the
            image root is not a directory, or no image with a kept relation can be used.
    """
    source_file = str(source.scene_graphs_dir)
    if not source.image_root.is_dir():
        raise RLIPv2InputError(
            f"image_root {source.image_root} of {source_file} is not a directory"
        )
    table = read_table(source.scene_graphs_dir, SCENE_GRAPHS)
    batches = [
        annotate_rows(
            record_batch.to_pylist(),
            image_root=source.image_root,
            relation_threshold=relation_threshold,
            source_file=source_file,
            image_problems=image_problems_of_rank_zero(source.image_root),
        )
        for record_batch in table.to_batches()
    ]
    reading = AnnotationReading(
        annotations=tuple(annotation for batch in batches for annotation in batch.annotations),
        counts=sum((batch.counts for batch in batches), RelationFilterCounts()),
        rejects=tuple(reject for batch in batches for reject in batch.rejects),
    )
    counts = reading.counts
    logger.info(
        "%s: kept %d of %d images (%d dropped without relations, %d rejected), %d of %d "
        "relations (%d below confidence %.2f, %d rejected), %d pairs",
        source_file,
        counts.images_kept,
        counts.images_read,
        counts.images_dropped,
        counts.images_rejected,
        counts.relations_kept,
        counts.relations_read,
        counts.relations_below_threshold,
        relation_threshold,
        counts.relations_rejected,
        counts.pairs_kept,
    )
    warnings = RejectWarnings(logger)
    for reject in reading.rejects:
        warnings.warn(reject)
    if counts.images_rejected and not reading.annotations:
        reasons = Counter(reject.reason.value for reject in reading.rejects
                          if reject.record_kind == "image")
        raise RLIPv2InputError(
            f"none of the {counts.images_rejected} images of {source_file} that keep a relation "
            f"can be used ({', '.join(f'{n} {reason}' for reason, n in reasons.items())}); is "
            f"image_root {source.image_root} right?"
        )
    return reading


def _reject(
    source_file: str, record_kind: str, record_id: int, image_id: int, problem: Rejection
) -> RejectRecord:
    return RejectRecord(
        stage=STAGE,
        source_file=source_file,
        record_kind=record_kind,
        record_id=str(record_id),
        image_id=image_id,
        reason=problem.reason,
        detail=problem.detail,
    )


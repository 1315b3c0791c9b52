"""Reader for the annotation files the HOI codebases share (PPDM / QPIC / RLIPv2): HICO-DET's
``trainval_hico.json`` / ``test_hico.json``, V-COCO's ``trainval_vcoco.json`` /
``test_vcoco.json`` and RLIPv2's Open Images ``OI_SGG_*.json``.

Each file is a JSON array with one entry per image::

    {"file_name": "HICO_train2015_00000001.jpg",
     "annotations": [{"bbox": [x1, y1, x2, y2], "category_id": 1}, ...],  # absolute pixels
     "hoi_annotation": [{"subject_id": 0, "object_id": 1, "category_id": 73}, ...]}

(Open Images says ``rel_annotations``.) ``subject_id`` / ``object_id`` index the image's
``annotations``; ``category_id`` is the annotation file's id of the object class or the
predicate, mapped onto the benchmark's fixed vocabulary. The files hold no image sizes: they
are read from the image headers, so the images must be there.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from data_schemas.categories import CATEGORIES
from data_schemas.entities import ENTITIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.rejects import Rejection, RejectReason
from data_schemas.relations import RELATIONS
from pipeline.ingest.benchmark_vocabulary import BenchmarkVocabulary
from pipeline.ingest.boxes import ClippedBox, clip_xyxy_box
from pipeline.ingest.confidence_field import entry_confidence
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import is_integer
from pipeline.ingest.image_paths import relative_image_path
from pipeline.ingest.image_size import read_image_size
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog
from data_schemas.staged_output import StagedDatasetOutput

_FILE_NUMBER = re.compile(r"(\d+)\.[A-Za-z]+$")

ImageIdOf = Callable[[str, int], int | None]
"""(file name, 1-based position in the file) -> the image's id, or None when it has none."""


def image_id_from_file_number(file_name: str, position: int) -> int | None:
    """The number ending the file name (``HICO_test2015_00000042.jpg`` -> 42; V-COCO's COCO
    file names give COCO's image ids, which its role annotations use)."""
    match = _FILE_NUMBER.search(file_name)
    return int(match[1]) if match else None


def image_id_from_position(file_name: str, position: int) -> int:
    """The entry's 1-based position in the file (Open Images' file names are hex digests)."""
    return position


@dataclass(frozen=True)
class HoiFileFormat:
    """What varies between the benchmarks' files: the key of the relations and the image ids."""

    relation_key: str
    image_id_of: ImageIdOf


def check_hoi_file(path: Path, file_format: HoiFileFormat, benchmark: str) -> None:
    """Refuse, in one line, a file whose first entry is not such an image entry (a COCO
    instances file, a Visual Genome file, another benchmark's file).

    Raises:
        RLIPv2InputError: naming the file and what it lacks.
    """
    first = next(iter(stream_items(path, "item")), None)
    expected = ("file_name", "annotations", file_format.relation_key)
    if not isinstance(first, Mapping) or any(key not in first for key in expected):
        if first is None:
            found = "it is not a non-empty JSON array"
        elif isinstance(first, Mapping):
            found = f"its first entry has {sorted(first)[:6]}"
        else:
            found = f"its first entry is a {type(first).__name__}"
        raise RLIPv2InputError(
            f"{path} is not a {benchmark} annotation file: it must be a JSON array of image "
            f"entries with {', '.join(repr(key) for key in expected)}; {found}"
        )


class _EntityIds:
    """Entity and relationship ids, unique across the split (the files have none)."""

    def __init__(self) -> None:
        self.next_entity = 1
        self.next_relationship = 1


def ingest_hoi_file(
    path: Path,
    *,
    file_format: HoiFileFormat,
    vocabulary: BenchmarkVocabulary,
    benchmark: str,
    split: str,
    image_root: Path,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream one annotation file of ``benchmark`` (also the rows' ``dataset``) into
    ``images``, ``entities``, ``relations`` and ``categories`` (the vocabulary's objects, with
    the file's ids).

    Relations are human annotation (``confidence`` null) whose predicate is the vocabulary's
    text, unless an entry carries a ``confidence`` (rlipv2's HICO-DET export of pseudo-labels).
    A box that cannot be used (not four numbers, non-finite, no area inside the image,
    an id outside the vocabulary) is rejected with the relations that name it; boxes reaching
    past the image are clipped (counted).
    """
    check_hoi_file(path, file_format, benchmark)
    for spec in (IMAGES, ENTITIES, RELATIONS):
        output.writer(spec)  # each table exists, even empty
    image_root = image_root.resolve()
    ids = _EntityIds()
    seen_images: set[int] = set()
    object_labels = vocabulary.object_labels()
    predicate_labels = vocabulary.predicate_labels()
    for position, item in enumerate(
        tqdm(stream_items(path, "item"), desc=f"{split} images", unit="", disable=None), start=1
    ):
        image = _check_image(item, position, file_format, image_root, seen_images)
        if isinstance(image, Rejection):
            rejects.record(
                image,
                source_file=path.name,
                record_kind="image",
                record_id=item.get("file_name") if isinstance(item, Mapping) else position,
            )
            continue
        image_id, file_name, width, height = image
        seen_images.add(image_id)
        output.writer(IMAGES).append(
            {
                "image_id": image_id,
                "dataset": benchmark,
                "split": split,
                "file_name": file_name,
                "width": width,
                "height": height,
            }
        )
        counts.images += 1
        entity_ids = _ingest_boxes(
            item, image_id, (width, height), vocabulary, object_labels, ids, output, counts,
            lambda rejection, index: rejects.record(
                rejection, source_file=path.name, record_kind="annotation",
                record_id=f"{file_name}#{index}", image_id=image_id,
            ),
        )
        for index, relation in enumerate(item[file_format.relation_key]):
            row = _check_relation(relation, entity_ids, predicate_labels, vocabulary)
            if isinstance(row, Rejection):
                rejects.record(
                    row, source_file=path.name, record_kind="relation",
                    record_id=f"{file_name}#{index}", image_id=image_id,
                )
                continue
            subject, object_, predicate, confidence = row
            output.writer(RELATIONS).append(
                {
                    "relationship_id": ids.next_relationship,
                    "image_id": image_id,
                    "subject_entity_id": subject,
                    "object_entity_id": object_,
                    "predicate": predicate,
                    "confidence": confidence,
                }
            )
            ids.next_relationship += 1
            counts.relations += 1
    categories = output.writer(CATEGORIES)
    for entry in vocabulary.objects:
        categories.append(
            {"dataset": benchmark, "category_id": entry.source_id, "name": entry.name,
             "supercategory": None}
        )
        counts.categories += 1


def _check_image(
    item: object,
    position: int,
    file_format: HoiFileFormat,
    image_root: Path,
    seen_images: set[int],
) -> tuple[int, str, int, int] | Rejection:
    """(image id, file name under the root, width, height) of an entry, or why it is refused."""
    if not isinstance(item, Mapping):
        return Rejection(RejectReason.MALFORMED_RECORD, f"entry {position} is not an object")
    for key in ("annotations", file_format.relation_key):
        if not isinstance(item.get(key), list):
            return Rejection(RejectReason.MALFORMED_RECORD, f"entry {position} has no {key!r} list")
    file_name = relative_image_path(item.get("file_name"), image_root)
    if isinstance(file_name, Rejection):
        return file_name
    image_id = file_format.image_id_of(file_name, position)
    if image_id is None:
        return Rejection(
            RejectReason.MALFORMED_RECORD, f"file name {file_name!r} does not end in an image number"
        )
    if image_id in seen_images:
        return Rejection(RejectReason.DUPLICATE_ID, f"image id {image_id} ({file_name}) appears twice")
    size = read_image_size(image_root, file_name)
    if isinstance(size, Rejection):
        return size
    return image_id, file_name, *size


def _ingest_boxes(
    item: Mapping,
    image_id: int,
    size: tuple[int, int],
    vocabulary: BenchmarkVocabulary,
    object_labels: Mapping[int, int],
    ids: _EntityIds,
    output: StagedDatasetOutput,
    counts: IngestCounts,
    reject: Callable[[Rejection, int], None],
) -> list[int | Rejection]:
    """Write the image's usable boxes; each annotation's entity id, or why it was refused."""
    entity_ids: list[int | Rejection] = []
    for index, annotation in enumerate(item["annotations"]):
        row = _check_box(annotation, size, vocabulary, object_labels)
        if isinstance(row, Rejection):
            reject(row, index)
            entity_ids.append(row)
            continue
        box, category_id, name = row
        output.writer(ENTITIES).append(
            {
                "entity_id": ids.next_entity,
                "image_id": image_id,
                "category_id": category_id,
                "category_name": name,
                "x1": box.x1,
                "y1": box.y1,
                "x2": box.x2,
                "y2": box.y2,
            }
        )
        entity_ids.append(ids.next_entity)
        ids.next_entity += 1
        counts.entities += 1
        counts.clipped_boxes += box.was_clipped
    return entity_ids


def _check_box(
    annotation: object,
    size: tuple[int, int],
    vocabulary: BenchmarkVocabulary,
    object_labels: Mapping[int, int],
) -> tuple[ClippedBox, int, str] | Rejection:
    """The clipped box, annotation id and class name of a box annotation, or why it is refused."""
    if not isinstance(annotation, Mapping):
        return Rejection(RejectReason.MALFORMED_RECORD, "annotation is not an object")
    category_id = annotation.get("category_id")
    if not is_integer(category_id):
        return Rejection(RejectReason.MALFORMED_RECORD, f"category_id {category_id!r} is not an id")
    if category_id not in object_labels:
        return Rejection(
            RejectReason.UNKNOWN_CATEGORY,
            f"category id {category_id} is not among the vocabulary's object classes",
        )
    box = clip_xyxy_box(annotation.get("bbox"), *size)
    if isinstance(box, Rejection):
        return box
    return box, category_id, vocabulary.objects[object_labels[category_id]].name


def _check_relation(
    relation: object,
    entity_ids: list[int | Rejection],
    predicate_labels: Mapping[int, int],
    vocabulary: BenchmarkVocabulary,
) -> tuple[int, int, str, float | None] | Rejection:
    """(subject entity, object entity, predicate text, confidence) of a relation, or why it is
    refused."""
    if not isinstance(relation, Mapping):
        return Rejection(RejectReason.MALFORMED_RECORD, "relation is not an object")
    values = [relation.get(key) for key in ("subject_id", "object_id", "category_id")]
    if not all(is_integer(value) for value in values):
        return Rejection(
            RejectReason.MALFORMED_RECORD,
            f"subject_id, object_id and category_id {values} are not all integers",
        )
    subject_index, object_index, predicate_id = values
    if predicate_id not in predicate_labels:
        return Rejection(
            RejectReason.UNKNOWN_PREDICATE,
            f"predicate id {predicate_id} is not among the vocabulary's predicates",
        )
    if object_index == -1:
        return Rejection(
            RejectReason.MISSING_OBJECT,
            "a relation without an object box (object_id -1): rlipv2's relations join two boxes",
        )
    entities = []
    for role, index in (("subject", subject_index), ("object", object_index)):
        if not 0 <= index < len(entity_ids):
            return Rejection(
                RejectReason.UNKNOWN_ENTITY,
                f"{role}_id {index} is outside the image's {len(entity_ids)} annotations",
            )
        entity = entity_ids[index]
        if isinstance(entity, Rejection):
            return Rejection(
                RejectReason.UNKNOWN_ENTITY, f"{role} annotation {index} was rejected ({entity.reason})"
            )
        entities.append(entity)
    if subject_index == object_index:
        return Rejection(RejectReason.SELF_RELATION, f"annotation {subject_index} relates to itself")
    confidence = entry_confidence(relation)
    if isinstance(confidence, Rejection):
        return confidence
    predicate = vocabulary.predicates[predicate_labels[predicate_id]].name
    return entities[0], entities[1], predicate, confidence

"""Reader for Visual Genome (``image_data.json``, ``objects.json``, ``relationships.json``).

Visual Genome has human-annotated relations: the R-Tagger's training data, and the human
part of pretraining. Objects come from ``objects.json`` and from the subject/object entries
embedded in relationships (VG relationships may name objects absent from ``objects.json``).
Category ids are assigned to object names in order of first appearance.
"""

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from data_schemas.categories import CATEGORIES, is_reserved_category_name
from data_schemas.entities import ENTITIES
from data_schemas.rejects import Rejection, RejectReason, reserved_name_rejection
from data_schemas.relations import RELATIONS
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.boxes import clip_xywh_box
from pipeline.ingest.coco_format import IngestedImages, ingest_image_entries
from pipeline.ingest.confidence_field import entry_confidence
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import is_integer, unpack_size
from pipeline.ingest.id_index import IntIdIndex
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog


class VisualGenomeEntities:
    """Object ids seen so far, the image each belongs to, and the category of each name.

    Objects are VG entries ``{"object_id", "x", "y", "w", "h", "names"}`` (``names`` a list, or
    one string as in the paper's scene-graph JSON; ``name`` in some VG versions)."""

    def __init__(
        self,
        images: IngestedImages,
        output: StagedDatasetOutput,
        counts: IngestCounts,
    ) -> None:
        self._images = images
        self._writer = output.writer(ENTITIES)
        self._counts = counts
        self.image_of = IntIdIndex()
        self.rejected = IntIdIndex()
        self.category_ids: dict[str, int] = {}

    def add(self, entry: object, image_id: int) -> int | Rejection:
        """Add an object entry of ``image_id``; returns its entity id or why it is refused.

        An object id seen before is accepted again (relationships repeat their objects) if
        it belongs to the same image.
        """
        if not isinstance(entry, Mapping):
            return Rejection(RejectReason.MALFORMED_RECORD, "object entry is not an object")
        object_id = entry.get("object_id", entry.get("id"))
        if not is_integer(object_id):
            return Rejection(RejectReason.MALFORMED_RECORD, "object entry has no integer object_id")
        known_image = self.image_of.get(object_id)
        if known_image is not None:
            if known_image != image_id:
                return Rejection(
                    RejectReason.UNKNOWN_ENTITY,
                    f"object {object_id} belongs to image {known_image}, not {image_id}",
                )
            return object_id
        if object_id in self.rejected:
            return Rejection(RejectReason.UNKNOWN_ENTITY, f"object {object_id} was rejected")
        problem = self._images.why_unusable(image_id)
        name = _object_name(entry)
        if problem is None and name is None:
            problem = Rejection(RejectReason.MALFORMED_RECORD, f"object {object_id} has no name")
        if problem is None and is_reserved_category_name(name):
            problem = reserved_name_rejection(f"object {object_id}")
        if problem is None:
            width, height = unpack_size(self._images.sizes.get(image_id))
            box = clip_xywh_box(
                [entry.get("x"), entry.get("y"), entry.get("w"), entry.get("h")], width, height
            )
            if isinstance(box, Rejection):
                problem = box
        if problem is not None:
            self.rejected.add(object_id)
            return problem
        category_id = self.category_ids.setdefault(name, len(self.category_ids) + 1)
        self.image_of.add(object_id, image_id)
        self._writer.append(
            {
                "entity_id": object_id,
                "image_id": image_id,
                "category_id": category_id,
                "category_name": name,
                "x1": box.x1,
                "y1": box.y1,
                "x2": box.x2,
                "y2": box.y2,
            }
        )
        self._counts.entities += 1
        self._counts.clipped_boxes += box.was_clipped
        return object_id

    def write_categories(self, output: StagedDatasetOutput, dataset: str) -> None:
        """The ``categories`` rows: one per object name kept, numbered in order of first sight."""
        categories = output.writer(CATEGORIES)
        for name, category_id in self.category_ids.items():
            categories.append(
                {"dataset": dataset, "category_id": category_id, "name": name,
                 "supercategory": None}
            )
            self._counts.categories += 1


def ingest_visual_genome(
    image_data_json: Path,
    *,
    objects_json: Path | None,
    relationships_json: Path,
    dataset: str,
    split: str,
    image_root: Path | None,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream the VG files into ``images``, ``entities``, ``categories`` and ``relations``.

    Relations are human annotation, with a null ``confidence``, unless an entry carries one
    (``rlipv2 export --to vg`` writes the confidence of pseudo-labels, which thus stay pseudo).
    """
    images = ingest_image_entries(
        stream_items(image_data_json, "item"),
        source=image_data_json.name,
        id_key="image_id" if _first_item_has(image_data_json, "image_id") else "id",
        dataset=dataset,
        split=split,
        image_root=image_root,
        output=output,
        rejects=rejects,
        counts=counts,
        file_name_of=_visual_genome_file_name,
    )
    entities = VisualGenomeEntities(images, output, counts)
    if objects_json is not None:
        for item in tqdm(stream_items(objects_json, "item"), desc="objects", unit="", disable=None):
            image_id = _image_id_of(item)
            for entry in item.get("objects", []) if isinstance(item, Mapping) else [None]:
                if image_id is None:
                    problem = Rejection(RejectReason.MALFORMED_RECORD, "entry has no image_id")
                else:
                    problem = entities.add(entry, image_id)
                if isinstance(problem, Rejection):
                    rejects.record(
                        problem,
                        source_file=objects_json.name,
                        record_kind="object",
                        record_id=entry.get("object_id") if isinstance(entry, Mapping) else None,
                        image_id=image_id,
                    )
    _ingest_relationships(relationships_json, images, entities, output, rejects, counts)
    entities.write_categories(output, dataset)


def _ingest_relationships(
    relationships_json: Path,
    images: IngestedImages,
    entities: VisualGenomeEntities,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    writer = output.writer(RELATIONS)
    relationship_ids = IntIdIndex()
    for item in tqdm(
        stream_items(relationships_json, "item"), desc="relationships", unit="", disable=None
    ):
        image_id = _image_id_of(item)
        for entry in item.get("relationships", []) if isinstance(item, Mapping) else [None]:
            row = check_relationship(
                entry, image_id, images, relationship_ids,
                role_entity=lambda entry, role, image_id: entities.add(entry.get(role), image_id),
            )
            if isinstance(row, Rejection):
                rejects.record(
                    row,
                    source_file=relationships_json.name,
                    record_kind="relationship",
                    record_id=entry.get("relationship_id") if isinstance(entry, Mapping) else None,
                    image_id=image_id,
                )
                continue
            writer.append(row)
            counts.relations += 1


RoleEntity = Callable[[Mapping, str, int], int | Rejection]
"""(relationship entry, "subject" or "object", image id) -> the entity id the role names."""


def check_relationship(
    entry: object,
    image_id: int | None,
    images: IngestedImages,
    relationship_ids: IntIdIndex,
    *,
    role_entity: RoleEntity,
) -> dict | Rejection:
    """The ``relations`` row of a relationship entry of ``image_id``, or why it is refused
    (``role_entity`` finds its subject and object; VG embeds them, the paper's JSON names
    their ids)."""
    if image_id is None or not isinstance(entry, Mapping):
        return Rejection(RejectReason.MALFORMED_RECORD, "relationship entry without image_id")
    relationship_id = entry.get("relationship_id", entry.get("id"))
    if not is_integer(relationship_id):
        return Rejection(RejectReason.MALFORMED_RECORD, "relationship has no integer id")
    if not relationship_ids.add(relationship_id):
        return Rejection(
            RejectReason.DUPLICATE_ID, f"relationship id {relationship_id} appears twice"
        )
    image_problem = images.why_unusable(image_id)
    if image_problem is not None:
        return image_problem
    predicate = entry.get("predicate")
    predicate = " ".join(predicate.lower().split()) if isinstance(predicate, str) else ""
    if not predicate:
        return Rejection(RejectReason.EMPTY_TEXT, "relationship has no predicate")
    roles = {}
    for role in ("subject", "object"):
        entity_id = role_entity(entry, role, image_id)
        if isinstance(entity_id, Rejection):
            return Rejection(entity_id.reason, f"{role}: {entity_id.detail}")
        roles[role] = entity_id
    if roles["subject"] == roles["object"]:
        return Rejection(RejectReason.SELF_RELATION, f"object {roles['subject']} relates to itself")
    confidence = entry_confidence(entry)
    if isinstance(confidence, Rejection):
        return confidence
    return {
        "relationship_id": relationship_id,
        "image_id": image_id,
        "subject_entity_id": roles["subject"],
        "object_entity_id": roles["object"],
        "predicate": predicate,
        "confidence": confidence,
    }


def _object_name(entry: Mapping) -> str | None:
    names = entry.get("names")
    if isinstance(names, str):
        name = names
    else:
        name = names[0] if isinstance(names, list) and names else entry.get("name")
    if not isinstance(name, str):
        return None
    return " ".join(name.lower().split()) or None


def _visual_genome_file_name(item: Mapping) -> object:
    """``file_name`` if given, else the last two parts of ``url`` ("VG_100K/1.jpg")."""
    if "file_name" in item:
        return item["file_name"]
    url = item.get("url")
    if isinstance(url, str) and url.strip():
        parts = PurePosixPath(url.strip()).parts
        return "/".join(parts[-2:])
    image_id = item.get("image_id", item.get("id"))
    return f"{image_id}.jpg" if is_integer(image_id) else None


def _image_id_of(item: object) -> int | None:
    if not isinstance(item, Mapping):
        return None
    image_id = item.get("image_id", item.get("id"))
    return image_id if is_integer(image_id) else None


def _first_item_has(path: Path, key: str) -> bool:
    """Whether the first entry of a top-level JSON array has ``key`` (VG 1.0 says ``id``)."""
    first = next(iter(stream_items(path, "item")), None)
    return not isinstance(first, Mapping) or key in first

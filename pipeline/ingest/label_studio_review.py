"""Reader for a Label Studio JSON export of reviewed tasks (tasks made by
``rlipv2 export --to label-studio``): the reviewer's boxes and relations as human scene graphs.

Each task's ``data`` names its image (``image_id``, ``file_name``, ``width``, ``height``,
``dataset``, ``split``); its latest annotation that was not cancelled is the review. Boxes are
``rectanglelabels`` results (``x, y, width, height`` in percent of the image), relations
``relation`` results between two box ids (``direction`` ``right``: from -> to, ``left``:
to -> from, ``bi``: both; one relation per label). Tasks nobody annotated are not reviewed and
are left out (counted). Everything kept is human annotation: relations have no confidence.

Boxes the export predicted keep their id ``e<entity id>`` and so their entity id; boxes the
reviewer drew get new ids above every entity id of the file. Against the prediction the
annotation started from (``annotations[].prediction``, else the task's first prediction with
results), each box is counted as accepted, corrected (moved or relabelled), added or deleted,
and each relation as accepted, relabelled (same pair, another predicate), added or deleted.
"""

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from tqdm import tqdm

from data_schemas.categories import CATEGORIES, is_reserved_category_name
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.rejects import Rejection, RejectReason, reserved_name_rejection
from data_schemas.relations import RELATIONS
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.boxes import clip_xywh_box
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import check_image_entry, is_integer
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog

_PREDICTED_REGION = re.compile(r"^e(\d+)$")
_BOX_TOLERANCE = 1e-3
"""Percent of the image a predicted box may move and still count as accepted."""


def ingest_label_studio_review(
    export_json: Path,
    *,
    image_root: Path | None,
    dataset: str,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream the export (twice: first for the largest entity id) into ``images``,
    ``entities``, ``categories`` and ``relations``; review outcomes go to ``counts.review``."""
    reader = _ReviewReader(
        export_json, image_root, output, rejects, counts, first_new_id=_largest_id(export_json) + 1
    )
    for task in tqdm(stream_items(export_json, "item"), desc="tasks", unit="", disable=None):
        reader.read_task(task)
    categories = output.writer(CATEGORIES)
    for name, category_id in reader.category_ids.items():
        categories.append(
            {"dataset": dataset, "category_id": category_id, "name": name, "supercategory": None}
        )
        counts.categories += 1


class _ReviewReader:
    def __init__(
        self,
        export_json: Path,
        image_root: Path | None,
        output: StagedDatasetOutput,
        rejects: RejectLog,
        counts: IngestCounts,
        *,
        first_new_id: int,
    ) -> None:
        self._source = export_json.name
        self._image_root = image_root
        self._images = output.writer(IMAGES)
        self._entities = output.writer(ENTITIES)
        self._relations = output.writer(RELATIONS)
        self._rejects = rejects
        self._counts = counts
        self._next_entity_id = first_new_id
        self._next_relationship_id = 1
        self._image_ids: set[int] = set()
        self._entity_ids: set[int] = set()
        self.category_ids: dict[str, int] = {}

    def read_task(self, task: object) -> None:
        data = task.get("data") if isinstance(task, Mapping) else None
        image_id = data.get("image_id") if isinstance(data, Mapping) else None
        image_id = image_id if is_integer(image_id) else None
        image = self._check_image(data, image_id)
        if isinstance(image, Rejection):
            self._reject(image, "task", image_id, image_id)
            return
        review = _latest_review(task)
        if review is None:
            self._counts.review["tasks_unreviewed"] += 1
            return
        self._images.append(image)
        self._image_ids.add(image["image_id"])
        self._counts.images += 1
        self._counts.review["tasks_reviewed"] += 1
        results = [item for item in review.get("result") or [] if isinstance(item, Mapping)]
        boxes = self._read_boxes(image, results)
        self._read_relations(image["image_id"], results, boxes)
        predicted = _prediction_results(task, review)
        if predicted is not None:
            _count_outcomes(predicted, results, self._counts.review)

    def _check_image(self, data: object, image_id: int | None) -> dict | Rejection:
        if not isinstance(data, Mapping) or image_id is None:
            return Rejection(RejectReason.MALFORMED_RECORD, "task data has no integer image_id")
        names = [data.get(key) for key in ("dataset", "split")]
        if not all(isinstance(name, str) and name.strip() for name in names):
            return Rejection(
                RejectReason.MALFORMED_RECORD,
                "task data lacks dataset/split: export the tasks again with rlipv2 export",
            )
        entry = check_image_entry(
            data, id_key="image_id", file_name=data.get("file_name"), image_root=self._image_root
        )
        if isinstance(entry, Rejection):
            return entry
        if entry.image_id in self._image_ids:
            return Rejection(RejectReason.DUPLICATE_ID, f"image {image_id} has two tasks")
        return {
            "image_id": entry.image_id,
            "dataset": names[0],
            "split": names[1],
            "file_name": entry.file_name,
            "width": entry.width,
            "height": entry.height,
        }

    def _read_boxes(self, image: dict, results: list[Mapping]) -> dict[str, int]:
        """Write the annotation's boxes; their entity ids by result id."""
        boxes: dict[str, int] = {}
        for result in results:
            if result.get("type") != "rectanglelabels":
                continue
            row = self._box_row(image, result)
            if isinstance(row, Rejection):
                self._reject(row, "box", result.get("id"), image["image_id"])
                continue
            boxes[result["id"]] = row["entity_id"]
            self._entities.append(row)
            self._counts.entities += 1
        return boxes

    def _box_row(self, image: dict, result: Mapping) -> dict | Rejection:
        value = result.get("value")
        region_id = result.get("id")
        if not isinstance(value, Mapping) or not isinstance(region_id, str):
            return Rejection(RejectReason.MALFORMED_RECORD, "box result has no id or value")
        labels = value.get("rectanglelabels")
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            return Rejection(RejectReason.MALFORMED_RECORD, f"box {region_id} needs one label")
        name = " ".join(labels[0].lower().split())
        if not name:
            return Rejection(RejectReason.MALFORMED_RECORD, f"box {region_id} has an empty label")
        if is_reserved_category_name(name):
            return reserved_name_rejection(f"box {region_id}")
        if value.get("rotation", 0) not in (0, 0.0):
            return Rejection(RejectReason.MALFORMED_RECORD, f"box {region_id} is rotated")
        width, height = image["width"], image["height"]
        try:
            xywh = [float(value[key]) * size / 100.0 for key, size in
                    (("x", width), ("y", height), ("width", width), ("height", height))]
        except (KeyError, TypeError, ValueError):
            return Rejection(
                RejectReason.MALFORMED_RECORD, f"box {region_id} lacks x/y/width/height"
            )
        box = clip_xywh_box(xywh, width, height)
        if isinstance(box, Rejection):
            return box
        predicted = _PREDICTED_REGION.match(region_id)
        entity_id = int(predicted[1]) if predicted else self._new_entity_id()
        if entity_id in self._entity_ids:
            return Rejection(RejectReason.DUPLICATE_ID, f"box id {region_id} appears twice")
        self._entity_ids.add(entity_id)
        self._counts.clipped_boxes += box.was_clipped
        return {
            "entity_id": entity_id,
            "image_id": image["image_id"],
            "category_id": self.category_ids.setdefault(name, len(self.category_ids) + 1),
            "category_name": name,
            "x1": box.x1,
            "y1": box.y1,
            "x2": box.x2,
            "y2": box.y2,
        }

    def _read_relations(self, image_id: int, results: list[Mapping], boxes: dict[str, int]) -> None:
        for result in results:
            if result.get("type") != "relation":
                continue
            for row in self._relation_rows(image_id, result, boxes):
                if isinstance(row, Rejection):
                    self._reject(row, "relation", None, image_id)
                    continue
                self._relations.append(row)
                self._counts.relations += 1

    def _relation_rows(self, image_id: int, result: Mapping, boxes: dict[str, int]) -> list:
        ends = [boxes.get(result.get(key)) for key in ("from_id", "to_id")]
        if None in ends:
            return [Rejection(
                RejectReason.UNKNOWN_ENTITY,
                f"relation {result.get('from_id')!r} -> {result.get('to_id')!r} names no kept box",
            )]
        labels = result.get("labels") or []
        predicates = [" ".join(label.lower().split()) for label in labels if isinstance(label, str)]
        predicates = [predicate for predicate in predicates if predicate]
        if not predicates:
            return [Rejection(RejectReason.EMPTY_TEXT, "relation has no label")]
        direction = result.get("direction", "right")
        pairs = {"right": [ends], "left": [ends[::-1]], "bi": [ends, ends[::-1]]}.get(direction)
        if pairs is None:
            return [Rejection(RejectReason.MALFORMED_RECORD, f"direction {direction!r}")]
        if ends[0] == ends[1]:
            return [Rejection(RejectReason.SELF_RELATION, f"box {ends[0]} relates to itself")]
        rows = []
        for subject, object_ in pairs:
            for predicate in predicates:
                rows.append({
                    "relationship_id": self._next_relationship_id,
                    "image_id": image_id,
                    "subject_entity_id": subject,
                    "object_entity_id": object_,
                    "predicate": predicate,
                    "confidence": None,
                })
                self._next_relationship_id += 1
        return rows

    def _new_entity_id(self) -> int:
        self._next_entity_id += 1
        return self._next_entity_id - 1

    def _reject(self, rejection: Rejection, kind: str, record_id: object, image_id: int | None):
        self._rejects.record(
            rejection, source_file=self._source, record_kind=kind, record_id=record_id,
            image_id=image_id,
        )


def _latest_review(task: Mapping) -> Mapping | None:
    """The annotation last updated that was not cancelled, or None."""
    annotations = [
        item for item in task.get("annotations") or []
        if isinstance(item, Mapping) and not item.get("was_cancelled")
    ]
    if not annotations:
        return None
    return max(enumerate(annotations), key=lambda pair: (str(pair[1].get("updated_at", "")),
                                                         pair[0]))[1]


def _prediction_results(task: Mapping, review: Mapping) -> list[Mapping] | None:
    """The results of the prediction the review started from, if the export holds them."""
    candidates = [review.get("prediction"), *(task.get("predictions") or [])]
    for prediction in candidates:
        if isinstance(prediction, Mapping) and isinstance(prediction.get("result"), list):
            return [item for item in prediction["result"] if isinstance(item, Mapping)]
    return None


def _count_outcomes(predicted: list[Mapping], reviewed: list[Mapping], outcomes: Counter) -> None:
    """Count each box and relation of the prediction and the review by outcome."""
    predicted_boxes = _boxes_by_id(predicted)
    reviewed_boxes = _boxes_by_id(reviewed)
    for region_id, box in reviewed_boxes.items():
        before = predicted_boxes.get(region_id)
        if before is None:
            outcomes["boxes_added"] += 1
        elif _same_box(before, box):
            outcomes["boxes_accepted"] += 1
        else:
            outcomes["boxes_corrected"] += 1
    outcomes["boxes_deleted"] += len(predicted_boxes.keys() - reviewed_boxes.keys())
    predicted_relations, reviewed_relations = _relation_keys(predicted), _relation_keys(reviewed)
    outcomes["relations_accepted"] += len(predicted_relations & reviewed_relations)
    dropped = Counter(pair for pair, _ in predicted_relations - reviewed_relations)
    for pair, _ in sorted(reviewed_relations - predicted_relations):
        if dropped[pair]:
            dropped[pair] -= 1
            outcomes["relations_relabelled"] += 1
        else:
            outcomes["relations_added"] += 1
    outcomes["relations_deleted"] += sum(dropped.values())


def _boxes_by_id(results: list[Mapping]) -> dict[str, Mapping]:
    return {
        item["id"]: item.get("value") or {}
        for item in results
        if item.get("type") == "rectanglelabels" and isinstance(item.get("id"), str)
    }


def _same_box(before: Mapping, after: Mapping) -> bool:
    if before.get("rectanglelabels") != after.get("rectanglelabels"):
        return False
    try:
        return all(
            abs(float(before[key]) - float(after[key])) <= _BOX_TOLERANCE
            for key in ("x", "y", "width", "height")
        )
    except (KeyError, TypeError, ValueError):
        return False


def _relation_keys(results: list[Mapping]) -> set[tuple[tuple[str, str], str]]:
    """``((subject box id, object box id), predicate)`` of every relation result and label."""
    keys = set()
    for item in results:
        if item.get("type") != "relation":
            continue
        pair = (str(item.get("from_id")), str(item.get("to_id")))
        if item.get("direction") == "left":
            pair = pair[::-1]
        for label in item.get("labels") or []:
            if isinstance(label, str):
                keys.add((pair, " ".join(label.lower().split())))
    return keys


def _largest_id(export_json: Path) -> int:
    """The largest entity id of a predicted box (``e<id>``) anywhere in the export, or 0."""
    largest = 0
    for task in stream_items(export_json, "item"):
        if not isinstance(task, Mapping):
            continue
        for group in ("annotations", "predictions"):
            for item in task.get(group) or []:
                for result in item.get("result") or [] if isinstance(item, Mapping) else []:
                    region_id = result.get("id") if isinstance(result, Mapping) else None
                    if isinstance(region_id, str) and (match := _PREDICTED_REGION.match(region_id)):
                        largest = max(largest, int(match[1]))
    return largest

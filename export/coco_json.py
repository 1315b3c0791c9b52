"""COCO-style JSON with relations: a COCO instances file (``images``, ``annotations``,
``categories``, which pycocotools and every detection tool read) plus two arrays for the
relations, which those tools ignore::

    {"info": {...}, "images": [{"id": 139, "file_name": "...", "width": 640, "height": 480}],
     "categories": [{"id": 1, "name": "person", "supercategory": ""}],
     "annotations": [{"id": 7, "image_id": 139, "category_id": 1, "bbox": [x, y, w, h],
                      "area": w * h, "iscrowd": 0}],
     "predicates": [{"id": 1, "name": "riding"}],
     "relations": [{"id": 3, "image_id": 139, "subject_id": 7, "object_id": 9,
                    "predicate_id": 1, "predicate": "riding", "confidence": 0.83}]}

Annotation ids are rlipv2's entity ids, category ids the dataset's, relation ids the scene
graph's; ``bbox`` is COCO's absolute ``[x, y, width, height]`` in pixels. ``confidence`` is
written for pseudo-labels only (none: a human relation). Predicates are numbered from 1 in
order of first appearance.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.scene_graphs import SceneGraphRecord


@dataclass(frozen=True)
class CocoJsonExport:
    """Writes one COCO-style JSON file with relations."""

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None:
        """Write ``scene_graphs`` (cut at the export's confidence) to the file ``out``.

        Raises:
            RLIPv2InputError: two categories share an id (graphs of several datasets).
        """
        images, annotations, relations = [], [], []
        categories: dict[int, str] = {}
        predicates: dict[str, int] = {}
        for graph in scene_graphs:
            images.append({"id": graph.image_id, "file_name": graph.file_name,
                           "width": graph.width, "height": graph.height})
            for item in graph.objects:
                known = categories.setdefault(item.category_id, item.category_name)
                if known != item.category_name:
                    raise RLIPv2InputError(
                        f"category id {item.category_id} is both {known!r} and "
                        f"{item.category_name!r}: export one dataset at a time"
                    )
                width, height = item.x2 - item.x1, item.y2 - item.y1
                annotations.append({
                    "id": item.entity_id, "image_id": graph.image_id,
                    "category_id": item.category_id, "bbox": [item.x1, item.y1, width, height],
                    "area": width * height, "iscrowd": 0,
                })
            for relation in graph.relationships:
                entry = {
                    "id": relation.relationship_id, "image_id": graph.image_id,
                    "subject_id": relation.subject_entity_id,
                    "object_id": relation.object_entity_id,
                    "predicate_id": predicates.setdefault(relation.predicate, len(predicates) + 1),
                    "predicate": relation.predicate,
                }
                if relation.confidence is not None:
                    entry["confidence"] = relation.confidence
                relations.append(entry)
        payload = {
            "info": {"description": "scene graphs exported by rlipv2"},
            "images": images,
            "categories": [
                {"id": category_id, "name": name, "supercategory": ""}
                for category_id, name in sorted(categories.items())
            ],
            "annotations": annotations,
            "predicates": [{"id": number, "name": name} for name, number in predicates.items()],
            "relations": relations,
        }
        out.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")

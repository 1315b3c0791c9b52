"""The RLIPv2 paper's pseudo-label JSON: what its official training code reads.

One JSON array, one record per image (``generate_relations_using_verb_tagger.py``)::

    {"image_id": 139, "dataset": "coco2017", "data_split": "train",
     "objects": [{"object_id": 10000000, "x": 412.8, "y": 157.6, "w": 53.1, "h": 138.0,
                  "names": "person"}, ...],
     "relationships": [{"relationship_id": 10000000, "predicate": "sitting on",
                        "subject_id": 10000000, "object_id": 10000003, "confidence": 0.31}, ...]}

Boxes are absolute xywh in pixels of the original image (top-left corner). As in the paper,
object and relationship ids are counters over the whole file starting at ``id_start``
(10,000,000 for COCO, 20,000,000 for Objects365), so that datasets mixed in pretraining do not
share ids. Human relations have no ``confidence`` key (the training code always keeps those).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from data_schemas.scene_graphs import SceneGraphRecord
from export.export_files import json_array_file

COCO_ID_START = 10_000_000
OBJECTS365_ID_START = 20_000_000


@dataclass(frozen=True)
class PaperJsonExport:
    """Writes one JSON file of paper records; ids count from ``id_start``."""

    id_start: int = COCO_ID_START

    def __post_init__(self) -> None:
        if self.id_start < 0:
            raise ValueError(f"id_start must be >= 0, got {self.id_start}")

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None:
        """Write ``scene_graphs`` (cut at the export's confidence) to the file ``out``."""
        next_object_id = next_relationship_id = self.id_start
        with json_array_file(out) as records:
            for scene_graph in scene_graphs:
                records.append(
                    paper_record(
                        scene_graph,
                        first_object_id=next_object_id,
                        first_relationship_id=next_relationship_id,
                    )
                )
                next_object_id += len(scene_graph.objects)
                next_relationship_id += len(scene_graph.relationships)


def paper_record(
    scene_graph: SceneGraphRecord, *, first_object_id: int, first_relationship_id: int
) -> dict:
    """The paper record of ``scene_graph``: objects numbered from ``first_object_id`` in their
    order, relationships from ``first_relationship_id``."""
    object_ids = {
        scene_object.entity_id: object_id
        for object_id, scene_object in enumerate(scene_graph.objects, start=first_object_id)
    }
    objects = [
        {
            "object_id": object_ids[scene_object.entity_id],
            "x": scene_object.x1,
            "y": scene_object.y1,
            "w": scene_object.x2 - scene_object.x1,
            "h": scene_object.y2 - scene_object.y1,
            "names": scene_object.category_name,
        }
        for scene_object in scene_graph.objects
    ]
    relationships = []
    for relationship_id, relationship in enumerate(
        scene_graph.relationships, start=first_relationship_id
    ):
        record = {
            "relationship_id": relationship_id,
            "predicate": relationship.predicate,
            "subject_id": object_ids[relationship.subject_entity_id],
            "object_id": object_ids[relationship.object_entity_id],
        }
        if relationship.confidence is not None:
            record["confidence"] = relationship.confidence
        relationships.append(record)
    return {
        "image_id": scene_graph.image_id,
        "dataset": scene_graph.dataset,
        "data_split": scene_graph.split,
        "objects": objects,
        "relationships": relationships,
    }

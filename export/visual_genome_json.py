"""Visual Genome JSON: ``image_data.json``, ``objects.json`` and ``relationships.json``.

The files ``rlipv2 ingest vg`` reads (:mod:`pipeline.ingest.visual_genome`)::

    image_data.json     [{"image_id", "width", "height", "url": "", "file_name"}, ...]
    objects.json        [{"image_id", "objects": [{"object_id", "x", "y", "w", "h",
                                                   "names": [category]}, ...]}, ...]
    relationships.json  [{"image_id", "relationships": [{"relationship_id", "predicate",
                          "subject": {object}, "object": {object}, "confidence"}, ...]}, ...]

Boxes are absolute xywh in pixels (top-left corner, floats). Object ids are the entity ids and
relationship ids the scene graph's. ``confidence`` is not part of Visual Genome: it is written
for pseudo-labels only, and ``rlipv2 ingest vg`` reads it back, so pseudo-labels stay pseudo
(pretraining cuts them at its threshold) and human relations stay human.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from data_schemas.scene_graphs import SceneGraphObject, SceneGraphRecord
from export.export_files import json_array_file

IMAGE_DATA_FILE = "image_data.json"
OBJECTS_FILE = "objects.json"
RELATIONSHIPS_FILE = "relationships.json"


@dataclass(frozen=True)
class VisualGenomeExport:
    """Writes the three Visual Genome files into a directory."""

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None:
        """Write ``scene_graphs`` (cut at the export's confidence) into directory ``out``."""
        out.mkdir(parents=True)
        with (
            json_array_file(out / IMAGE_DATA_FILE) as images,
            json_array_file(out / OBJECTS_FILE) as objects,
            json_array_file(out / RELATIONSHIPS_FILE) as relationships,
        ):
            for scene_graph in scene_graphs:
                images.append(visual_genome_image(scene_graph))
                objects.append(
                    {
                        "image_id": scene_graph.image_id,
                        "objects": [visual_genome_object(item) for item in scene_graph.objects],
                    }
                )
                relationships.append(visual_genome_relationships(scene_graph))


def visual_genome_image(scene_graph: SceneGraphRecord) -> dict:
    return {
        "image_id": scene_graph.image_id,
        "width": scene_graph.width,
        "height": scene_graph.height,
        "url": "",
        "file_name": scene_graph.file_name,
    }


def visual_genome_object(scene_object: SceneGraphObject) -> dict:
    return {
        "object_id": scene_object.entity_id,
        "x": scene_object.x1,
        "y": scene_object.y1,
        "w": scene_object.x2 - scene_object.x1,
        "h": scene_object.y2 - scene_object.y1,
        "names": [scene_object.category_name],
    }


def visual_genome_relationships(scene_graph: SceneGraphRecord) -> dict:
    """The ``relationships.json`` entry of ``scene_graph``."""
    objects = {item.entity_id: visual_genome_object(item) for item in scene_graph.objects}
    entries = []
    for relationship in scene_graph.relationships:
        entry = {
            "relationship_id": relationship.relationship_id,
            "predicate": relationship.predicate,
            "subject": objects[relationship.subject_entity_id],
            "object": objects[relationship.object_entity_id],
        }
        if relationship.confidence is not None:
            entry["confidence"] = relationship.confidence
        entries.append(entry)
    return {"image_id": scene_graph.image_id, "relationships": entries}

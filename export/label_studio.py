"""Label Studio tasks with predictions, and the labeling config they need, for human review.

``tasks.json`` holds one task per image::

    {"data": {"image": "<image_url_prefix><file_name>", "image_id": 139,
              "file_name": "000000000139.jpg", "width": 640, "height": 480,
              "dataset": "coco2017", "split": "train"},
     "predictions": [{"model_version": "...", "score": 0.41, "result": [
         {"id": "e1768547", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
          "original_width": 640, "original_height": 480, "image_rotation": 0,
          "value": {"x": 64.5, "y": 32.8, "width": 8.3, "height": 28.75, "rotation": 0,
                    "rectanglelabels": ["person"]},
          "score": 1.0},
         {"type": "relation", "from_id": "e1768547", "to_id": "e1768549", "direction": "right",
          "labels": ["riding"], "score": 0.83}, ...]}]}

Box ``x, y, width, height`` are percentages of the image's width and height (top-left corner).
Boxes are annotations, so their score is 1.0; a relation's score is its confidence (none for a
human relation), and the prediction's score is the mean over its relations (human ones count
1.0; 1.0 without relations), so reviewers can sort tasks by it. ``data`` carries the image's
file, size, dataset and split, so that ``rlipv2 ingest label-studio`` can read the reviewed
tasks back. ``config.xml`` declares the RectangleLabels and Relations the results use: every
category and predicate of the run's vocabulary (see :mod:`export.review_vocabulary`), so a
reviewer can relabel a relation with a predicate no exported relation has.
"""

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from data_schemas.scene_graphs import SceneGraphObject, SceneGraphRecord
from export.export_files import json_array_file

TASKS_FILE = "tasks.json"
CONFIG_FILE = "config.xml"
FROM_NAME = "label"
TO_NAME = "image"
LOCAL_FILES_PREFIX = "/data/local-files/?d="
"""Label Studio's URL of a file under its local-files document root
(``LOCAL_FILES_DOCUMENT_ROOT``, here: the dataset's image root)."""


@dataclass(frozen=True)
class LabelStudioExport:
    """Writes ``tasks.json`` and ``config.xml`` into a directory.

    A task's image URL is ``image_url_prefix`` followed by the image's ``file_name``
    (URL-quoted); ``model_version`` names the predictions (the tagger id of the run).
    ``config.xml`` declares ``categories`` and ``predicates`` and every other one the exported
    scene graphs use.
    """

    image_url_prefix: str = LOCAL_FILES_PREFIX
    model_version: str = "rlipv2"
    categories: tuple[str, ...] = ()
    predicates: tuple[str, ...] = ()

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None:
        """Write ``scene_graphs`` (cut at the export's confidence) into directory ``out``."""
        out.mkdir(parents=True)
        categories = set(self.categories)
        predicates = set(self.predicates)
        with json_array_file(out / TASKS_FILE) as tasks:
            for scene_graph in scene_graphs:
                tasks.append(
                    label_studio_task(
                        scene_graph,
                        image_url=self.image_url_prefix + quote(scene_graph.file_name),
                        model_version=self.model_version,
                    )
                )
                categories.update(item.category_name for item in scene_graph.objects)
                predicates.update(item.predicate for item in scene_graph.relationships)
        (out / CONFIG_FILE).write_text(label_studio_config(sorted(categories), sorted(predicates)))


def region_id(entity_id: int) -> str:
    """The result id of an entity's box (relations refer to boxes by it)."""
    return f"e{entity_id}"


def label_studio_task(scene_graph: SceneGraphRecord, *, image_url: str, model_version: str) -> dict:
    """The task of ``scene_graph``: its image and one prediction with its boxes and relations."""
    result: list[dict] = [_rectangle(item, scene_graph) for item in scene_graph.objects]
    scores = []
    for relationship in scene_graph.relationships:
        relation = {
            "type": "relation",
            "from_id": region_id(relationship.subject_entity_id),
            "to_id": region_id(relationship.object_entity_id),
            "direction": "right",
            "labels": [relationship.predicate],
        }
        if relationship.confidence is not None:
            relation["score"] = relationship.confidence
        result.append(relation)
        scores.append(1.0 if relationship.confidence is None else relationship.confidence)
    return {
        "data": {
            "image": image_url,
            "image_id": scene_graph.image_id,
            "file_name": scene_graph.file_name,
            "width": scene_graph.width,
            "height": scene_graph.height,
            "dataset": scene_graph.dataset,
            "split": scene_graph.split,
        },
        "predictions": [
            {
                "model_version": model_version,
                "score": sum(scores) / len(scores) if scores else 1.0,
                "result": result,
            }
        ],
    }


def _rectangle(scene_object: SceneGraphObject, scene_graph: SceneGraphRecord) -> dict:
    width, height = scene_graph.width, scene_graph.height
    return {
        "id": region_id(scene_object.entity_id),
        "type": "rectanglelabels",
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": {
            "x": 100.0 * scene_object.x1 / width,
            "y": 100.0 * scene_object.y1 / height,
            "width": 100.0 * (scene_object.x2 - scene_object.x1) / width,
            "height": 100.0 * (scene_object.y2 - scene_object.y1) / height,
            "rotation": 0,
            "rectanglelabels": [scene_object.category_name],
        },
        "score": 1.0,
    }


def label_studio_config(category_names: Iterable[str], predicates: Iterable[str]) -> str:
    """The labeling config: the image, a RectangleLabels with ``category_names`` and Relations
    with ``predicates``, named as the tasks' results refer to them."""
    view = ElementTree.Element("View")
    ElementTree.SubElement(view, "Image", name=TO_NAME, value="$image", zoom="true")
    rectangles = ElementTree.SubElement(view, "RectangleLabels", name=FROM_NAME, toName=TO_NAME)
    for name in category_names:
        ElementTree.SubElement(rectangles, "Label", value=name)
    relations = ElementTree.SubElement(view, "Relations")
    for predicate in predicates:
        ElementTree.SubElement(relations, "Relation", value=predicate)
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"

"""Scene graphs in the HICO-DET annotation layout of the HOI codebases (PPDM / QPIC / RLIPv2),
which ``rlipv2 ingest hico-det OUT --vocabulary OUT/annotations/vocabulary.json`` reads back::

    OUT/annotations/trainval_hico.json   [{"file_name": "...", "img_id": 139,
                                           "annotations": [{"bbox": [x1, y1, x2, y2],
                                                            "category_id": 1}, ...],
                                           "hoi_annotation": [{"subject_id": 0, "object_id": 1,
                                                               "category_id": 4,
                                                               "confidence": 0.83}, ...]}]
    OUT/annotations/test_hico.json       every ``test_every``-th image, the first included
    OUT/annotations/corre_hico.npy       (predicates, objects) bool: the combinations present
    OUT/annotations/vocabulary.json      the objects and predicates with their ids
    OUT/images/train2015, test2015       links to the image root (when it is known)

Boxes are absolute xyxy pixels; ``subject_id`` / ``object_id`` index the image's
``annotations``. The vocabulary is the export's own: every category and predicate it holds,
numbered from 1 (the benchmark's 80 objects and 117 verbs are a fixed vocabulary that caption
predicates do not map onto one to one). ``confidence`` is written for pseudo-labels only.
The benchmark reads an image's id from the number ending its file name, so every file name
must end in the image id.
"""

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from data_schemas.errors import RLIPv2InputError
from data_schemas.scene_graphs import SceneGraphRecord

ANNOTATIONS_DIR = "annotations"
TRAIN_FILE = "trainval_hico.json"
TEST_FILE = "test_hico.json"
COMBINATIONS_FILE = "corre_hico.npy"
VOCABULARY_FILE = "vocabulary.json"
IMAGE_DIRS = ("images/train2015", "images/test2015")
_FILE_NUMBER = re.compile(r"(\d+)\.[A-Za-z]+$")


@dataclass(frozen=True)
class HoiJsonExport:
    """Writes the HICO-DET layout into a directory: every ``test_every``-th image (the first
    included) in the test split, which the layout needs, the others in the training split;
    ``image_root`` (the run's) is linked as both image folders when given."""

    image_root: Path | None = None
    test_every: int = 10

    def __post_init__(self) -> None:
        if self.test_every < 2:
            raise ValueError(f"test_every must be >= 2, got {self.test_every}")

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None:
        """Write ``scene_graphs`` (cut at the export's confidence) into directory ``out``.

        Raises:
            RLIPv2InputError: an image's file name does not end in its image id, or there are
                fewer than two images (one per split).
        """
        objects: dict[str, int] = {}
        predicates: dict[str, int] = {}
        entries = [hoi_entry(graph, objects, predicates) for graph in scene_graphs]
        if len(entries) < 2:
            raise RLIPv2InputError(
                "the HICO-DET layout needs a training and a test split: export two images or more"
            )
        combinations = np.zeros((len(predicates), len(objects)), dtype=bool)
        for entry in entries:
            for relation in entry["hoi_annotation"]:
                object_id = entry["annotations"][relation["object_id"]]["category_id"]
                combinations[relation["category_id"] - 1, object_id - 1] = True
        annotations = out / ANNOTATIONS_DIR
        annotations.mkdir(parents=True)
        for name, split in ((TEST_FILE, entries[:: self.test_every]),
                            (TRAIN_FILE, [entry for position, entry in enumerate(entries)
                                          if position % self.test_every])):
            (annotations / name).write_text(json.dumps(split, separators=(",", ":")))
        np.save(annotations / COMBINATIONS_FILE, combinations)
        vocabulary = {
            "benchmark": "rlipv2-export",
            "objects": [{"name": name, "id": number} for name, number in objects.items()],
            "predicates": [{"name": name, "id": number} for name, number in predicates.items()],
        }
        (annotations / VOCABULARY_FILE).write_text(json.dumps(vocabulary, indent=1) + "\n")
        if self.image_root is not None:
            (out / "images").mkdir()
            for image_dir in IMAGE_DIRS:
                os.symlink(self.image_root.resolve(), out / image_dir, target_is_directory=True)


def hoi_entry(graph: SceneGraphRecord, objects: dict[str, int], predicates: dict[str, int]) -> dict:
    """The ``trainval_hico.json`` entry of ``graph``; new object and predicate names are
    numbered into ``objects`` and ``predicates``."""
    number = _FILE_NUMBER.search(PurePosixPath(graph.file_name).name)
    if number is None or int(number[1]) != graph.image_id:
        raise RLIPv2InputError(
            f"image {graph.image_id} is {graph.file_name!r}: the HICO-DET layout reads an image's "
            "id from the number ending its file name, so it would not come back as the same image"
        )
    index = {item.entity_id: position for position, item in enumerate(graph.objects)}
    relations = []
    for relation in graph.relationships:
        entry = {
            "subject_id": index[relation.subject_entity_id],
            "object_id": index[relation.object_entity_id],
            "category_id": predicates.setdefault(relation.predicate, len(predicates) + 1),
        }
        if relation.confidence is not None:
            entry["confidence"] = relation.confidence
        relations.append(entry)
    return {
        "file_name": graph.file_name,
        "img_id": graph.image_id,
        "annotations": [
            {
                "bbox": [item.x1, item.y1, item.x2, item.y2],
                "category_id": objects.setdefault(item.category_name, len(objects) + 1),
            }
            for item in graph.objects
        ],
        "hoi_annotation": relations,
    }

"""The RLIPv2 paper's pseudo-label JSON: what its official training code reads.

One JSON array, one record per image (``generate_relations_using_verb_tagger.py``)::

    {"image_id": 139, "dataset": "coco2017", "data_split": "train2017",
     "objects": [{"object_id": 10000000, "x": 412.8, "y": 157.6, "w": 53.1, "h": 138.0,
                  "names": "person"}, ...],
     "relationships": [{"relationship_id": 10000000, "predicate": "sitting on",
                        "subject_id": 10000000, "object_id": 10000003, "confidence": 0.31}, ...]}

Boxes are absolute xywh in pixels of the original image (top-left corner). As in the paper,
object and relationship ids are counters over the whole file starting at ``id_start``
(10,000,000 for COCO, 20,000,000 for Objects365), so that datasets mixed in pretraining do not
share ids. Human relations have no ``confidence`` key (the training code always keeps those).

The official loader (``datasets/mixed_dataset.py``) finds each image from the record alone:

- ``"dataset": "coco2017"``: ``<COCO folder>/<data_split>/<image_id as 12 digits>.jpg``, so
  ``data_split`` is the image folder (``train2017``, ``val2017``), not the split's name;
- ``"dataset": "o365"``: the path that ``<Objects365 folder>/image_id_to_filepath.json`` gives
  for ``str(image_id)`` (``data_split`` is ``train`` or ``val``, the image folder);
- no ``dataset`` key (Visual Genome, ``scene_graphs_after_preprocessing.json``):
  ``<VG folder>/<image_id>.jpg``.

Any other ``dataset`` value leaves the loader without an image, so the export writes only these
three and refuses an image whose file the loader would not find under the name it derives.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from data_schemas.errors import RLIPv2InputError
from data_schemas.scene_graphs import SceneGraphRecord
from export.export_files import json_array_file

COCO_ID_START = 10_000_000
OBJECTS365_ID_START = 20_000_000


class PaperDataset(StrEnum):
    """The datasets the official loader opens images of."""

    COCO2017 = "coco2017"
    O365 = "o365"
    VISUAL_GENOME = "vg"


def paper_dataset_of(dataset: str) -> PaperDataset | None:
    """The official name of an rlipv2 dataset name (``coco``, ``coco2017_train`` -> coco2017;
    ``objects365``, ``o365`` -> o365; ``vg``, ``visual_genome`` -> vg), or None."""
    name = dataset.lower().replace("-", "_")
    if name.startswith("coco"):
        return PaperDataset.COCO2017
    if name.startswith(("o365", "objects365")):
        return PaperDataset.O365
    if name == "vg" or name.startswith(("vg_", "visual_genome", "visualgenome")):
        return PaperDataset.VISUAL_GENOME
    return None


@dataclass(frozen=True)
class PaperJsonExport:
    """Writes one JSON file of paper records; ids count from ``id_start``.

    ``dataset`` is the official dataset name of every record (None: derived from each image's
    rlipv2 dataset name by :func:`paper_dataset_of`); ``image_folder`` the ``data_split`` of
    COCO images whose ``file_name`` names no folder, and of Objects365 images (the directory
    name of the ingest's image root: ``train2017``, ``train``).
    """

    id_start: int = COCO_ID_START
    dataset: PaperDataset | None = None
    image_folder: str | None = None

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
                        location=self.image_location(scene_graph),
                    )
                )
                next_object_id += len(scene_graph.objects)
                next_relationship_id += len(scene_graph.relationships)


    def image_location(self, scene_graph: SceneGraphRecord) -> dict[str, str]:
        """The ``dataset`` and ``data_split`` keys of ``scene_graph``'s record (none for Visual
        Genome).

        Raises:
            RLIPv2InputError: the dataset has no official name, the image folder is unknown, or
                the file is not named as the official loader looks for it.
        """
        dataset = self.dataset or paper_dataset_of(scene_graph.dataset)
        if dataset is None:
            raise RLIPv2InputError(
                f"dataset {scene_graph.dataset!r} has no name the official loader knows; pass "
                "--paper-dataset coco2017, o365 or vg"
            )
        path = PurePosixPath(scene_graph.file_name)
        expected = {
            PaperDataset.COCO2017: f"{scene_graph.image_id:012d}.jpg",
            PaperDataset.VISUAL_GENOME: f"{scene_graph.image_id}.jpg",
        }.get(dataset)
        if expected is not None and path.name != expected:
            raise RLIPv2InputError(
                f"image {scene_graph.image_id} is {scene_graph.file_name!r}, but the official "
                f"loader opens {dataset} image {scene_graph.image_id} as {expected!r}"
            )
        if dataset is PaperDataset.VISUAL_GENOME:
            return {}
        if dataset is PaperDataset.O365:  # the loader reads paths from image_id_to_filepath.json
            return {"dataset": dataset.value, "data_split": self.image_folder or scene_graph.split}
        folder = str(path.parent) if path.parent != PurePosixPath(".") else self.image_folder
        if folder is None:
            raise RLIPv2InputError(
                f"the image folder (data_split) of image {scene_graph.image_id} is unknown: its "
                "dataset was ingested without --image-root; pass --image-folder (train2017, ...)"
            )
        return {"dataset": dataset.value, "data_split": folder}


def paper_record(
    scene_graph: SceneGraphRecord,
    *,
    first_object_id: int,
    first_relationship_id: int,
    location: dict[str, str],
) -> dict:
    """The paper record of ``scene_graph``: objects numbered from ``first_object_id`` in their
    order, relationships from ``first_relationship_id``; ``location`` holds its ``dataset``
    and ``data_split`` (:meth:`PaperJsonExport.image_location`)."""
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
        **location,
        "objects": objects,
        "relationships": relationships,
    }

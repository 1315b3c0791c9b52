"""Reader for the paper's scene-graph JSON: the released pseudo-labels
(``RLIPv2_train2017_threshold20_Tagger2_..._thre05.json``, ``RLIPv2_o365trainval_Tagger2_...json``),
Visual Genome's ``scene_graphs_after_preprocessing.json``, and ``rlipv2 export --to paper-json``.

One JSON array, one record per image (see :mod:`export.paper_json`)::

    {"image_id": 139, "dataset": "coco2017", "data_split": "train2017",
     "objects": [{"object_id": 10000000, "x": .., "y": .., "w": .., "h": .., "names": "person"}],
     "relationships": [{"relationship_id": 10000000, "predicate": "sitting on",
                        "subject_id": 10000000, "object_id": 10000003, "confidence": 0.31}]}

The records give no image sizes and no file names: the image is found as the official loader
finds it, under ``image_root`` laid out as the paper's README says (``coco2017``:
``<data_split>/<image_id as 12 digits>.jpg``; ``o365``: the path ``image_id_to_filepath.json``
gives; no ``dataset`` key, Visual Genome: ``<image_id>.jpg``), and its size is read from its
header. Rows keep the record's dataset (``vg`` when absent) and ``data_split`` (``train`` when
absent). Relationships with a ``confidence`` are pseudo-labels, the others human ones.
"""

import json
from collections.abc import Mapping
from pathlib import Path

from tqdm import tqdm

from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.rejects import Rejection, RejectReason
from data_schemas.relations import RELATIONS
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.coco_format import IngestedImages
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import is_integer, pack_size
from pipeline.ingest.id_index import IntIdIndex
from pipeline.ingest.image_paths import relative_image_path
from pipeline.ingest.image_size import read_image_size
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog
from pipeline.ingest.visual_genome import VisualGenomeEntities, check_relationship

VISUAL_GENOME_DATASET = "vg"
"""The dataset of records without a ``dataset`` key (the paper's Visual Genome file)."""


def ingest_scene_graph_json(
    scene_graphs_json: Path,
    *,
    image_root: Path,
    image_paths_json: Path | None,
    dataset: str,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> None:
    """Stream the file (twice: images, then objects and relationships) into ``images``,
    ``entities``, ``categories`` (of ``dataset``) and ``relations``; every dropped record goes
    to ``rejects``.

    Raises:
        RLIPv2InputError: ``image_paths_json`` is not a JSON object of image id -> path.
    """
    image_paths = _read_image_paths(image_paths_json)
    source = scene_graphs_json.name
    images = _ingest_images(scene_graphs_json, image_root, image_paths, output, rejects, counts)
    entities = VisualGenomeEntities(images, output, counts)
    relations = output.writer(RELATIONS)
    relationship_ids = IntIdIndex()

    def named_entity(entry: Mapping, role: str, image_id: int) -> int | Rejection:
        entity_id = entry.get(f"{role}_id")
        if not is_integer(entity_id) or entities.image_of.get(entity_id) != image_id:
            return Rejection(
                RejectReason.UNKNOWN_ENTITY, f"{entity_id!r} is no kept object of image {image_id}"
            )
        return entity_id

    for record in tqdm(stream_items(scene_graphs_json, "item"), desc="scene graphs", unit="",
                       disable=None):
        if not isinstance(record, Mapping) or not is_integer(record.get("image_id")):
            continue  # refused by the image pass
        image_id = record["image_id"]
        for entry in _entries(record, "objects"):
            entity_id = entities.add(entry, image_id)
            if isinstance(entity_id, Rejection):
                rejects.record(
                    entity_id, source_file=source, record_kind="object", image_id=image_id,
                    record_id=entry.get("object_id") if isinstance(entry, Mapping) else None,
                )
        for entry in _entries(record, "relationships"):
            row = check_relationship(
                entry, image_id, images, relationship_ids, role_entity=named_entity
            )
            if isinstance(row, Rejection):
                rejects.record(
                    row, source_file=source, record_kind="relationship", image_id=image_id,
                    record_id=entry.get("relationship_id") if isinstance(entry, Mapping) else None,
                )
                continue
            relations.append(row)
            counts.relations += 1
    entities.write_categories(output, dataset)


def official_file_name(record: Mapping, image_paths: Mapping[str, str] | None) -> str | Rejection:
    """Where the official loader opens ``record``'s image, relative to the dataset folder."""
    image_id, dataset = record["image_id"], record.get("dataset")
    if dataset is None:
        return f"{image_id}.jpg"
    if dataset == "coco2017":
        return f"{record.get('data_split', 'train2017')}/{image_id:012d}.jpg"
    if dataset == "o365":
        if image_paths is None:
            return Rejection(
                RejectReason.MALFORMED_RECORD,
                "an o365 record needs --image-paths (the dataset's image_id_to_filepath.json)",
            )
        path = image_paths.get(str(image_id))
        if path is None:
            return Rejection(
                RejectReason.MISSING_IMAGE_FILE, f"image_id_to_filepath.json has no {image_id}"
            )
        return path
    return Rejection(
        RejectReason.MALFORMED_RECORD,
        f"dataset {dataset!r} is none the official loader opens (coco2017, o365, or no key: VG)",
    )


def _ingest_images(
    scene_graphs_json: Path,
    image_root: Path,
    image_paths: Mapping[str, str] | None,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> IngestedImages:
    sizes = IntIdIndex()
    rejected: set[int] = set()
    writer = output.writer(IMAGES)
    for position, record in enumerate(
        tqdm(stream_items(scene_graphs_json, "item"), desc="images", unit="", disable=None)
    ):
        row = _image_row(record, image_root, image_paths)
        image_id = record.get("image_id") if isinstance(record, Mapping) else None
        if not isinstance(row, Rejection) and not sizes.add(
            row["image_id"], pack_size(row["width"], row["height"])
        ):
            row = Rejection(RejectReason.DUPLICATE_ID, f"image id {image_id} appears twice")
        if isinstance(row, Rejection):
            if is_integer(image_id) and image_id not in sizes:
                rejected.add(image_id)
            rejects.record(
                row, source_file=scene_graphs_json.name, record_kind="image",
                record_id=image_id if is_integer(image_id) else f"entry {position}",
                image_id=image_id if is_integer(image_id) else None,
            )
            continue
        writer.append(row)
        counts.images += 1
    return IngestedImages(sizes=sizes, rejected_ids=frozenset(rejected))


def _image_row(
    record: object, image_root: Path, image_paths: Mapping[str, str] | None
) -> dict | Rejection:
    if not isinstance(record, Mapping) or not is_integer(record.get("image_id")):
        return Rejection(RejectReason.MALFORMED_RECORD, "record has no integer image_id")
    for key in ("objects", "relationships"):
        if not isinstance(record.get(key), list):
            return Rejection(RejectReason.MALFORMED_RECORD, f"record has no {key!r} list")
    split = record.get("data_split", "train")
    if not isinstance(split, str) or not split.strip():
        return Rejection(RejectReason.MALFORMED_RECORD, f"data_split {split!r} is not a name")
    file_name = official_file_name(record, image_paths)
    if isinstance(file_name, Rejection):
        return file_name
    file_name = relative_image_path(file_name, image_root)
    if isinstance(file_name, Rejection):
        return file_name
    size = read_image_size(image_root, file_name)
    if isinstance(size, Rejection):
        return size
    return {
        "image_id": record["image_id"],
        "dataset": record.get("dataset", VISUAL_GENOME_DATASET),
        "split": split,
        "file_name": file_name,
        "width": size[0],
        "height": size[1],
    }


def _entries(record: Mapping, key: str) -> list:
    entries = record.get(key)
    return entries if isinstance(entries, list) else []


def _read_image_paths(image_paths_json: Path | None) -> dict[str, str] | None:
    if image_paths_json is None:
        return None
    try:
        paths = json.loads(image_paths_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RLIPv2InputError(f"cannot read {image_paths_json}: {error}") from None
    if not isinstance(paths, dict) or not all(isinstance(path, str) for path in paths.values()):
        raise RLIPv2InputError(
            f"{image_paths_json} is not a JSON object of image id -> file path "
            "(image_id_to_filepath.json)"
        )
    return paths

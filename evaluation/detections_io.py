"""Reading and writing relation detections files: Parquet (the ``relation_detections`` table,
one file or a directory of shards) or its JSON alternative, told apart by the name."""

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import read_table, write_table_atomic
from data_schemas.relation_detections import RELATION_DETECTIONS, RelationDetectionsRecord
from data_schemas.temporary_siblings import new_temporary_sibling
from evaluation.detections import ImageDetections

JSON_SUFFIX = ".json"
PARQUET_SUFFIX = ".parquet"


def read_detections(path: Path) -> dict[int, ImageDetections]:
    """The detections in ``path`` by image id: a ``.parquet`` file, a directory of Parquet
    shards, or a ``.json`` file.

    Raises:
        RLIPv2InputError: one line naming the file (and the image) for a missing file, another
            format, an image listed twice, a NaN or out-of-range score, a box with ``x2 < x1``
            or ``y2 < y1``, or a pair pointing outside its image's boxes.
    """
    if path.suffix == JSON_SUFFIX:
        if not path.is_file():
            raise RLIPv2InputError(f"{path} does not exist (expected a detections file)")
        images = _images_from_json(path)
    elif path.is_dir() or path.suffix == PARQUET_SUFFIX:
        images = _images_from_table(read_table(path, RELATION_DETECTIONS), path)
    else:
        raise RLIPv2InputError(
            f"{path}: expected detections as a {PARQUET_SUFFIX} file, a directory of Parquet "
            f"shards or a {JSON_SUFFIX} file"
        )
    detections: dict[int, ImageDetections] = {}
    for image in images:
        if image.image_id in detections:
            raise RLIPv2InputError(f"{path}: image {image.image_id} is listed twice")
        detections[image.image_id] = image
    return detections


def write_detections(detections: Iterable[ImageDetections], path: Path) -> Path:
    """Write ``detections`` atomically to ``path``: Parquet for ``.parquet``, JSON for ``.json``."""
    rows = [_row(image) for image in detections]
    if path.suffix == PARQUET_SUFFIX:
        return write_table_atomic(
            RELATION_DETECTIONS.rows_to_arrow(rows), path, RELATION_DETECTIONS
        )
    if path.suffix != JSON_SUFFIX:
        raise RLIPv2InputError(
            f"{path}: detections are written as {PARQUET_SUFFIX} or {JSON_SUFFIX}"
        )
    payload = {
        "table": RELATION_DETECTIONS.name,
        "schema_version": RELATION_DETECTIONS.version,
        "images": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = new_temporary_sibling(path)
    try:
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _row(image: ImageDetections) -> dict:
    return {
        "image_id": image.image_id,
        "boxes": image.boxes.tolist(),
        "labels": image.labels.tolist(),
        "subject_index": image.subject_index.tolist(),
        "object_index": image.object_index.tolist(),
        "verb_scores": image.verb_scores.tolist(),
    }


def _images_from_json(path: Path) -> Iterator[ImageDetections]:
    try:
        payload = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RLIPv2InputError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(payload, dict) or payload.get("table") != RELATION_DETECTIONS.name:
        raise RLIPv2InputError(
            f"{path} is not an rlipv2 detections file (expected an object with "
            f'"table": "{RELATION_DETECTIONS.name}", "schema_version" and "images")'
        )
    if payload.get("schema_version") != RELATION_DETECTIONS.version:
        raise RLIPv2InputError(
            f"{path} has detections schema version {payload.get('schema_version')!r}, but this "
            f"rlipv2 reads version {RELATION_DETECTIONS.version}"
        )
    if not isinstance(payload.get("images"), list):
        raise RLIPv2InputError(f'{path}: "images" must be a list of per-image detections')
    for position, row in enumerate(payload["images"]):
        try:
            record = RelationDetectionsRecord.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise RLIPv2InputError(
                f"{path}: images[{position}]: {where}: {first['msg']}"
            ) from error
        yield _checked(path, record.image_id, record.model_dump())


def _images_from_table(table: pa.Table, path: Path) -> Iterator[ImageDetections]:
    """Per-image arrays from the table's list columns, without a Python object per number."""
    boxes_offsets, boxes = _flattened(table, "boxes")
    boxes = boxes.reshape(-1, 4)
    labels_offsets, labels = _flattened(table, "labels")
    subject_offsets, subjects = _flattened(table, "subject_index")
    object_offsets, objects = _flattened(table, "object_index")
    pair_offsets, pair_lists = _list_offsets(table.column("verb_scores").combine_chunks())
    score_offsets, scores = _list_offsets(pair_lists)
    scores = scores.to_numpy(zero_copy_only=False)
    for row, image_id in enumerate(table.column("image_id").to_numpy().tolist()):
        pairs = slice(pair_offsets[row], pair_offsets[row + 1])
        lengths = np.diff(score_offsets[pairs.start : pairs.stop + 1])
        if len(lengths) and (lengths != lengths[0]).any():
            raise RLIPv2InputError(
                f"{path}: image {image_id}: pairs have different numbers of verb scores"
            )
        num_verbs = int(lengths[0]) if len(lengths) else 0
        yield _checked(
            path,
            image_id,
            {
                "image_id": image_id,
                "boxes": boxes[boxes_offsets[row] : boxes_offsets[row + 1]],
                "labels": labels[labels_offsets[row] : labels_offsets[row + 1]],
                "subject_index": subjects[subject_offsets[row] : subject_offsets[row + 1]],
                "object_index": objects[object_offsets[row] : object_offsets[row + 1]],
                "verb_scores": scores[
                    score_offsets[pairs.start] : score_offsets[pairs.stop]
                ].reshape(len(lengths), num_verbs),
            },
        )


def _flattened(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Row offsets and all values of a list column (nested lists flattened to numbers)."""
    offsets, values = _list_offsets(table.column(column).combine_chunks())
    while isinstance(values, (pa.ListArray, pa.FixedSizeListArray)):
        values = values.flatten()
    return offsets, values.to_numpy(zero_copy_only=False)


def _list_offsets(array: pa.ListArray) -> tuple[np.ndarray, pa.Array]:
    offsets = array.offsets.to_numpy()
    return offsets - offsets[0], array.flatten()


def _checked(path: Path, image_id: int, fields: dict) -> ImageDetections:
    try:
        return ImageDetections(**fields)
    except ValueError as error:
        raise RLIPv2InputError(f"{path}: image {image_id}: {error}") from error

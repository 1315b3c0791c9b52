"""Reader for COCO-format instance files: COCO itself and Objects365 (zhiyuan_objv2).

The file is streamed three times (categories, images, annotations), each pass through
ijson's C parser, so memory holds the categories, a compact image-size index and an
annotation-id index (about 16 bytes per id) but never the file's arrays.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from data_schemas.categories import CATEGORIES, is_reserved_category_name
from data_schemas.entities import ENTITIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.rejects import Rejection, RejectReason, reserved_name_rejection
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.boxes import clip_xywh_box
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.entries import check_image_entry, is_integer, pack_size, unpack_size
from pipeline.ingest.id_index import IntIdIndex
from pipeline.ingest.json_stream import stream_items
from pipeline.ingest.rejection import RejectLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestedImages:
    """The images kept by a pass over ``images``: sizes by id, and ids that were rejected."""

    sizes: IntIdIndex
    rejected_ids: frozenset[int]

    def why_unusable(self, image_id: int) -> Rejection | None:
        """Why annotations of ``image_id`` cannot be kept, or None if the image was kept."""
        if image_id in self.sizes:
            return None
        if image_id in self.rejected_ids:
            return Rejection(RejectReason.IMAGE_REJECTED, f"image {image_id} was rejected")
        return Rejection(RejectReason.UNKNOWN_IMAGE, f"image {image_id} is not in the file")


def ingest_coco_format(
    instances_json: Path,
    *,
    dataset: str,
    split: str,
    image_root: Path | None,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> IngestedImages:
    """Stream a COCO-format instances file into the ``categories``, ``images``, ``entities``
    tables of ``output``; every dropped record goes to ``rejects``.

    Crowd annotations (``iscrowd=1``) and boxes without area are dropped; boxes are clipped
    to their image. With ``image_root`` given, images whose file is missing are rejected.
    """
    source = instances_json.name
    categories = _ingest_categories(instances_json, dataset, output, rejects, counts)
    images = ingest_image_entries(
        stream_items(instances_json, "images.item"),
        source=source,
        id_key="id",
        dataset=dataset,
        split=split,
        image_root=image_root,
        output=output,
        rejects=rejects,
        counts=counts,
    )
    if counts.images == 0 and not images.rejected_ids:
        raise RLIPv2InputError(
            f"{instances_json} has no entries under 'images': is it a COCO-format instances file?"
        )
    entity_ids = IntIdIndex()
    entities = output.writer(ENTITIES)
    for item in tqdm(
        stream_items(instances_json, "annotations.item"), desc="annotations", unit="", disable=None
    ):
        row = _check_annotation(item, images, categories, entity_ids)
        if isinstance(row, Rejection):
            rejects.record(
                row,
                source_file=source,
                record_kind="annotation",
                record_id=item.get("id") if isinstance(item, Mapping) else None,
                image_id=_image_id_of(item),
            )
            continue
        row_values, was_clipped = row
        entities.append(row_values)
        counts.entities += 1
        counts.clipped_boxes += was_clipped
    return images


def ingest_image_entries(
    items: Iterable[object],
    *,
    source: str,
    id_key: str,
    dataset: str,
    split: str,
    image_root: Path | None,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
    file_name_of: Callable[[Mapping], object] = lambda item: item.get("file_name"),
) -> IngestedImages:
    """Check image entries and write the kept ones to the ``images`` table.

    ``file_name_of`` reads an entry's file name (COCO: ``file_name``; VG derives it).
    """
    sizes = IntIdIndex()
    rejected: set[int] = set()
    images = output.writer(IMAGES)
    for item in tqdm(items, desc="images", unit="", disable=None):
        file_name = file_name_of(item) if isinstance(item, Mapping) else None
        entry = check_image_entry(item, id_key=id_key, file_name=file_name, image_root=image_root)
        if isinstance(entry, Rejection) or not sizes.add(
            entry.image_id, pack_size(entry.width, entry.height)
        ):
            rejection = entry if isinstance(entry, Rejection) else Rejection(
                RejectReason.DUPLICATE_ID, f"image id {entry.image_id} appears twice"
            )
            image_id = item.get(id_key) if isinstance(item, Mapping) else None
            if is_integer(image_id) and image_id not in sizes:
                rejected.add(image_id)
            rejects.record(
                rejection,
                source_file=source,
                record_kind="image",
                record_id=image_id,
                image_id=image_id if is_integer(image_id) else None,
            )
            continue
        images.append(
            {
                "image_id": entry.image_id,
                "dataset": dataset,
                "split": split,
                "file_name": entry.file_name,
                "width": entry.width,
                "height": entry.height,
            }
        )
        counts.images += 1
    return IngestedImages(sizes=sizes, rejected_ids=frozenset(rejected))


def _ingest_categories(
    instances_json: Path,
    dataset: str,
    output: StagedDatasetOutput,
    rejects: RejectLog,
    counts: IngestCounts,
) -> dict[int, str]:
    names: dict[int, str] = {}
    seen_ids: set[int] = set()  # accepted or not: a later entry with the same id is a duplicate
    writer = output.writer(CATEGORIES)
    for item in stream_items(instances_json, "categories.item"):
        category_id = item.get("id") if isinstance(item, Mapping) else None
        name = item.get("name") if isinstance(item, Mapping) else None
        if not is_integer(category_id) or not isinstance(name, str) or not name.strip():
            rejection = Rejection(RejectReason.MALFORMED_RECORD, "category needs an id and a name")
        elif category_id in seen_ids:
            rejection = Rejection(
                RejectReason.DUPLICATE_ID, f"category id {category_id} appears twice"
            )
        elif is_reserved_category_name(name):
            seen_ids.add(category_id)
            rejection = reserved_name_rejection(f"category {category_id}")
        else:
            seen_ids.add(category_id)
            names[category_id] = name.strip()
            supercategory = item.get("supercategory")
            writer.append(
                {
                    "dataset": dataset,
                    "category_id": category_id,
                    "name": names[category_id],
                    "supercategory": supercategory if isinstance(supercategory, str) else None,
                }
            )
            counts.categories += 1
            continue
        rejects.record(
            rejection,
            source_file=instances_json.name,
            record_kind="category",
            record_id=category_id,
        )
    if not names:
        raise RLIPv2InputError(f"{instances_json} has no usable entries under 'categories'")
    return names


def _check_annotation(
    item: object,
    images: IngestedImages,
    categories: Mapping[int, str],
    entity_ids: IntIdIndex,
) -> tuple[dict, bool] | Rejection:
    """An annotation -> (entities row, whether its box was clipped), or why it is dropped."""
    if not isinstance(item, Mapping) or not all(
        is_integer(item.get(key)) for key in ("id", "image_id", "category_id")
    ):
        return Rejection(
            RejectReason.MALFORMED_RECORD, "annotation needs integer id, image_id, category_id"
        )
    if not entity_ids.add(item["id"]):
        return Rejection(RejectReason.DUPLICATE_ID, f"annotation id {item['id']} appears twice")
    image_problem = images.why_unusable(item["image_id"])
    if image_problem is not None:
        return image_problem
    category_name = categories.get(item["category_id"])
    if category_name is None:
        return Rejection(
            RejectReason.UNKNOWN_CATEGORY,
            f"category id {item['category_id']} is not among the accepted categories",
        )
    if item.get("iscrowd", 0) not in (0, False):
        return Rejection(RejectReason.CROWD, "crowd annotation (iscrowd=1)")
    width, height = unpack_size(images.sizes.get(item["image_id"]))
    box = clip_xywh_box(item.get("bbox"), width, height)
    if isinstance(box, Rejection):
        return box
    row = {
        "entity_id": item["id"],
        "image_id": item["image_id"],
        "category_id": item["category_id"],
        "category_name": category_name,
        "x1": box.x1,
        "y1": box.y1,
        "x2": box.x2,
        "y2": box.y2,
    }
    return row, box.was_clipped


def _image_id_of(item: object) -> int | None:
    image_id = item.get("image_id") if isinstance(item, Mapping) else None
    return image_id if is_integer(image_id) else None

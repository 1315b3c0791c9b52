"""Checks of single JSON entries shared by the COCO-format and Visual Genome readers."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from data_schemas.rejects import Rejection, RejectReason
from pipeline.ingest.image_paths import relative_image_path


@dataclass(frozen=True)
class ImageEntry:
    """A checked image entry: id, POSIX path under the image root, size in pixels."""

    image_id: int
    file_name: str
    width: int
    height: int


def is_integer(value: object) -> bool:
    """True for JSON integers (bools are not ids)."""
    return isinstance(value, int) and not isinstance(value, bool)


MAX_PIXEL_SIZE = 2**31 - 1
"""The largest width or height the images table (int32 columns) holds."""


def as_pixel_size(value: object) -> int | None:
    """A positive integral pixel size (``640`` or ``640.0``) up to :data:`MAX_PIXEL_SIZE`,
    else None."""
    if is_integer(value) and 0 < value <= MAX_PIXEL_SIZE:
        return int(value)
    if isinstance(value, float) and value.is_integer() and 0 < value <= MAX_PIXEL_SIZE:
        return int(value)
    return None


def check_image_entry(
    item: object, *, id_key: str, file_name: object, image_root: Path | None
) -> ImageEntry | Rejection:
    """Check an image entry's id (under ``id_key``), size and ``file_name``."""
    if not isinstance(item, Mapping) or not is_integer(item.get(id_key)):
        return Rejection(RejectReason.MALFORMED_RECORD, f"image entry has no integer {id_key!r}")
    width, height = as_pixel_size(item.get("width")), as_pixel_size(item.get("height"))
    if width is None or height is None:
        return Rejection(
            RejectReason.MALFORMED_RECORD,
            f"width {item.get('width')!r} / height {item.get('height')!r} are not pixel sizes "
            f"(integers 1 to {MAX_PIXEL_SIZE:,})",
        )
    path = relative_image_path(file_name, image_root)
    if isinstance(path, Rejection):
        return path
    return ImageEntry(image_id=item[id_key], file_name=path, width=width, height=height)


def pack_size(width: int, height: int) -> int:
    """(width, height) -> one int, for storing image sizes compactly in an id index."""
    return (width << 32) | height


def unpack_size(packed: int) -> tuple[int, int]:
    return packed >> 32, packed & 0xFFFFFFFF

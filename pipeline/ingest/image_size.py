"""Image sizes read from the image files, for annotation files that do not give them."""

from pathlib import Path

from PIL import Image

from data_schemas.rejects import Rejection, RejectReason


def read_image_size(image_root: Path, file_name: str) -> tuple[int, int] | Rejection:
    """(width, height) of ``image_root / file_name`` from its header (the pixels are not
    decoded), or why it cannot be read."""
    from model.data.image_files import DECODE_ERRORS  # imports torch: not for --help

    try:
        with Image.open(image_root / file_name) as opened:
            return opened.size
    except DECODE_ERRORS as error:
        return Rejection(
            RejectReason.UNREADABLE_IMAGE,
            f"cannot read the size of {image_root / file_name}: {type(error).__name__}: {error}",
        )

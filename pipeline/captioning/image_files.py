"""Opening an image file under the image root, or saying why it cannot be used."""

from pathlib import Path

from PIL import Image

from data_schemas.image_files import image_file_location_problem
from data_schemas.rejects import Rejection, RejectReason
from model.data.image_files import DECODE_ERRORS


def load_rgb_image(image_root: Path, file_name: str) -> Image.Image | Rejection:
    """Open and fully decode ``image_root / file_name`` as an RGB image.

    ``image_root`` must be resolved (absolute, no symlinks); a file whose real path leaves it
    (through ``..`` or a symlink) is refused, never opened. A file that is outside the root
    (``path_escapes_root``), missing (``missing_image_file``), truncated or not an image
    (``unreadable_image``) comes back as a :class:`Rejection`, never as an exception.
    """
    path = image_root / file_name
    problem = image_file_location_problem(path, image_root=image_root)
    if problem is not None:
        return problem
    try:
        with Image.open(path) as image:
            return image.convert("RGB")  # decodes every pixel, so truncation shows here
    except DECODE_ERRORS as error:
        return Rejection(
            RejectReason.UNREADABLE_IMAGE, f"cannot decode {path}: {type(error).__name__}: {error}"
        )

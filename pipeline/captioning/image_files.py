"""Opening an image file under the image root, or saying why it cannot be used."""

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from model.data.image_files import DECODE_ERRORS


@dataclass(frozen=True)
class UnreadableImage:
    """Why an image file cannot be captioned."""

    detail: str


def load_rgb_image(image_root: Path, file_name: str) -> Image.Image | UnreadableImage:
    """Open and fully decode ``image_root / file_name`` as an RGB image.

    ``image_root`` must be resolved (absolute, no symlinks); a file whose real path leaves it
    (through ``..`` or a symlink) is refused, never opened. Missing, truncated and non-image files
    come back as :class:`UnreadableImage`, never as an exception.
    """
    path = image_root / file_name
    if not path.resolve().is_relative_to(image_root):
        return UnreadableImage(f"{file_name!r} resolves outside the image root {image_root}")
    try:
        with Image.open(path) as image:
            return image.convert("RGB")  # decodes every pixel, so truncation shows here
    except FileNotFoundError:
        return UnreadableImage(f"{path} does not exist")
    except DECODE_ERRORS as error:
        return UnreadableImage(f"cannot decode {path}: {type(error).__name__}: {error}")

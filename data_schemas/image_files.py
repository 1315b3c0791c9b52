"""An image file named by a record, on disk: under its image root, present, a regular file.

The records' ``file_name`` validators refuse names that leave the image root as written; this
is the check on disk, after symlinks. It never raises: a path the system cannot resolve or
stat (a symlink loop, an over-long name, a NUL byte, no permission) is a rejection too.
"""

import stat
from pathlib import Path

from data_schemas.rejects import Rejection, RejectReason


def image_file_location_problem(image_path: Path, *, image_root: Path) -> Rejection | None:
    """Why ``image_path`` is not a regular file under ``image_root``; None when it is.

    ``image_root`` must be resolved (absolute, no symlinks).
    """
    try:
        resolved = image_path.resolve()
    except (OSError, RuntimeError, ValueError) as error:  # RuntimeError: a symlink loop
        return _unreadable(image_path, "cannot resolve", error)
    if not resolved.is_relative_to(image_root):
        return Rejection(
            RejectReason.PATH_ESCAPES_ROOT,
            f"{image_path} resolves outside the image root {image_root}",
        )
    try:
        mode = image_path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Rejection(RejectReason.MISSING_IMAGE_FILE, f"{image_path} does not exist")
    except (OSError, ValueError) as error:
        return _unreadable(image_path, "cannot read", error)
    if not stat.S_ISREG(mode):
        return Rejection(RejectReason.UNREADABLE_IMAGE, f"{image_path} is not a regular file")
    return None


def _unreadable(image_path: Path, what: str, error: Exception) -> Rejection:
    return Rejection(
        RejectReason.UNREADABLE_IMAGE, f"{what} {image_path}: {type(error).__name__}: {error}"
    )

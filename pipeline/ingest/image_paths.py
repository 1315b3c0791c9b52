"""Image file names from annotation files: kept under the image root, checked on disk."""

import posixpath
import re
from pathlib import Path

from data_schemas.image_files import image_file_location_problem
from data_schemas.rejects import Rejection, RejectReason

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def relative_image_path(file_name: object, image_root: Path | None) -> str | Rejection:
    """Normalise an annotation's ``file_name`` to a POSIX path under the image root.

    Absolute paths, drive letters and paths whose ``..`` parts leave the root are refused
    (``../../etc/passwd`` must never be opened). With ``image_root`` given, the file must be
    there too, as a regular file that symlinks do not lead out of the root (see
    :func:`~data_schemas.image_files.image_file_location_problem`).
    """
    if not isinstance(file_name, str) or not file_name.strip() or "\x00" in file_name:
        return Rejection(RejectReason.MALFORMED_RECORD, f"file_name {file_name!r} is not a path")
    posix_name = file_name.strip().replace("\\", "/")
    normalised = posixpath.normpath(posix_name)
    if (
        posixpath.isabs(posix_name)
        or _WINDOWS_DRIVE.match(posix_name)
        or normalised == ".."
        or normalised.startswith("../")
    ):
        return Rejection(
            RejectReason.PATH_ESCAPES_ROOT, f"file_name {file_name!r} leaves the image root"
        )
    if image_root is not None:
        problem = image_file_location_problem(
            image_root / normalised, image_root=image_root.resolve()
        )
        if problem is not None:
            return problem
    return normalised

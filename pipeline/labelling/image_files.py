"""A cheap digest of a shard's image files: names, sizes and modification times."""

import hashlib
from collections.abc import Sequence
from pathlib import Path

from pipeline.labelling.digests import DIGEST_LENGTH


def image_files_digest(image_root: Path, file_names: Sequence[str]) -> str:
    """SHA-256 over ``(file name, size, mtime_ns)`` of each image under ``image_root``.

    Like make's timestamps, this notices a replaced or edited image without reading pixels; a
    missing file is recorded as missing, so its later appearance changes the digest.
    """
    digest = hashlib.sha256()
    for name in file_names:
        try:
            status = (image_root / name).stat()
            digest.update(f"{name}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{name}\0missing\n".encode())
    return digest.hexdigest()[:DIGEST_LENGTH]

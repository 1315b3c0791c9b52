"""Atomic file output: write a hidden temporary file beside the target, then rename it into place.

A reader never sees a half-written file, and a failed write leaves no temporary file behind.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from PIL import Image

from data_schemas.temporary_siblings import new_temporary_sibling


@contextmanager
def atomic_output(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; on success it replaces ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = new_temporary_sibling(path)
    try:
        encoding = None if "b" in mode else "utf-8"
        with temporary.open(mode, encoding=encoding) as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    """Flush ``directory``'s entries (the renames into it) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_json_atomic(path: Path, payload: object) -> None:
    """``payload`` as compact JSON, keys in the order the dictionaries were built."""
    with atomic_output(path) as handle:
        json.dump(payload, handle, separators=(",", ":"))


def save_png_atomic(image: Image.Image, path: Path) -> None:
    """``image`` as a PNG without timestamps or other metadata, so equal images give equal bytes."""
    with atomic_output(path, "wb") as handle:
        image.save(handle, format="PNG")

"""Export outputs: staged beside their destination and renamed into place when complete, and
JSON arrays written one element at a time."""

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from data_schemas.errors import RLIPv2InputError
from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling


@contextmanager
def staged_export(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """A hidden path beside ``out`` to write the export to (a file or a directory), renamed to
    ``out`` when the block succeeds and removed when it fails, so ``out`` is never partial.

    Raises:
        RLIPv2InputError: ``out`` exists and ``overwrite`` is False.
    """
    if out.exists() and not overwrite:
        raise RLIPv2InputError(f"{out} already exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = new_temporary_sibling(out, "staging")
    try:
        yield staging
        move_into_place(staging, out)
    finally:
        if staging.is_dir():
            shutil.rmtree(staging)
        else:
            staging.unlink(missing_ok=True)


class JsonArrayWriter:
    """Writes a JSON array to an open text file, one compact element per line."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self._separator = "[\n"

    def append(self, element: object) -> None:
        self._handle.write(self._separator + json.dumps(element, separators=(",", ":")))
        self._separator = ",\n"

    def close(self) -> None:
        """End the array (``[]`` when nothing was appended)."""
        self._handle.write("[]\n" if self._separator == "[\n" else "\n]\n")


@contextmanager
def json_array_file(path: Path) -> Iterator[JsonArrayWriter]:
    """A :class:`JsonArrayWriter` on a new file ``path``, closed (array ended) on success."""
    with path.open("w", encoding="utf-8") as handle:
        writer = JsonArrayWriter(handle)
        yield writer
        writer.close()

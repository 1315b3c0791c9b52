"""Content digests that key the labelling stages: of files, of JSON-able settings, of the code."""

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

DIGEST_LENGTH = 16
"""Hex digits kept of a SHA-256: 64 bits, collision-free for any realistic number of shards."""

# The code that computes the labelling tables (inspection, export and the demo world do not).
_STAGE_CODE = (
    "data_schemas",
    "model",
    "rtagger",
    "pipeline/ingest",
    "pipeline/captioning",
    "pipeline/parsing",
    "pipeline/matching",
    "pipeline/tagging",
    "pipeline/labelling",
)
_READ_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:DIGEST_LENGTH]


def files_digest(paths: Iterable[Path], *, root: Path) -> str:
    """SHA-256 over ``(path relative to root, bytes)`` of every file, in path order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        with open(path, "rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:DIGEST_LENGTH]


def directory_digest(directory: Path) -> str:
    """:func:`files_digest` of every file under ``directory`` (hidden files included)."""
    return files_digest((path for path in directory.rglob("*") if path.is_file()), root=directory)


def json_digest(payload: object) -> str:
    """SHA-256 of ``payload`` as canonical JSON (sorted keys; paths and sets as strings)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


@cache
def code_version() -> str:
    """``<package version>+<digest of the stage code>``: the Python sources (and JSON package
    data) of ``data_schemas``, ``model``, ``rtagger`` and the stage modules of ``pipeline``, as
    installed.

    Any change to the code that computes a table changes this, so cached shards are never
    reused across code that could compute them differently.
    """
    package_root = Path(__file__).resolve().parents[2]
    files = []
    for name in _STAGE_CODE:
        path = package_root / name
        candidates = path.rglob("*") if path.is_dir() else [path]
        files += [file for file in candidates if file.is_file() and file.suffix in {".py", ".json"}]
    return f"{metadata.version('rlipv2')}+{files_digest(files, root=package_root)}"

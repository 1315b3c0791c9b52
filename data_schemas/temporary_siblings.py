"""Hidden temporary paths beside an output, and the clean-up of those a killed process left.

Every output (a Parquet file, a checkpoint, a stage's shard directory, a published table) is
written under a hidden sibling name and renamed into place when complete, so a reader never
sees it half-written. The name records who owns it:

    .<output name>.<purpose>-<host>-<pid>-<8 hex digits>

A process killed mid-write (SIGKILL, out of memory) leaves its sibling behind. The next writer of
the same output removes the siblings whose process no longer runs on this host; it leaves those
of live processes (a concurrent writer) and of other hosts (a shared file system) alone.
"""

import logging
import os
import re
import shutil
import socket
import uuid
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

Purpose = Literal["tmp", "staging", "old"]
"""``tmp``: a file or directory being written; ``staging``: an output directory being
assembled; ``old``: a replaced output being deleted."""

_OWNED_SUFFIX = re.compile(r"\.(?:tmp|staging|old)-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{8}")


def new_temporary_sibling(path: Path, purpose: Purpose = "tmp") -> Path:
    """A fresh hidden path in ``path``'s directory (so renaming it to ``path`` is atomic), owned
    by this process; siblings of ``path`` that killed processes on this host left are removed
    first. Nothing is created at the returned path."""
    remove_abandoned_siblings(path)
    owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return path.with_name(f".{path.name}.{purpose}-{owner}")


def move_into_place(staging: Path, out: Path) -> None:
    """Rename ``staging`` (a file or a directory, beside ``out``) to ``out``, replacing what is
    there. A directory at ``out`` is first renamed to an ``old`` sibling and deleted once
    ``staging`` is in place, so ``out`` is missing only between two renames; a file where a
    directory goes is deleted first."""
    if out.is_dir():
        previous = new_temporary_sibling(out, "old")
        os.replace(out, previous)
        os.replace(staging, out)
        shutil.rmtree(previous)
        return
    if out.exists() and staging.is_dir():
        out.unlink()
    os.replace(staging, out)


def remove_abandoned_siblings(path: Path) -> list[Path]:
    """Remove the temporary siblings of ``path`` whose owning process on this host has ended;
    returns them."""
    prefix = f".{path.name}"
    host = socket.gethostname()
    removed = []
    try:
        siblings = list(path.parent.iterdir()) if path.parent.is_dir() else []
    except OSError:  # unreadable directory: the write itself will report it
        return removed
    for sibling in siblings:
        if not sibling.name.startswith(prefix):
            continue
        owner = _OWNED_SUFFIX.fullmatch(sibling.name[len(prefix):])
        if owner is None or owner["host"] != host or _process_runs(int(owner["pid"])):
            continue
        if sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)
        removed.append(sibling)
    if removed:
        logger.info(
            "removed %d temporary path(s) that killed runs left beside %s", len(removed), path
        )
    return removed


def _process_runs(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (owned by anyone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

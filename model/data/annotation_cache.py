"""Where a table's annotation store lives: built once per host, shared by the host's ranks,
reused by later runs.

A store's directory under the cache directory is named by a digest of what decides its content:
the table's files (their bytes), its path, the reading settings and the store format. Rank 0
computes the digest; the first process of each host builds the store unless it is there
(:func:`~model.distributed.once_per_host`), into a hidden sibling renamed into place when
complete, so a store is never seen half-written, and two hosts sharing the cache directory at
worst both build it; then every rank maps it. Image files are not part of the store: their
headers are checked at every start (:mod:`model.data.scene_graph_annotations`).

Without a cache directory the store is built in a private temporary directory, removed when the
store is no longer used (ranks do not share it).
"""

import hashlib
import json
import logging
import shutil
import tempfile
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path

from data_schemas.parquet_io import table_files
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.temporary_siblings import new_temporary_sibling
from model.data.annotation_build import BuildTimes, ReadingSettings, build_annotation_store
from model.data.annotation_store import FORMAT_VERSION, AnnotationStore
from model.distributed import computed_on_rank_zero, once_per_host

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedStore:
    """An opened store, and what building it cost here (nothing when it was found)."""

    store: AnnotationStore
    times: BuildTimes
    found: bool


def store_key(table: Path, settings: ReadingSettings) -> str:
    """The digest naming the store of ``table`` read with ``settings``."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(json.dumps({
        "format": FORMAT_VERSION,
        "table": str(table.resolve()),
        "settings": asdict(settings),
    }, sort_keys=True).encode())
    for file in table_files(table, SCENE_GRAPHS):
        with open(file, "rb") as handle:
            digest.update(file.name.encode() + hashlib.file_digest(handle, "blake2b").digest())
    return digest.hexdigest()


def shared_annotation_store(
    table: Path, settings: ReadingSettings, cache_dir: Path | None
) -> CachedStore:
    """The store of ``table`` under ``cache_dir``, built there first if needed (see the module
    docstring); without ``cache_dir``, a private one."""
    if cache_dir is None:
        return _private_store(table, settings)
    key = computed_on_rank_zero(lambda: store_key(table, settings))
    directory = cache_dir / f"annotations-{key}"
    times = once_per_host(lambda: _build_unless_present(table, settings, directory))
    logger.info("annotations of %s: %s %s", table,
                "found in" if times is None else "built into", directory)
    return CachedStore(store=AnnotationStore(directory), times=times or BuildTimes(),
                       found=times is None)


def _build_unless_present(
    table: Path, settings: ReadingSettings, directory: Path
) -> BuildTimes | None:
    if directory.is_dir():
        return None
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = new_temporary_sibling(directory, "staging")
    try:
        times = build_annotation_store(table, staging, settings)
        try:
            staging.rename(directory)
        except OSError:
            if not directory.is_dir():
                raise
            logger.info("%s was built by another process meanwhile", directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return times


def _private_store(table: Path, settings: ReadingSettings) -> CachedStore:
    directory = Path(tempfile.mkdtemp(prefix="rlipv2-annotations-"))
    try:
        times = build_annotation_store(table, directory / "store", settings)
        store = AnnotationStore(directory / "store")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    weakref.finalize(store, shutil.rmtree, directory, ignore_errors=True)
    return CachedStore(store=store, times=times, found=False)

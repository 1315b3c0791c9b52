"""Content-addressed, atomic outputs of one labelling stage on one image shard.

A stage's output for shard 42 under key K is the directory
``<root>/<stage>/shard-00042-<K>/`` holding one Parquet file per table and ``manifest.json``.
It is written under a hidden temporary name and renamed into place once complete, so a
directory that exists is complete: a killed run leaves at most a temporary directory, which
the next run removes (:mod:`data_schemas.temporary_siblings`), and the next run reuses every
complete one whose key still matches.

A reused shard is verified first: each table file must have the size and SHA-256 its manifest
recorded when it was stored. One that does not (edited, truncated, or its manifest unreadable)
is logged, removed and computed again, so a damaged store repairs itself.
"""

import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from data_schemas.atomic_files import fsync_directory
from data_schemas.errors import RLIPv2InputError
from data_schemas.manifest_file import MANIFEST_NAME, read_manifest, write_manifest
from data_schemas.parquet_io import write_table_atomic
from data_schemas.shard_manifest import ShardManifest, ShardTable
from data_schemas.table_spec import TableSpec
from data_schemas.temporary_siblings import new_temporary_sibling
from pipeline.labelling.digests import file_digest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardResult:
    """What a stage's compute function returns: its tables (written by the store) and counts."""

    tables: dict[str, pa.Table]
    counts: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, dict[str, int]] = field(default_factory=dict)


class ShardStore:
    """The shard outputs of every stage of one labelling run, under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def directory(self, stage: str, shard_index: int, key: str) -> Path:
        return self.root / stage / f"shard-{shard_index:05d}-{key}"

    def load(self, stage: str, shard_index: int, key: str) -> ShardManifest | None:
        """The complete, intact output of ``stage`` for this shard and key, or None (a damaged
        one is removed)."""
        directory = self.directory(stage, shard_index, key)
        try:
            loaded = read_manifest(directory)
        except RLIPv2InputError as error:
            loaded, damage = None, str(error)
        else:
            if loaded is None:
                return None
            damage = _damage(directory, loaded)
        if damage is not None:
            logger.warning("%s: %s; recomputing the shard", directory, damage)
            shutil.rmtree(directory)
            return None
        # The directory where it is now (the run directory may have been moved since).
        return loaded.model_copy(update={"reused": True, "directory": directory})

    def compute(
        self,
        stage: str,
        shard_index: int,
        key: str,
        specs: Mapping[str, TableSpec],
        compute: Callable[[], ShardResult],
    ) -> ShardManifest:
        """The output of ``stage`` for this shard and key: loaded when complete, else computed
        by ``compute`` and written atomically. ``specs`` names the spec of every table
        ``compute`` returns."""
        existing = self.load(stage, shard_index, key)
        if existing is not None:
            logger.debug("%s shard %d: reusing %s", stage, shard_index, existing.directory)
            return existing
        started = time.perf_counter()
        result = compute()
        unknown = result.tables.keys() - specs.keys()
        if unknown:
            raise ValueError(f"stage {stage} returned tables {sorted(unknown)} without a spec")
        final = self.directory(stage, shard_index, key)
        temporary = new_temporary_sibling(final)
        tables = {}
        temporary.mkdir(parents=True)
        try:
            for name, table in result.tables.items():
                path = write_table_atomic(table, temporary / f"{name}.parquet", specs[name])
                tables[name] = ShardTable(file=path.name, rows=table.num_rows,
                                          size=path.stat().st_size, digest=file_digest(path))
            manifest = ShardManifest(
                stage=stage,
                shard_index=shard_index,
                key=key,
                directory=final,
                tables=tables,
                counts=result.counts,
                histograms=result.histograms,
                seconds=time.perf_counter() - started,
            )
            write_manifest(temporary, manifest)
            _publish_directory(temporary, final)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        return manifest


def _damage(directory: Path, manifest: object) -> str | None:
    """What is wrong with the stored shard ``directory`` whose manifest is ``manifest``, or None
    when each of its tables has the size and digest recorded when it was stored (the size is
    checked first: a stat, where the digest reads the file)."""
    if not isinstance(manifest, ShardManifest):
        return "its manifest.json is not a shard's"
    for name, table in manifest.tables.items():
        path = directory / table.file
        if not path.is_file():
            return f"table {name} ({table.file}) is missing"
        size = path.stat().st_size
        if size != table.size:
            return f"{table.file} has {size:,} bytes, {table.size:,} when stored"
        if file_digest(path) != table.digest:
            return f"{table.file} has changed since it was stored (SHA-256 differs)"
    return None


def _publish_directory(temporary: Path, final: Path) -> None:
    """Rename ``temporary`` to ``final``; if another worker got there first, keep theirs (the
    key is the same, so the content is too)."""
    with open(temporary / MANIFEST_NAME, "rb") as handle:
        os.fsync(handle.fileno())
    try:
        os.rename(temporary, final)
    except OSError:
        if not (final / MANIFEST_NAME).is_file():
            raise
        logger.debug("%s was written concurrently; keeping the first", final)
    else:
        fsync_directory(final.parent)

"""Publish a labelling run: its shard files as the run's tables, then its manifest.

``OUT/<table>/shard-00000.parquet, ...`` are copies of the shard outputs, one per shard in shard
order: never links, so that editing a published file cannot reach the shard store (whose files
a rerun reuses).

Everything that takes disk space is written first, beside its final place: every table
directory and the manifest. Only then are they renamed into place, tables first and
``manifest.json`` last (the previous run's manifest is removed before the first table is
replaced). So a full disk or a crash while copying leaves the previous tables and manifest as
they were, and a reader never sees a manifest beside tables it does not describe.
"""

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from data_schemas.atomic_files import fsync_directory
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import MANIFEST_NAME, write_manifest
from data_schemas.parquet_io import shard_path
from data_schemas.table_spec import TableSpec
from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling

logger = logging.getLogger(__name__)


def publish_run(
    out_dir: Path, tables: Mapping[TableSpec, Sequence[Path]], manifest: LabelRunManifest
) -> Path:
    """Publish ``tables`` (spec -> its shard files, in order) and ``manifest`` under
    ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged_tables: dict[Path, Path] = {}  # a table's directory -> its staged copy
    manifest_dir = new_temporary_sibling(out_dir / MANIFEST_NAME, "staging")
    try:
        for spec, files in tables.items():
            staging = staged_tables[out_dir / spec.name] = new_temporary_sibling(
                out_dir / spec.name, "staging"
            )
            staging.mkdir()
            for index, file in enumerate(files):
                _durable_copy(file, shard_path(staging, index))
        manifest_dir.mkdir()
        table_shards = {spec.name: len(files) for spec, files in tables.items()}
        write_manifest(manifest_dir, manifest.model_copy(update={"table_shards": table_shards}))
        (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
        for table_dir, staging in staged_tables.items():
            move_into_place(staging, table_dir)
        os.replace(manifest_dir / MANIFEST_NAME, out_dir / MANIFEST_NAME)
        fsync_directory(out_dir)
    finally:
        for staging in [*staged_tables.values(), manifest_dir]:
            shutil.rmtree(staging, ignore_errors=True)
    logger.info("published %s", out_dir)
    return out_dir


def _durable_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` and flush it to disk (before the manifest is written)."""
    shutil.copyfile(source, target)
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())

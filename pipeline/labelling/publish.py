"""Publish a labelling run: its shard files as the run's tables, then its manifest.

``OUT/<table>/shard-00000.parquet, ...`` are hard links to the shard outputs (copies where the
file system has no hard links), one per shard in shard order. Each table directory is built
beside its final place and swapped in with two renames, so a reader never sees a mix of two
runs' shards (for an instant between the renames, the table is absent); ``manifest.json`` is
written last.
"""

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import write_manifest
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
    for spec, files in tables.items():
        _publish_table(out_dir / spec.name, files)
    table_shards = {spec.name: len(files) for spec, files in tables.items()}
    write_manifest(out_dir, manifest.model_copy(update={"table_shards": table_shards}))
    logger.info("published %s", out_dir)
    return out_dir


def _publish_table(table_dir: Path, files: Sequence[Path]) -> None:
    staging = new_temporary_sibling(table_dir, "staging")
    staging.mkdir()
    try:
        for index, file in enumerate(files):
            _link_or_copy(file, shard_path(staging, index))
        move_into_place(staging, table_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)

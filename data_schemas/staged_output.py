"""A stage's output directory of tables, written in a staging directory and renamed into place."""

import logging
import shutil
from pathlib import Path
from types import TracebackType

from data_schemas.dataset_manifest import DatasetManifest
from data_schemas.errors import RLIPv2InputError
from data_schemas.manifest_file import write_manifest
from data_schemas.parquet_io import ShardedTableWriter
from data_schemas.stage_run_manifest import StageRunManifest
from data_schemas.table_counts import TableCount
from data_schemas.table_spec import TableSpec
from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling

logger = logging.getLogger(__name__)


class StagedDatasetOutput:
    """Table writers for one output dataset directory, committed all at once.

    Tables are written under a hidden staging directory beside ``out_dir``; :meth:`commit`
    writes the manifest and renames the staging directory to ``out_dir``. A run that dies
    leaves ``out_dir`` untouched (a re-run starts over and removes the staging directory the
    dead run left), so no reader ever sees a partial dataset. Used as a context manager, it
    removes the staging directory on error.
    """

    def __init__(self, out_dir: Path, *, rows_per_shard: int, overwrite: bool) -> None:
        if out_dir.exists() and not overwrite:
            raise RLIPv2InputError(f"{out_dir} already exists; pass --overwrite to replace it")
        self.out_dir = out_dir
        self.rows_per_shard = rows_per_shard
        self.staging_dir = new_temporary_sibling(out_dir, "staging")
        self._writers: dict[str, ShardedTableWriter] = {}

    def __enter__(self) -> "StagedDatasetOutput":
        self.staging_dir.mkdir(parents=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.staging_dir, ignore_errors=True)

    def writer(self, spec: TableSpec) -> ShardedTableWriter:
        """The writer of table ``spec`` (created on first use)."""
        if spec.name not in self._writers:
            self._writers[spec.name] = ShardedTableWriter(
                self.staging_dir / spec.name, spec, rows_per_shard=self.rows_per_shard
            )
        return self._writers[spec.name]

    def table_dir(self, spec: TableSpec) -> Path:
        """Where table ``spec`` is being staged (readable once its writer is closed)."""
        return self.staging_dir / spec.name

    def close_writer(self, spec: TableSpec) -> None:
        self.writer(spec).close()

    def commit(self, manifest: DatasetManifest | StageRunManifest) -> Path:
        """Close every writer, write ``manifest`` with the tables written, and move the
        dataset to ``out_dir``."""
        for writer in self._writers.values():
            writer.close()
        tables = {
            name: TableCount(
                schema_version=writer.spec.version,
                rows=writer.rows_written,
                shards=len(writer.shards),
            )
            for name, writer in sorted(self._writers.items())
        }
        write_manifest(self.staging_dir, manifest.model_copy(update={"tables": tables}))
        move_into_place(self.staging_dir, self.out_dir)
        logger.info("wrote %s", self.out_dir)
        return self.out_dir

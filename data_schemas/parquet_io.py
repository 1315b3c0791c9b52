"""Atomic, sharded, schema-checked Parquet reading and writing.

A table on disk is a directory of shards ``shard-00000.parquet``, ``shard-00001.parquet``, ...
Each shard is written to a hidden temporary file in the same directory and renamed into place,
so a reader never sees a half-written shard (temporary names do not match ``shard-*.parquet``).
Every data page carries a CRC-32 checksum, verified whenever rlipv2 reads it back: a flipped
bit is an error naming the file, never a silently changed value.
"""

import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data_schemas.errors import RLIPv2InputError
from data_schemas.table_spec import TableSpec
from data_schemas.temporary_siblings import new_temporary_sibling

logger = logging.getLogger(__name__)

SHARD_GLOB = "shard-*.parquet"


def shard_path(directory: Path, shard_index: int) -> Path:
    """``directory / shard-00042.parquet`` for ``shard_index`` 42."""
    if shard_index < 0:
        raise ValueError(f"shard index must be >= 0, got {shard_index}")
    return directory / f"shard-{shard_index:05d}.parquet"


def write_table_atomic(table: pa.Table, path: Path, spec: TableSpec) -> Path:
    """Write ``table`` as one Parquet file at ``path``, atomically, stamped with ``spec``.

    The table must already have ``spec``'s columns; its metadata is replaced by the spec's
    (table name, version and column descriptions).
    """
    table = table.replace_schema_metadata(spec.metadata)
    spec.check_schema(table.schema, source=f"table to be written to {path}")
    table = table.cast(spec.schema_with_metadata())
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = new_temporary_sibling(path)
    try:
        pq.write_table(table, temporary, compression="zstd", write_page_checksum=True)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def list_shards(directory: Path) -> list[Path]:
    """The complete shards of a table directory, in shard order."""
    return sorted(directory.glob(SHARD_GLOB))


def table_files(path: Path, spec: TableSpec) -> list[Path]:
    """The Parquet files of a table: ``path`` itself, or every shard of a table directory.

    Raises:
        RLIPv2InputError: the path does not exist or holds no shard.
    """
    if path.is_dir():
        files = list_shards(path)
        if not files:
            raise RLIPv2InputError(f"{path} holds no {SHARD_GLOB} files of table {spec.name!r}")
        return files
    if path.is_file():
        return [path]
    raise RLIPv2InputError(f"{path} does not exist (expected table {spec.name!r})")


def read_table(path: Path, spec: TableSpec) -> pa.Table:
    """Read one Parquet file, or every shard of a table directory, checking ``spec``.

    Raises:
        RLIPv2InputError: the path does not exist or holds no shard, or a file is corrupt (a
            page fails its checksum).
        SchemaMismatchError: a file is another table, another schema version or shape.
    """
    tables = []
    for file in table_files(path, spec):
        try:
            schema = pq.read_schema(file)
        except (pa.ArrowException, OSError) as error:
            raise RLIPv2InputError(f"{file} is not a readable Parquet file: {error}") from error
        spec.check_schema(schema, source=str(file))
        tables.append(read_parquet_file(file, schema=spec.schema_with_metadata()))
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def read_parquet_file(file: Path, **options: object) -> pa.Table:
    """``pq.read_table(file, **options)``, every page checked against its checksum.

    Raises:
        RLIPv2InputError: naming the file, which is corrupt (a page fails its checksum or does
            not decode).
    """
    try:
        return pq.read_table(file, page_checksum_verification=True, **options)
    except (pa.ArrowException, OSError) as error:
        raise RLIPv2InputError(f"{file} is corrupt: {error}") from error


def iter_table_batches(
    path: Path, spec: TableSpec, *, batch_size: int = 32_768
) -> Iterator[tuple[Path, pa.RecordBatch]]:
    """Every record batch of a table (see :func:`read_table`) with the file it comes from, read
    row group by row group: memory holds one row group's batches, whatever the table's size.

    A file's metadata is not trusted for sizes: each row group must hold the rows it claims.

    Raises:
        RLIPv2InputError: naming the file, which is missing, truncated, corrupt, or holds
            another number of rows than its metadata claims.
        SchemaMismatchError: a file is another table, another schema version or shape.
    """
    for file in table_files(path, spec):
        try:
            parquet = pq.ParquetFile(file, pre_buffer=False,
                                     page_checksum_verification=True)
        except (pa.ArrowException, OSError) as error:
            raise RLIPv2InputError(f"{file} is not a readable Parquet file: {error}") from error
        spec.check_schema(parquet.schema_arrow, source=str(file))
        claimed_rows = 0
        for group in range(parquet.num_row_groups):
            claimed = parquet.metadata.row_group(group).num_rows
            claimed_rows += claimed
            rows = 0
            try:
                for batch in parquet.iter_batches(batch_size=batch_size, row_groups=[group],
                                                   use_threads=False):
                    rows += batch.num_rows
                    yield file, batch
            except (pa.ArrowException, OSError) as error:
                raise RLIPv2InputError(
                    f"{file} is corrupt: row group {group} cannot be read: {error}"
                ) from error
            if rows != claimed:
                raise RLIPv2InputError(
                    f"{file} is corrupt: row group {group} claims {claimed:,} rows but holds "
                    f"{rows:,}"
                )
        if claimed_rows != parquet.metadata.num_rows:
            raise RLIPv2InputError(
                f"{file} is corrupt: its metadata claims {parquet.metadata.num_rows:,} rows but "
                f"its row groups hold {claimed_rows:,}"
            )


class ShardedTableWriter:
    """Buffers rows of one table and writes them as numbered shards of ``rows_per_shard``.

    Rows are plain dicts with the spec's columns, already validated by the caller (the stage
    that builds them); Arrow enforces the column types when a shard is flushed.
    """

    def __init__(self, directory: Path, spec: TableSpec, *, rows_per_shard: int) -> None:
        if rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be >= 1, got {rows_per_shard}")
        self.directory = directory
        self.spec = spec
        self.rows_per_shard = rows_per_shard
        self.rows_written = 0
        self.shards: list[Path] = []
        self._buffer: list[Mapping] = []

    def append(self, row: Mapping) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.rows_per_shard:
            self._flush()

    def close(self) -> list[Path]:
        """Flush what is buffered; a table with no rows still gets one empty shard."""
        if self._buffer or not self.shards:
            self._flush()
        return self.shards

    def _flush(self) -> None:
        table = self.spec.rows_to_arrow(self._buffer)
        path = write_table_atomic(table, shard_path(self.directory, len(self.shards)), self.spec)
        self.shards.append(path)
        self.rows_written += table.num_rows
        logger.debug("wrote %s (%d rows)", path, table.num_rows)
        self._buffer = []

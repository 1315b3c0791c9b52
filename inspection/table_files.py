"""Which rlipv2 table a Parquet file or table directory holds, from its schema metadata.

Every shard carries the table name and schema version (see :mod:`data_schemas.table_spec`), so a
path is identified by reading one schema, never by its name, and checked against the spec this
rlipv2 reads before any row is used.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data_schemas import ALL_TABLES
from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import SHARD_GLOB, list_shards, read_parquet_file
from data_schemas.table_spec import SCHEMA_VERSION_KEY, TABLE_NAME_KEY, TableSpec

TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in ALL_TABLES}


@dataclass(frozen=True)
class TableFiles:
    """One table on disk: its spec and its Parquet files (one shard file, or a table directory).

    ``path`` is what was located (the directory, or the single file); ``files`` its shards, whose
    schemas :func:`detect_table` has checked against ``spec``.
    """

    spec: TableSpec
    path: Path
    files: tuple[Path, ...]

    def read(self, columns: Sequence[str] | None = None) -> pa.Table:
        """Every row of the table, all columns or only ``columns``."""
        return self._read(columns=columns, filters=None)

    def read_image(self, image_id: int) -> pa.Table:
        """The rows of image ``image_id`` only, filtering while reading (row-group statistics
        skip the rest of a shard sorted by image id). The table needs an ``image_id`` column."""
        return self._read(columns=None, filters=[("image_id", "=", image_id)])

    def _read(self, *, columns: Sequence[str] | None, filters: list | None) -> pa.Table:
        schema = self.spec.schema_with_metadata()
        tables = [
            read_parquet_file(file, schema=schema, columns=columns, filters=filters)
            for file in self.files
        ]
        return pa.concat_tables(tables)

    def num_rows(self) -> int:
        """The number of rows, from the shards' footers (no data is read)."""
        return sum(pq.ParquetFile(file).metadata.num_rows for file in self.files)

    @property
    def has_image_ids(self) -> bool:
        return "image_id" in self.spec.schema.names


def detect_table(path: Path) -> TableFiles:
    """The table at ``path``: a Parquet shard file, or a directory of ``shard-*.parquet``.

    Raises:
        RLIPv2InputError: ``path`` does not exist, is not Parquet, holds no shards, is not an
            rlipv2 table, names a table this rlipv2 does not know, or has another schema version
            (:class:`~data_schemas.errors.SchemaMismatchError`).
    """
    if path.is_dir():
        files = tuple(list_shards(path))
        if not files:
            raise RLIPv2InputError(
                f"{path} holds no {SHARD_GLOB} files; it is not a table directory"
            )
    elif path.is_file():
        files = (path,)
    else:
        raise RLIPv2InputError(f"{path} does not exist")
    spec = _table_of_file(files[0])
    for file in files:
        spec.check_schema(_parquet_schema(file), source=str(file))
    return TableFiles(spec=spec, path=path, files=files)


def is_table_directory(path: Path) -> bool:
    """Whether ``path`` is a directory holding at least one shard."""
    return path.is_dir() and bool(list_shards(path))


def _parquet_schema(file: Path) -> pa.Schema:
    try:
        return pq.read_schema(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise RLIPv2InputError(
            f"{file} is not a Parquet file ({error}); give a table directory, one of its "
            "shard-*.parquet files, or a run directory"
        ) from error


def _table_of_file(file: Path) -> TableSpec:
    metadata = _parquet_schema(file).metadata or {}
    name = metadata.get(TABLE_NAME_KEY)
    if name is None:
        raise RLIPv2InputError(
            f"{file} is a Parquet file but not an rlipv2 table (no {TABLE_NAME_KEY.decode()!r} "
            "metadata)"
        )
    spec = TABLES_BY_NAME.get(name.decode())
    if spec is None:
        version = metadata.get(SCHEMA_VERSION_KEY, b"?").decode()
        raise RLIPv2InputError(
            f"{file} holds table {name.decode()!r} (schema version {version}), which this rlipv2 "
            f"does not know; known tables: {', '.join(sorted(TABLES_BY_NAME))}"
        )
    return spec

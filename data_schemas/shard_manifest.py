"""The manifest of one labelling stage's output on one image shard
(``OUT/work/<stage>/shard-NNNNN-<key>/manifest.json``): its table files, row counts, digests and
counts. Small enough to pass between tasks, which hand each other these rather than data."""

from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from data_schemas.parquet_io import read_table
from data_schemas.table_spec import TableSpec


class ShardTable(BaseModel):
    """One table file of a shard output."""

    model_config = ConfigDict(frozen=True)

    file: str
    """File name inside the shard directory."""
    rows: int
    size: int
    """Bytes of the file when it was stored."""
    digest: str
    """SHA-256 of the file when it was stored (``pipeline.labelling.digests.file_digest``)."""


class ShardManifest(BaseModel):
    """What a stage wrote for one shard: small enough to pass between tasks."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["shard"] = "shard"
    manifest_version: Literal[2] = 2
    """2: each table records its size."""
    stage: str
    shard_index: int
    key: str
    directory: Path
    tables: dict[str, ShardTable]
    counts: dict[str, int] = {}
    histograms: dict[str, dict[str, int]] = {}
    seconds: float = 0.0
    reused: bool = False
    """Loaded from an earlier run's output rather than computed by this call."""

    def table_path(self, spec: TableSpec) -> Path:
        return self.directory / self.tables[spec.name].file

    def read(self, spec: TableSpec) -> pa.Table:
        """Read table ``spec`` of this shard, checking its schema."""
        return read_table(self.table_path(spec), spec)

    def digest_of(self, spec: TableSpec) -> str:
        return self.tables[spec.name].digest

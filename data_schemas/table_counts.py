"""What a manifest records of each table of its directory."""

from pydantic import BaseModel, ConfigDict


class TableCount(BaseModel):
    """One table of an output directory: its schema version, rows and shard files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int
    rows: int
    shards: int

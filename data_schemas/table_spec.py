"""A table's contract: its name, schema version, Arrow schema and pydantic record type."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

import pyarrow as pa
from pydantic import BaseModel

from data_schemas.errors import SchemaMismatchError
from data_schemas.field_descriptions import (
    arrow_field_paths,
    described_schema,
    field_descriptions,
)

RecordT = TypeVar("RecordT", bound=BaseModel)

TABLE_NAME_KEY = b"rlipv2.table"
SCHEMA_VERSION_KEY = b"rlipv2.schema_version"


@dataclass(frozen=True)
class TableSpec(Generic[RecordT]):
    """Name, version and Arrow schema of one table, and the record type of its rows.

    Bump ``version`` whenever ``schema`` changes; files written under another version are
    refused on read rather than silently misread. Every field of the record, nested ones too,
    carries a description, which written files keep in their field metadata.
    """

    name: str
    version: int
    schema: pa.Schema
    record_type: type[RecordT]

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"table name must be an identifier, got {self.name!r}")
        if self.version < 1:
            raise ValueError(f"schema version must be >= 1, got {self.version}")
        record_fields = set(self.record_type.model_fields)
        schema_fields = set(self.schema.names)
        if record_fields != schema_fields:
            raise ValueError(
                f"table {self.name!r}: record fields {sorted(record_fields)} differ from "
                f"Arrow schema fields {sorted(schema_fields)}"
            )
        described = set(self.column_descriptions)
        arrow_paths = set(arrow_field_paths(self.schema))
        if described != arrow_paths:
            raise ValueError(
                f"table {self.name!r}: nested record fields {sorted(described - arrow_paths)} "
                f"and Arrow fields {sorted(arrow_paths - described)} differ"
            )

    @cached_property
    def column_descriptions(self) -> dict[str, str]:
        """Path of every column and nested field (``provenance[].caption_index``) -> meaning."""
        return field_descriptions(self.record_type)

    @property
    def metadata(self) -> dict[bytes, bytes]:
        """Key/value metadata stored in every Parquet file of this table."""
        return {TABLE_NAME_KEY: self.name.encode(), SCHEMA_VERSION_KEY: str(self.version).encode()}

    def schema_with_metadata(self) -> pa.Schema:
        """The schema as written: table name and version, and each field's description."""
        return self._written_schema

    @cached_property
    def _written_schema(self) -> pa.Schema:
        return described_schema(self.schema, self.column_descriptions).with_metadata(self.metadata)

    def to_arrow(self, records: Iterable[RecordT]) -> pa.Table:
        """Validated records -> an Arrow table with this spec's schema."""
        rows = [record.model_dump(mode="python") for record in records]
        return self.rows_to_arrow(rows)

    def rows_to_arrow(self, rows: Sequence[dict]) -> pa.Table:
        """Plain row dicts (already validated by the caller) -> an Arrow table."""
        return pa.Table.from_pylist(list(rows), schema=self.schema_with_metadata())

    def to_records(self, table: pa.Table) -> list[RecordT]:
        """An Arrow table of this spec -> validated records (raises on invalid rows)."""
        self.check_schema(table.schema, source="table")
        return [self.record_type.model_validate(row) for row in table.to_pylist()]

    def check_schema(self, schema: pa.Schema, *, source: str) -> None:
        """Refuse ``schema`` unless it carries this table's name, version and fields.

        Raises:
            SchemaMismatchError: naming ``source`` and what differs.
        """
        metadata = schema.metadata or {}
        found_name = metadata.get(TABLE_NAME_KEY)
        found_version = metadata.get(SCHEMA_VERSION_KEY)
        if found_name is None or found_version is None:
            raise SchemaMismatchError(
                f"{source} is not an rlipv2 table (no {TABLE_NAME_KEY.decode()!r} / "
                f"{SCHEMA_VERSION_KEY.decode()!r} metadata); expected table {self.name!r}"
            )
        if found_name.decode() != self.name:
            raise SchemaMismatchError(
                f"{source} holds table {found_name.decode()!r}, expected {self.name!r}"
            )
        if found_version.decode() != str(self.version):
            raise SchemaMismatchError(
                f"{source} has {self.name!r} schema version {found_version.decode()}, but this "
                f"rlipv2 reads version {self.version}; re-run the stage that wrote it with this "
                "rlipv2 version"
            )
        expected = self.schema.remove_metadata()
        found = schema.remove_metadata()
        if not found.equals(expected):
            raise SchemaMismatchError(
                f"{source} claims {self.name!r} version {self.version} but its columns differ: "
                f"{_describe_difference(expected, found)}"
            )


def _describe_difference(expected: pa.Schema, found: pa.Schema) -> str:
    expected_fields = {field.name: field.type for field in expected}
    found_fields = {field.name: field.type for field in found}
    problems = [f"missing {name!r}" for name in expected_fields if name not in found_fields]
    problems += [f"unexpected {name!r}" for name in found_fields if name not in expected_fields]
    problems += [
        f"{name!r} is {found_fields[name]}, expected {type_}"
        for name, type_ in expected_fields.items()
        if name in found_fields and found_fields[name] != type_
    ]
    return "; ".join(problems) or "column order or nullability differs"

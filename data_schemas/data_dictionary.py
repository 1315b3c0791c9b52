"""The data dictionary: every table rlipv2 writes, every column, rendered as Markdown.

It is derived from the table specs alone (record docstrings, field descriptions, Arrow types),
so it cannot drift from them; ``docs/data_dictionary.md`` holds the rendered text and a test
keeps it equal to :func:`render_data_dictionary`. Regenerate it with
``python -m data_schemas.data_dictionary > docs/data_dictionary.md``.
"""

import inspect
import re
import typing
from collections.abc import Sequence
from enum import Enum

import pyarrow as pa
from pydantic import BaseModel

from data_schemas import ALL_TABLES
from data_schemas.field_descriptions import nested_record_type
from data_schemas.label_combinations import LABEL_COMBINATIONS
from data_schemas.label_space import LABEL_SPACE
from data_schemas.relation_detections import RELATION_DETECTIONS
from data_schemas.table_spec import TableSpec

DOCUMENTED_TABLES: tuple[TableSpec, ...] = (
    *ALL_TABLES,
    LABEL_SPACE,
    LABEL_COMBINATIONS,
    RELATION_DETECTIONS,
)
"""Every table rlipv2 writes: the labelling tables, then the benchmark tables."""

_INTRODUCTION = """\
# Data dictionary

Every table rlipv2 writes, and every column of it. A table is a directory of
`shard-NNNNN.parquet` files (or one Parquet file) whose metadata names the table
(`rlipv2.table`) and its schema version (`rlipv2.schema_version`); each column's description
below is also stored in the Parquet field metadata (key `description`), so any Parquet tool
shows it. Nested fields are named by path: `decoding.top_p` is a field of the struct column
`decoding`, `provenance[].caption_index` a field of each element of the list column `provenance`.
Boxes are `x1, y1, x2, y2` in pixels of the original image (x right, y down).

This file is generated from `data_schemas/` (`python -m data_schemas.data_dictionary >
docs/data_dictionary.md`); a test fails when it and the schemas differ.
"""


def render_data_dictionary(specs: Sequence[TableSpec] = DOCUMENTED_TABLES) -> str:
    """The data dictionary of ``specs`` as Markdown."""
    return "\n".join([_INTRODUCTION, *(_render_table(spec) for spec in specs)])


def _render_table(spec: TableSpec) -> str:
    lines = [
        f"## `{spec.name}` (schema version {spec.version})",
        "",
        _markdown(inspect.getdoc(inspect.getmodule(spec.record_type)) or ""),
        "",
        _markdown(inspect.getdoc(spec.record_type) or ""),
        "",
        "| column | type | null | meaning |",
        "|---|---|---|---|",
    ]
    allowed = _allowed_values(spec.record_type, "")
    for path, (arrow_type, nullable) in _arrow_columns(spec.schema).items():
        meaning = spec.column_descriptions[path]
        if path in allowed:
            meaning += f" (one of {', '.join(f'`{value}`' for value in allowed[path])})"
        null = "yes" if nullable else "no"
        lines.append(f"| `{path}` | {arrow_type} | {null} | {meaning} |")
    return "\n".join(lines) + "\n"


def _markdown(docstring: str) -> str:
    """A reStructuredText docstring as Markdown: one line per paragraph, roles and double
    backquotes turned into code spans (``:class:`X``` and ````x```` -> ```X```, ```x```)."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", docstring).replace("``", "`")
    return "\n\n".join(" ".join(block.split()) for block in text.split("\n\n"))


def _arrow_columns(schema: pa.Schema) -> dict[str, tuple[str, bool]]:
    """Path of every field (nested too) -> (its type in words, whether it may be null)."""
    columns: dict[str, tuple[str, bool]] = {}

    def visit(field: pa.Field, path: str) -> None:
        field_type = field.type
        item_type = field_type.value_type if pa.types.is_list(field_type) else None
        if pa.types.is_struct(field_type):
            columns[path] = ("struct", field.nullable)
            for index in range(field_type.num_fields):
                child = field_type.field(index)
                visit(child, f"{path}.{child.name}")
        elif item_type is not None and pa.types.is_struct(item_type):
            columns[path] = ("list of struct", field.nullable)
            for index in range(item_type.num_fields):
                child = item_type.field(index)
                visit(child, f"{path}[].{child.name}")
        else:
            columns[path] = (_type_in_words(field_type), field.nullable)

    for field in schema:
        visit(field, field.name)
    return columns


def _type_in_words(field_type: pa.DataType) -> str:
    if pa.types.is_list(field_type):
        return f"list of {_type_in_words(field_type.value_type)}"
    return str(field_type)


def _allowed_values(record_type: type[BaseModel], prefix: str) -> dict[str, list[str]]:
    """Path of every field typed as an Enum or a Literal -> its allowed values."""
    allowed: dict[str, list[str]] = {}
    for name, field in record_type.model_fields.items():
        path = prefix + name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            allowed[path] = [str(member.value) for member in annotation]
        elif typing.get_origin(annotation) is typing.Literal:
            allowed[path] = [str(value) for value in typing.get_args(annotation)]
        nested = nested_record_type(annotation)
        if nested is not None:
            nested_type, separator = nested
            allowed.update(_allowed_values(nested_type, path + separator))
    return allowed


if __name__ == "__main__":
    print(render_data_dictionary(), end="")

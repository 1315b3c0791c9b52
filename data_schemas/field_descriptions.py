"""Every column's description, read from the ``description`` of its record's pydantic fields.

A nested field is named by its path: ``decoding.top_p`` inside a struct column,
``provenance[].caption_index`` inside a list of structs. Descriptions live on the records, next
to each field's type and constraints; the Parquet field metadata and the data dictionary
(``docs/data_dictionary.md``) are both derived from them.
"""

import types
from collections.abc import Mapping
from typing import Annotated, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel


def field_descriptions(record_type: type[BaseModel]) -> dict[str, str]:
    """Path of every field of ``record_type``, nested records included -> its description.

    Raises:
        ValueError: a field, at any depth, has no description.
    """
    descriptions: dict[str, str] = {}
    _collect(record_type, "", descriptions)
    return descriptions


def nested_record_type(annotation: object) -> tuple[type[BaseModel], str] | None:
    """The record type nested in a field's annotation, and the path separator it adds.

    ``SomeRecord`` (or ``SomeRecord | None``) -> ``(SomeRecord, ".")``; ``list[SomeRecord]`` ->
    ``(SomeRecord, "[].")``; any other annotation -> None.
    """
    annotation = _without_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "."
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        item = _without_optional(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, "[]."
    return None


def _collect(record_type: type[BaseModel], prefix: str, descriptions: dict[str, str]) -> None:
    for name, field in record_type.model_fields.items():
        path = prefix + name
        if not field.description:
            raise ValueError(
                f"{record_type.__name__}.{name} has no description: give it "
                "Field(description=...), which the data dictionary and Parquet metadata show"
            )
        descriptions[path] = field.description
        nested = nested_record_type(field.annotation)
        if nested is not None:
            nested_type, separator = nested
            _collect(nested_type, path + separator, descriptions)


def _without_optional(annotation: object) -> object:
    """``X | None`` or ``Annotated[X, ...]`` -> ``X``; anything else unchanged."""
    if get_origin(annotation) is Annotated:
        return _without_optional(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        if len(members) == 1:
            return _without_optional(members[0])
    return annotation


DESCRIPTION_KEY = b"description"
"""Parquet/Arrow field metadata key of a column's description."""


def arrow_field_paths(schema: pa.Schema) -> list[str]:
    """Path of every field of ``schema``, named as :func:`field_descriptions` names them."""
    return [path for field in schema for path in _arrow_paths(field, field.name)]


def described_schema(schema: pa.Schema, descriptions: Mapping[str, str]) -> pa.Schema:
    """``schema`` with each field's (nested fields' too) description in its metadata."""
    return pa.schema(
        [_described_field(field, field.name, descriptions) for field in schema],
        metadata=schema.metadata,
    )


def _struct_children(field_type: pa.DataType) -> list[pa.Field] | None:
    """The fields nested in a struct or list-of-struct type, None for any other type."""
    if pa.types.is_list(field_type):
        field_type = field_type.value_type
    if not pa.types.is_struct(field_type):
        return None
    return [field_type.field(index) for index in range(field_type.num_fields)]


def _child_prefix(path: str, field_type: pa.DataType) -> str:
    return path + ("[]." if pa.types.is_list(field_type) else ".")


def _arrow_paths(field: pa.Field, path: str) -> list[str]:
    children = _struct_children(field.type)
    if children is None:
        return [path]
    prefix = _child_prefix(path, field.type)
    return [path, *(p for child in children for p in _arrow_paths(child, prefix + child.name))]


def _described_field(field: pa.Field, path: str, descriptions: Mapping[str, str]) -> pa.Field:
    children = _struct_children(field.type)
    field_type = field.type
    if children is not None:
        prefix = _child_prefix(path, field.type)
        struct_type = pa.struct(
            [_described_field(child, prefix + child.name, descriptions) for child in children]
        )
        field_type = (
            pa.list_(field.type.value_field.with_type(struct_type))
            if pa.types.is_list(field.type)
            else struct_type
        )
    return field.with_type(field_type).with_metadata({DESCRIPTION_KEY: descriptions[path].encode()})

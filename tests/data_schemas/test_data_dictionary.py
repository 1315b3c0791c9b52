"""The data dictionary and the Parquet field metadata stay in step with the table specs."""

import importlib
import pkgutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import Field

import data_schemas
from data_schemas.data_dictionary import DOCUMENTED_TABLES, render_data_dictionary
from data_schemas.field_descriptions import DESCRIPTION_KEY, field_descriptions
from data_schemas.parquet_io import read_table, write_table_atomic
from data_schemas.record import Record
from data_schemas.table_spec import TableSpec

DICTIONARY = Path(__file__).parents[2] / "docs" / "data_dictionary.md"


def _all_table_specs() -> list[TableSpec]:
    specs = []
    for module_info in pkgutil.iter_modules(data_schemas.__path__):
        module = importlib.import_module(f"data_schemas.{module_info.name}")
        specs += [value for value in vars(module).values() if isinstance(value, TableSpec)]
    return specs


def test_committed_dictionary_matches_the_schemas() -> None:
    assert DICTIONARY.read_text() == render_data_dictionary(), (
        "docs/data_dictionary.md is stale: run "
        "`python -m data_schemas.data_dictionary > docs/data_dictionary.md`"
    )


def test_every_table_spec_is_documented() -> None:
    documented = {spec.name for spec in DOCUMENTED_TABLES}
    assert {spec.name for spec in _all_table_specs()} <= documented


@pytest.mark.parametrize("spec", DOCUMENTED_TABLES, ids=lambda spec: spec.name)
def test_dictionary_lists_every_column_with_its_description(spec: TableSpec) -> None:
    text = render_data_dictionary([spec])
    for path, description in spec.column_descriptions.items():
        assert f"| `{path}` |" in text
        assert description in text


def test_dictionary_explains_why_tagged_rows_outnumber_candidates() -> None:
    assert "tagged rows can outnumber candidates" in DICTIONARY.read_text()


def test_nested_fields_are_named_by_path() -> None:
    names = set(data_schemas.CANDIDATES.column_descriptions)
    assert {"provenance", "provenance[].caption_index", "provenance[].object_synonym"} <= names
    assert "decoding.top_p" in data_schemas.CAPTIONS.column_descriptions


def test_allowed_values_of_enums_and_literals_are_listed() -> None:
    text = render_data_dictionary([data_schemas.CAPTIONS, data_schemas.REJECTS])
    assert "`beam`, `nucleus`, `human`" in text
    assert "`malformed_record`" in text


def test_a_record_field_without_description_is_refused() -> None:
    class Undocumented(Record):
        documented: int = Field(description="has one")
        bare: int

    with pytest.raises(ValueError, match="Undocumented.bare has no description"):
        field_descriptions(Undocumented)


def test_a_nested_field_without_description_is_refused() -> None:
    class Inner(Record):
        value: int

    class Outer(Record):
        inner: list[Inner] = Field(description="documented itself")

    with pytest.raises(ValueError, match="Inner.value has no description"):
        TableSpec(
            name="outer",
            version=1,
            schema=pa.schema([pa.field("inner", pa.list_(pa.struct([pa.field("value", pa.int64())])))]),
            record_type=Outer,
        )


def test_written_files_carry_column_descriptions(tmp_path: Path) -> None:
    spec = data_schemas.CANDIDATES
    row = {
        "image_id": 1,
        "subject_entity_id": 2,
        "object_entity_id": 3,
        "relation": "on",
        "provenance": [
            {
                "caption_index": 0,
                "triplet_index": 0,
                "subject_words": "cup",
                "subject_synonym": "cup",
                "object_words": "table",
                "object_synonym": "dining table",
            }
        ],
    }
    # A table built without the spec's field metadata still gets it when written.
    bare = pa.Table.from_pylist([row], schema=spec.schema)
    path = write_table_atomic(bare, tmp_path / "shard-00000.parquet", spec)

    schema = pq.read_schema(path)
    descriptions = spec.column_descriptions
    assert schema.field("relation").metadata[DESCRIPTION_KEY].decode() == descriptions["relation"]
    evidence = schema.field("provenance").type.value_type
    assert (
        evidence.field("subject_synonym").metadata[DESCRIPTION_KEY].decode()
        == descriptions["provenance[].subject_synonym"]
    )
    assert read_table(path, spec).to_pylist() == [row]


def test_files_written_before_descriptions_still_read(tmp_path: Path) -> None:
    spec = data_schemas.IMAGES
    row = {"image_id": 1, "dataset": "d", "split": "s", "file_name": "a.jpg", "width": 4, "height": 3}
    old_file = tmp_path / "old.parquet"
    pq.write_table(pa.Table.from_pylist([row], schema=spec.schema.with_metadata(spec.metadata)), old_file)
    assert read_table(old_file, spec).to_pylist() == [row]

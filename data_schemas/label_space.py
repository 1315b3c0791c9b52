"""The ``label_space`` table: the fixed object and predicate vocabulary of a relation benchmark.

A relation-detection benchmark (HICO-DET, V-COCO, Open Images) scores its detections over a
fixed set of object classes and predicates (verbs); the evaluators and the detections files
index them from 0. Each row gives one class its index (``label``), the text the model is shown
for it (``name``) and the benchmark's own id for it (``source_id``: HICO-DET's COCO category
ids 1..90 and verb ids 1..117, for one), so that annotation files can be mapped onto it.
"""

from enum import StrEnum

import pyarrow as pa
from pydantic import Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec


class LabelKind(StrEnum):
    """Which vocabulary a label belongs to (the values are stored in Parquet)."""

    OBJECT = "object"
    PREDICATE = "predicate"


class LabelRecord(Record):
    """One class of the vocabulary: labels of a kind run 0..n-1 without gaps, names are
    unique within their kind."""

    kind: LabelKind = Field(description="which vocabulary: object classes or predicates")
    label: int = Field(ge=0, description="the class's index, 0..n-1 within its kind")
    name: str = Field(min_length=1, description="the text the model is shown for the class")
    source_id: int = Field(description="the benchmark's own id, e.g. HICO-DET's verb id 1..117")


LABEL_SPACE = TableSpec(
    name="label_space",
    version=1,
    schema=pa.schema(
        [
            pa.field("kind", pa.string(), nullable=False),
            pa.field("label", pa.int64(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("source_id", pa.int64(), nullable=False),
        ]
    ),
    record_type=LabelRecord,
)

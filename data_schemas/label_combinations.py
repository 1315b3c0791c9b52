"""The ``label_combinations`` table: named sets of (predicate, object class) combinations.

Setting ``correct`` holds the combinations a benchmark allows (HICO-DET's ``corre_hico.npy``:
the evaluators zero the scores of every other one); a zero-shot setting (``UC-RF``, ``UC-NF``)
holds the combinations it leaves unseen: fine-tuning drops their annotations and the
evaluation reports them apart. Labels index the ``label_space`` table.
"""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec

CORRECT_COMBINATIONS = "correct"
"""The setting of the combinations a benchmark allows."""


class LabelCombinationRecord(Record):
    """One (predicate, object class) combination of one setting."""

    setting: str = Field(
        min_length=1, description="'correct' (allowed by the benchmark) or a zero-shot setting"
    )
    predicate_label: int = Field(ge=0, description="a predicate `label` of `label_space`")
    object_label: int = Field(ge=0, description="an object `label` of `label_space`")


LABEL_COMBINATIONS = TableSpec(
    name="label_combinations",
    version=1,
    schema=pa.schema(
        [
            pa.field("setting", pa.string(), nullable=False),
            pa.field("predicate_label", pa.int64(), nullable=False),
            pa.field("object_label", pa.int64(), nullable=False),
        ]
    ),
    record_type=LabelCombinationRecord,
)

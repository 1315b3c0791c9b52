"""The ``categories`` table: the object classes of a dataset."""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec

RESERVED_CATEGORY_NAME = "no objects"
"""The label text of the model's unmatched entity slots: no category may be called so (ingest
rejects such categories and objects, synonym files such categories)."""


def is_reserved_category_name(name: str) -> bool:
    """Whether ``name`` is :data:`RESERVED_CATEGORY_NAME` in any case or spacing."""
    return " ".join(name.lower().split()) == RESERVED_CATEGORY_NAME


class CategoryRecord(Record):
    """One object class; ``category_id`` is the dataset's own id (COCO's 1..90, VG's assigned)."""

    dataset: str = Field(min_length=1, description="dataset name given at ingest")
    category_id: int = Field(description="the dataset's own class id (COCO's 1..90)")
    name: str = Field(
        min_length=1, description="class name as the dataset spells it; the text the model reads"
    )
    supercategory: str | None = Field(
        default=None, description="the dataset's parent class, null where it has none"
    )


CATEGORIES = TableSpec(
    name="categories",
    version=1,
    schema=pa.schema(
        [
            pa.field("dataset", pa.string(), nullable=False),
            pa.field("category_id", pa.int64(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("supercategory", pa.string(), nullable=True),
        ]
    ),
    record_type=CategoryRecord,
)

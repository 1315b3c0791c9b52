"""The ``entities`` table: annotated boxes (one row per object instance)."""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import BOX_FIELDS, BoxedRecord
from data_schemas.table_spec import TableSpec


class EntityRecord(BoxedRecord):
    """An annotated object: its class and its box.

    The box is xyxy in absolute pixels of the original image (x right, y down), clipped to the
    image, with x2 > x1 and y2 > y1. ``entity_id`` is the source annotation id (COCO/O365
    annotation id, VG object id), unique within a dataset.
    """

    entity_id: int = Field(description="source annotation id, unique within the dataset")
    image_id: int = Field(description="the image the box lies in")
    category_id: int = Field(description="the box's class, a `category_id` of `categories`")
    category_name: str = Field(min_length=1, description="the class's `name`, repeated for reading")


ENTITIES = TableSpec(
    name="entities",
    version=1,
    schema=pa.schema(
        [
            pa.field("entity_id", pa.int64(), nullable=False),
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("category_id", pa.int64(), nullable=False),
            pa.field("category_name", pa.string(), nullable=False),
            *BOX_FIELDS,
        ]
    ),
    record_type=EntityRecord,
)

"""The ``relation_detections`` table: one row per image with what the official HOI/SGG
post-processor returns for it (boxes, their labels, and each subject-object pair's score for
every verb of the dataset).

The same rows make the JSON alternative: ``{"table": "relation_detections", "schema_version":
1, "images": [<row>, ...]}``. Labels and verbs are indices into the dataset's fixed object
and verb vocabularies; boxes are xyxy in absolute pixels of the original image; scores are
float32 in [0, 1].
"""

from typing import Annotated

import pyarrow as pa
from pydantic import ConfigDict, Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec

Box = Annotated[list[float], Field(min_length=4, max_length=4)]


class RelationDetectionsRecord(Record):
    """One image's detections, as parallel lists (``num_boxes`` boxes, ``num_pairs`` pairs)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    image_id: int = Field(description="the image, as the dataset's ground truth names it")
    boxes: list[Box] = Field(
        description="num_boxes boxes [x1, y1, x2, y2] in absolute pixels, x2 >= x1, y2 >= y1"
    )
    labels: list[int] = Field(description="num_boxes object-class labels of `label_space`")
    subject_index: list[int] = Field(description="num_pairs rows of `boxes`: each pair's subject")
    object_index: list[int] = Field(description="num_pairs rows of `boxes`: each pair's object")
    verb_scores: list[list[float]] = Field(
        description="num_pairs lists of one score in [0, 1] per predicate of `label_space`"
    )


RELATION_DETECTIONS = TableSpec(
    name="relation_detections",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("boxes", pa.list_(pa.list_(pa.float32(), 4)), nullable=False),
            pa.field("labels", pa.list_(pa.int64()), nullable=False),
            pa.field("subject_index", pa.list_(pa.int64()), nullable=False),
            pa.field("object_index", pa.list_(pa.int64()), nullable=False),
            pa.field("verb_scores", pa.list_(pa.list_(pa.float32())), nullable=False),
        ]
    ),
    record_type=RelationDetectionsRecord,
)

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
    """One image's detections, as parallel lists.

    Attributes:
        image_id: the image, as the dataset's ground truth names it.
        boxes: ``num_boxes`` boxes ``[x1, y1, x2, y2]`` in absolute pixels, ``x2 >= x1`` and
            ``y2 >= y1``.
        labels: ``num_boxes`` object-class indices.
        subject_index: ``num_pairs`` rows of ``boxes``, each pair's subject.
        object_index: ``num_pairs`` rows of ``boxes``, each pair's object.
        verb_scores: ``num_pairs`` lists of one score per dataset verb.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    image_id: int
    boxes: list[Box]
    labels: list[int]
    subject_index: list[int]
    object_index: list[int]
    verb_scores: list[list[float]]


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

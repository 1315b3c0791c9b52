"""The ``relations`` table: relations between entities, human-annotated or pseudo-labelled."""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import EntityPairRecord
from data_schemas.table_spec import TableSpec


class RelationRecord(EntityPairRecord):
    """A directed relation ``subject --predicate--> object`` between two entities of an image.

    ``confidence`` is None for human annotation (e.g. Visual Genome) and the tagger's score in
    [0, 1] for pseudo-labels; pretraining keeps pseudo-labels at confidence >= a threshold.
    """

    relationship_id: int = Field(description="unique within the dataset or label run")
    image_id: int = Field(description="the image of both entities")
    predicate: str = Field(min_length=1, description="the relation text, e.g. 'riding'")
    confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="the tagger's score in [0, 1]; null = human"
    )


RELATIONS = TableSpec(
    name="relations",
    version=1,
    schema=pa.schema(
        [
            pa.field("relationship_id", pa.int64(), nullable=False),
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("subject_entity_id", pa.int64(), nullable=False),
            pa.field("object_entity_id", pa.int64(), nullable=False),
            pa.field("predicate", pa.string(), nullable=False),
            pa.field("confidence", pa.float64(), nullable=True),
        ]
    ),
    record_type=RelationRecord,
)

"""The ``tagged_relations`` table: candidates scored by the R-Tagger."""

import pyarrow as pa
from pydantic import Field, model_validator

from data_schemas.candidates import MATCH_EVIDENCE_TYPE, MatchEvidence
from data_schemas.record import Record
from data_schemas.table_spec import TableSpec


class TaggedRelationRecord(Record):
    """A (subject entity, object entity, relation text) with the tagger's score in [0, 1].

    ``provenance`` is the candidate's evidence; it is empty when the tagger assigned a text
    of the image to a pair the text was not parsed for.
    """

    image_id: int
    subject_entity_id: int
    object_entity_id: int
    relation: str = Field(min_length=1)
    score: float = Field(ge=0.0, le=1.0)
    tagger_id: str = Field(min_length=1, description="checkpoint name and checksum")
    provenance: list[MatchEvidence]

    @model_validator(mode="after")
    def _distinct_entities(self) -> "TaggedRelationRecord":
        if self.subject_entity_id == self.object_entity_id:
            raise ValueError(f"subject and object are the same entity {self.subject_entity_id}")
        return self


TAGGED_RELATIONS = TableSpec(
    name="tagged_relations",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("subject_entity_id", pa.int64(), nullable=False),
            pa.field("object_entity_id", pa.int64(), nullable=False),
            pa.field("relation", pa.string(), nullable=False),
            pa.field("score", pa.float64(), nullable=False),
            pa.field("tagger_id", pa.string(), nullable=False),
            pa.field("provenance", pa.list_(MATCH_EVIDENCE_TYPE), nullable=False),
        ]
    ),
    record_type=TaggedRelationRecord,
)

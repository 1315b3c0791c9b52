"""The ``tagged_relations`` table: candidates scored by the R-Tagger."""

import pyarrow as pa
from pydantic import Field

from data_schemas.candidates import CANDIDATES, MatchEvidence
from data_schemas.record import EntityPairRecord
from data_schemas.table_spec import TableSpec


class TaggedRelationRecord(EntityPairRecord):
    """A (subject entity, object entity, relation text) with the tagger's score in [0, 1].

    ``provenance`` is the candidate's evidence; it is empty when the tagger assigned a text
    of the image to a pair the text was not parsed for.
    """

    image_id: int
    relation: str = Field(min_length=1)
    score: float = Field(ge=0.0, le=1.0)
    tagger_id: str = Field(min_length=1, description="checkpoint name and checksum")
    provenance: list[MatchEvidence]


TAGGED_RELATIONS = TableSpec(
    name="tagged_relations",
    version=1,
    schema=pa.schema(
        [
            *(field for field in CANDIDATES.schema if field.name != "provenance"),
            pa.field("score", pa.float64(), nullable=False),
            pa.field("tagger_id", pa.string(), nullable=False),
            CANDIDATES.schema.field("provenance"),
        ]
    ),
    record_type=TaggedRelationRecord,
)

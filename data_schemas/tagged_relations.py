"""The ``tagged_relations`` table: candidates scored by the R-Tagger."""

import pyarrow as pa
from pydantic import Field

from data_schemas.candidates import CANDIDATES, MatchEvidence
from data_schemas.record import EntityPairRecord
from data_schemas.table_spec import TableSpec


class TaggedRelationRecord(EntityPairRecord):
    """A (subject entity, object entity, relation text) with the tagger's score in [0, 1].

    The tagger scores every candidate pair of an image against every relation text of that
    image, as the paper's tagger does, and keeps for each pair the texts scoring at least the save
    threshold (0.05 by default; at most ``top_k_per_pair`` of them when that is set): a text
    parsed for one pair may be kept for another, so tagged rows can outnumber candidates. ``provenance`` is the candidate's evidence; it is empty when
    the text was not parsed for the pair.
    """

    image_id: int = Field(description="the image of both entities")
    relation: str = Field(min_length=1, description="a relation text of the image")
    score: float = Field(
        ge=0.0, le=1.0, description="the tagger's probability that the relation holds, in [0, 1]"
    )
    tagger_id: str = Field(min_length=1, description="checkpoint name and checksum")
    provenance: list[MatchEvidence] = Field(
        description="the candidate's evidence; empty when the text was not parsed for this pair"
    )


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

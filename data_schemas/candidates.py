"""The ``candidates`` table: subject-object entity pairs with a relation text (the set P, T)."""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import EntityPairRecord, Record
from data_schemas.table_spec import TableSpec


class MatchEvidence(Record):
    """Why a candidate exists: which caption triplet produced it and which words matched.

    ``subject_words``/``object_words`` are the caption words that matched, and
    ``subject_synonym``/``object_synonym`` the synonym-table entry they matched.
    """

    caption_index: int = Field(ge=0, description="the caption of the triplet")
    triplet_index: int = Field(ge=0, description="the triplet within that caption")
    subject_words: str = Field(description="the caption words that matched the subject")
    subject_synonym: str = Field(description="the synonym-table entry they matched")
    object_words: str = Field(description="the caption words that matched the object")
    object_synonym: str = Field(description="the synonym-table entry they matched")


class CandidateRecord(EntityPairRecord):
    """A candidate relation between two distinct entities of one image.

    One row per unique (image, subject entity, object entity, relation text); ``provenance``
    lists every caption triplet that produced it (at least one).
    """

    image_id: int = Field(description="the image of both entities")
    relation: str = Field(min_length=1, description="the relation text, as parsed")
    provenance: list[MatchEvidence] = Field(
        min_length=1, description="every caption triplet that produced this candidate"
    )


MATCH_EVIDENCE_TYPE = pa.struct(
    [
        pa.field("caption_index", pa.int32(), nullable=False),
        pa.field("triplet_index", pa.int32(), nullable=False),
        pa.field("subject_words", pa.string(), nullable=False),
        pa.field("subject_synonym", pa.string(), nullable=False),
        pa.field("object_words", pa.string(), nullable=False),
        pa.field("object_synonym", pa.string(), nullable=False),
    ]
)

CANDIDATES = TableSpec(
    name="candidates",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("subject_entity_id", pa.int64(), nullable=False),
            pa.field("object_entity_id", pa.int64(), nullable=False),
            pa.field("relation", pa.string(), nullable=False),
            pa.field("provenance", pa.list_(MATCH_EVIDENCE_TYPE), nullable=False),
        ]
    ),
    record_type=CandidateRecord,
)

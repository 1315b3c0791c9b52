"""The ``triplets`` table: (subject, relation, object) triplets parsed from captions."""

import pyarrow as pa
from pydantic import Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec


class PhraseMention(Record):
    """A noun phrase of a caption as the scene-graph parser returned it.

    ``span`` is the surface text ("two brown horses"), ``lemma_span`` its lemmatised form,
    ``head``/``lemma_head`` the head noun ("horses"/"horse").
    """

    span: str = Field(description="the phrase as the caption writes it, e.g. 'two brown horses'")
    lemma_span: str = Field(description="the phrase lemmatised by spaCy, e.g. 'two brown horse'")
    head: str = Field(description="the phrase's head noun, e.g. 'horses'")
    lemma_head: str = Field(description="the head noun's lemma, e.g. 'horse'")


class TripletRecord(Record):
    """Triplet ``triplet_index`` of caption ``caption_index`` of image ``image_id``."""

    image_id: int = Field(description="the captioned image")
    caption_index: int = Field(ge=0, description="the caption it was parsed from")
    triplet_index: int = Field(ge=0, description="0-based triplet number within the caption")
    subject: PhraseMention = Field(description="the subject noun phrase")
    relation: str = Field(min_length=1, description="surface text, e.g. 'sitting on'")
    relation_lemma: str = Field(description="the relation lemmatised by spaCy, e.g. 'sit on'")
    object: PhraseMention = Field(description="the object noun phrase")


_PHRASE = pa.struct(
    [
        pa.field("span", pa.string(), nullable=False),
        pa.field("lemma_span", pa.string(), nullable=False),
        pa.field("head", pa.string(), nullable=False),
        pa.field("lemma_head", pa.string(), nullable=False),
    ]
)

TRIPLETS = TableSpec(
    name="triplets",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("caption_index", pa.int32(), nullable=False),
            pa.field("triplet_index", pa.int32(), nullable=False),
            pa.field("subject", _PHRASE, nullable=False),
            pa.field("relation", pa.string(), nullable=False),
            pa.field("relation_lemma", pa.string(), nullable=False),
            pa.field("object", _PHRASE, nullable=False),
        ]
    ),
    record_type=TripletRecord,
)

"""The ``captions`` table: captions per image, from BLIP or from human annotation."""

from typing import Literal

import pyarrow as pa
from pydantic import Field

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec

CaptionMethod = Literal["beam", "nucleus", "human"]


class DecodingSettings(Record):
    """How a caption was decoded; fields that do not apply to the method are None."""

    num_beams: int | None = Field(default=None, description="beam width of beam search")
    top_k: int | None = Field(default=None, description="nucleus sampling's top-k cut")
    top_p: float | None = Field(default=None, description="nucleus sampling's probability mass")
    max_length: int | None = Field(default=None, description="longest caption, in tokens")
    min_length: int | None = Field(default=None, description="shortest caption, in tokens")
    repetition_penalty: float | None = Field(
        default=None, description="penalty on repeated tokens (1 = none)"
    )
    seed: int | None = Field(default=None, description="random seed of nucleus sampling")


class CaptionRecord(Record):
    """Caption number ``caption_index`` (0-based, per image) of image ``image_id``."""

    image_id: int = Field(description="the captioned image")
    caption_index: int = Field(ge=0, description="0-based caption number within the image")
    text: str = Field(description="the caption")
    method: CaptionMethod = Field(
        description="how it was made: BLIP beam search, BLIP nucleus sampling, or a human"
    )
    decoding: DecodingSettings = Field(description="BLIP's decoding settings (all null for human)")
    captioner_id: str = Field(min_length=1, description="model name/checksum or caption file")


CAPTIONS = TableSpec(
    name="captions",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("caption_index", pa.int32(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("method", pa.string(), nullable=False),
            pa.field(
                "decoding",
                pa.struct(
                    [
                        pa.field("num_beams", pa.int32()),
                        pa.field("top_k", pa.int32()),
                        pa.field("top_p", pa.float64()),
                        pa.field("max_length", pa.int32()),
                        pa.field("min_length", pa.int32()),
                        pa.field("repetition_penalty", pa.float64()),
                        pa.field("seed", pa.int64()),
                    ]
                ),
                nullable=False,
            ),
            pa.field("captioner_id", pa.string(), nullable=False),
        ]
    ),
    record_type=CaptionRecord,
)

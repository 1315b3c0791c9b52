"""Base class of every row record: immutable, strict about unknown fields."""

import math

from typing import Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Record(BaseModel):
    """A validated, immutable row of an rlipv2 table."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BoxedRecord(Record):
    """A record with a box: xyxy in absolute pixels of the original image (x right, y down),
    finite, with x2 > x1 and y2 > y1."""

    x1: float = Field(description="left edge, pixels from the image's left border")
    y1: float = Field(description="top edge, pixels from the image's top border")
    x2: float = Field(description="right edge, pixels from the image's left border (> x1)")
    y2: float = Field(description="bottom edge, pixels from the image's top border (> y1)")

    @model_validator(mode="after")
    def _box_is_valid(self) -> Self:
        corners = (self.x1, self.y1, self.x2, self.y2)
        if not all(math.isfinite(value) for value in corners):
            raise ValueError(f"box {corners} has a non-finite coordinate")
        if not (self.x2 > self.x1 and self.y2 > self.y1):
            raise ValueError(f"box {corners} needs x2 > x1 and y2 > y1")
        return self


BOX_FIELDS: tuple[pa.Field, ...] = tuple(
    pa.field(name, pa.float64(), nullable=False) for name in ("x1", "y1", "x2", "y2")
)


class EntityPairRecord(Record):
    """A record relating two distinct entities of one image."""

    subject_entity_id: int = Field(description="the subject's `entity_id` in the image's entities")
    object_entity_id: int = Field(
        description="the object's `entity_id` in the image's entities (never the subject's)"
    )

    @model_validator(mode="after")
    def _distinct_entities(self) -> Self:
        if self.subject_entity_id == self.object_entity_id:
            raise ValueError(f"subject and object are the same entity {self.subject_entity_id}")
        return self

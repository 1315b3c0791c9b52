"""Base class of every row record: immutable, strict about unknown fields."""

import math

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A validated, immutable row of an rlipv2 table."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def check_xyxy_box(x1: float, y1: float, x2: float, y2: float) -> None:
    """Raise ``ValueError`` unless (x1, y1, x2, y2) is a finite box with positive area.

    Coordinates are absolute pixels, x to the right and y down; x2 > x1 and y2 > y1.
    """
    if not all(math.isfinite(value) for value in (x1, y1, x2, y2)):
        raise ValueError(f"box ({x1}, {y1}, {x2}, {y2}) has a non-finite coordinate")
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"box ({x1}, {y1}, {x2}, {y2}) needs x2 > x1 and y2 > y1")

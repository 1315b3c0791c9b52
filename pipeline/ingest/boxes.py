"""Annotation boxes: parsed, checked and clipped to their image."""

import math
from dataclasses import dataclass

from data_schemas.rejects import Rejection, RejectReason
from pipeline.ingest.nonfinite_literals import NON_FINITE_TEXTS


@dataclass(frozen=True)
class ClippedBox:
    """A box clipped to its image: xyxy, absolute pixels, x2 > x1 and y2 > y1."""

    x1: float
    y1: float
    x2: float
    y2: float
    was_clipped: bool


def clip_xywh_box(xywh: object, width: int, height: int) -> ClippedBox | Rejection:
    """Check a COCO/VG ``[x, y, w, h]`` box (top-left corner, absolute pixels) and clip it.

    Returns the clipped box, or why it is refused: not four numbers, a non-finite value, or
    no area left inside the ``width`` x ``height`` image (degenerate or entirely outside).
    """
    if not isinstance(xywh, (list, tuple)) or len(xywh) != 4:
        return Rejection(RejectReason.MALFORMED_RECORD, f"bbox {xywh!r} is not [x, y, w, h]")
    if any(value in NON_FINITE_TEXTS for value in xywh if isinstance(value, str)):
        return Rejection(RejectReason.NON_FINITE_BOX, f"bbox {list(xywh)} has a non-finite value")
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in xywh):
        return Rejection(RejectReason.MALFORMED_RECORD, f"bbox {xywh!r} is not [x, y, w, h]")
    x, y, box_width, box_height = (float(value) for value in xywh)
    if not all(math.isfinite(value) for value in (x, y, box_width, box_height)):
        return Rejection(RejectReason.NON_FINITE_BOX, f"bbox {list(xywh)} has a non-finite value")
    if box_width <= 0 or box_height <= 0:
        return Rejection(
            RejectReason.DEGENERATE_BOX, f"bbox {list(xywh)} has no positive width and height"
        )
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + box_width, float(width)), min(y + box_height, float(height))
    if x2 <= x1 or y2 <= y1:
        return Rejection(
            RejectReason.DEGENERATE_BOX,
            f"bbox {list(xywh)} lies outside the {width}x{height} image",
        )
    was_clipped = (x1, y1, x2, y2) != (x, y, x + box_width, y + box_height)
    return ClippedBox(x1=x1, y1=y1, x2=x2, y2=y2, was_clipped=was_clipped)


def clip_xyxy_box(xyxy: object, width: int, height: int) -> ClippedBox | Rejection:
    """:func:`clip_xywh_box` of an ``[x1, y1, x2, y2]`` box (the HOI annotation files'); a box
    with ``x2 < x1`` or ``y2 < y1`` is degenerate."""
    if not isinstance(xyxy, (list, tuple)) or len(xyxy) != 4:
        return Rejection(RejectReason.MALFORMED_RECORD, f"bbox {xyxy!r} is not [x1, y1, x2, y2]")
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in xyxy):
        return clip_xywh_box(xyxy, width, height)  # refused there, with its reason
    x1, y1, x2, y2 = xyxy
    if x2 <= x1 or y2 <= y1:
        return Rejection(
            RejectReason.DEGENERATE_BOX, f"bbox {list(xyxy)} needs x2 > x1 and y2 > y1"
        )
    return clip_xywh_box([x1, y1, x2 - x1, y2 - y1], width, height)

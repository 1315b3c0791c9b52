"""An axis-aligned box on the pixel grid of a demo image."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PixelBox:
    """Box in absolute pixels, x to the right and y down, corners on integer coordinates.

    ``(x1, y1)`` is the top-left corner and ``(x2, y2)`` the bottom-right one, so the width is
    ``x2 - x1`` and a box inside a ``width x height`` image has ``0 <= x1 < x2 <= width``.
    """

    x1: int
    y1: int
    x2: int
    y2: int

    def __post_init__(self) -> None:
        if not (self.x2 > self.x1 and self.y2 > self.y1):
            raise ValueError(f"box {self} needs x2 > x1 and y2 > y1")

    @classmethod
    def from_edges(cls, left: float, top: float, right: float, bottom: float) -> "PixelBox":
        """Round float edges to the pixel grid, keeping at least one pixel of width and height."""
        x1, y1 = round(left), round(top)
        return cls(x1, y1, max(round(right), x1 + 1), max(round(bottom), y1 + 1))

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    def union(self, other: "PixelBox") -> "PixelBox":
        """The smallest box containing both."""
        return PixelBox(
            min(self.x1, other.x1),
            min(self.y1, other.y1),
            max(self.x2, other.x2),
            max(self.y2, other.y2),
        )

    def is_inside(self, width: int, height: int, *, margin: int = 0) -> bool:
        """True when the box lies in ``[margin, width - margin] x [margin, height - margin]``."""
        return (
            self.x1 >= margin
            and self.y1 >= margin
            and self.x2 <= width - margin
            and self.y2 <= height - margin
        )

    def overlaps(self, other: "PixelBox", *, margin: int = 0) -> bool:
        """True when the boxes, each grown by ``margin`` pixels on every side, intersect."""
        return (
            self.x1 - margin < other.x2 + margin
            and other.x1 - margin < self.x2 + margin
            and self.y1 - margin < other.y2 + margin
            and other.y1 - margin < self.y2 + margin
        )

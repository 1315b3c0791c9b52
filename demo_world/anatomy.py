"""Named points of the drawn figures, shared by the layout rules and the painters.

A figure is drawn inside its box in *unit coordinates*: ``(u, v)`` in ``[0, 1] x [0, 1]``, u from
the box's left edge to its right edge and v from its top edge to its bottom edge, for a figure that
faces right. A figure facing left is the mirror image, ``u -> 1 - u``.
"""

from enum import Enum

from demo_world.pixel_box import PixelBox


class Facing(Enum):
    """Which way a figure looks; persons, animals and vehicles are drawn asymmetrically."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def sign(self) -> int:
        """+1 when facing right (towards growing x), -1 when facing left."""
        return 1 if self is Facing.RIGHT else -1

    def opposite(self) -> "Facing":
        return Facing.LEFT if self is Facing.RIGHT else Facing.RIGHT


UnitPoint = tuple[float, float]

# Standing person: head in v 0..0.2, torso 0.2..0.58, legs below.
PERSON_SHOULDER: UnitPoint = (0.6, 0.25)
PERSON_HAND: UnitPoint = (0.95, 0.52)
PERSON_RAISED_HAND: UnitPoint = (0.95, 0.3)
# Seated or mounted persons are shorter boxes; their hips are at this v.
PERSON_SEATED_HIP_V = 0.55

# Where the feeding cue (mouth) and the petting cue (hand on the back) go on an animal.
ANIMAL_MOUTH: dict[str, UnitPoint] = {"dog": (0.97, 0.42), "horse": (0.97, 0.25)}
ANIMAL_BACK: dict[str, UnitPoint] = {"dog": (0.38, 0.36), "horse": (0.42, 0.31)}

# The point of a held object that sits in the hand (umbrella: the bottom of its handle); read
# unmirrored (as if facing right), whichever way the held object faces.
GRIP: dict[str, UnitPoint] = {
    "cup": (0.4, 0.55),
    "bottle": (0.5, 0.6),
    "umbrella": (0.5, 0.96),
    "sports ball": (0.5, 0.5),
    "teddy bear": (0.5, 0.55),
}

# Furniture: v of the surface things rest on, and v of its underside (the space below is free).
SUPPORT_TOP_V: dict[str, float] = {"dining table": 0.0, "bench": 0.42}
SUPPORT_UNDERSIDE_V: dict[str, float] = {"dining table": 0.12, "bench": 0.54}

# The bottom tip of a kite, where its string is tied.
KITE_STRING_TIP: UnitPoint = (0.5, 0.72)


def box_point(box: PixelBox, point: UnitPoint, facing: Facing) -> tuple[float, float]:
    """Pixel (x, y) of unit point ``point`` of a figure in ``box`` that faces ``facing``."""
    u, v = point
    if facing is Facing.LEFT:
        u = 1.0 - u
    return box.x1 + u * box.width, box.y1 + v * box.height

"""One painter per demo category: a distinct shape and colour family, varied in shade per object.

Painters draw in the unit coordinates of ``anatomy.py`` (figure facing right, mirrored when
facing left) and stay inside their box. Persons are painted by ``paint_person``, which also takes a
posture and an optional point, in pixels, that the front hand reaches for.
"""

import random
from collections.abc import Callable, Sequence
from enum import Enum

from PIL import ImageDraw

from demo_world.anatomy import (
    PERSON_SEATED_HIP_V,
    PERSON_SHOULDER,
    SUPPORT_TOP_V,
    SUPPORT_UNDERSIDE_V,
    Facing,
    box_point,
)
from demo_world.pixel_box import PixelBox

RGB = tuple[int, int, int]
DARK: RGB = (40, 40, 45)


class Posture(Enum):
    """How a person is drawn; seated and mounted persons have shorter boxes (see ``layout.py``)."""

    STANDING = "standing"
    SEATED = "seated"
    MOUNTED = "mounted"


def shade(rng: random.Random, base: RGB, spread: int = 18) -> RGB:
    """``base`` with all channels moved by one random amount, plus a little noise per channel."""
    common = rng.randint(-spread, spread)
    red, green, blue = (min(255, max(0, channel + common + rng.randint(-6, 6))) for channel in base)
    return red, green, blue


class UnitPen:
    """Draws shapes given in a box's unit coordinates, mirrored for figures facing left."""

    def __init__(self, draw: ImageDraw.ImageDraw, box: PixelBox, facing: Facing) -> None:
        self.draw = draw
        self.box = box
        self.facing = facing

    def point(self, u: float, v: float) -> tuple[float, float]:
        return box_point(self.box, (u, v), self.facing)

    def _corners(self, u1: float, v1: float, u2: float, v2: float) -> list[float]:
        (xa, ya), (xb, yb) = self.point(u1, v1), self.point(u2, v2)
        return [min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)]

    def ellipse(
        self, u1: float, v1: float, u2: float, v2: float, fill: RGB, outline: RGB | None = None
    ) -> None:
        self.draw.ellipse(self._corners(u1, v1, u2, v2), fill=fill, outline=outline)

    def rectangle(
        self, u1: float, v1: float, u2: float, v2: float, fill: RGB, outline: RGB | None = None
    ) -> None:
        self.draw.rectangle(self._corners(u1, v1, u2, v2), fill=fill, outline=outline)

    def polygon(
        self, points: Sequence[tuple[float, float]], fill: RGB, outline: RGB | None = None
    ) -> None:
        self.draw.polygon([self.point(u, v) for u, v in points], fill=fill, outline=outline)

    def line(self, points: Sequence[tuple[float, float]], fill: RGB, width_fraction: float) -> None:
        width = max(1, round(width_fraction * self.box.width))
        self.draw.line([self.point(u, v) for u, v in points], fill=fill, width=width)

    def pieslice(self, u1: float, v1: float, u2: float, v2: float, fill: RGB, outline: RGB) -> None:
        """The upper half of the ellipse in the given unit box."""
        corners = self._corners(u1, v1, u2, v2)
        self.draw.pieslice(corners, start=180, end=360, fill=fill, outline=outline)


def paint_person(
    pen: UnitPen, rng: random.Random, posture: Posture, arm_target: tuple[float, float] | None
) -> None:
    """Blue/violet shirt, dark trousers, skin-tone head.

    The front hand reaches ``arm_target`` (pixel x, y), or hangs by the side when it is None.
    """
    skin = shade(rng, rng.choice(((240, 200, 170), (200, 150, 110), (140, 95, 65))), 10)
    shirt = shade(rng, rng.choice(((50, 80, 200), (110, 60, 180), (30, 130, 170))))
    trousers = shade(rng, (50, 50, 70), 12)
    hair = shade(rng, rng.choice(((60, 40, 25), (20, 20, 20), (200, 170, 90))), 10)
    hip_v = PERSON_SEATED_HIP_V
    torso_bottom = 0.6 if posture is Posture.STANDING else hip_v
    if posture is Posture.STANDING:
        pen.rectangle(0.24, 0.56, 0.47, 1.0, trousers)
        pen.rectangle(0.53, 0.56, 0.76, 1.0, trousers)
    elif posture is Posture.SEATED:
        thigh_top, thigh_bottom = hip_v - 0.1, hip_v + 0.06
        pen.rectangle(0.25, thigh_top, 0.95, thigh_bottom, trousers)
        pen.rectangle(0.78, hip_v, 0.95, 1.0, trousers)
    else:
        pen.polygon([(0.3, hip_v - 0.05), (0.7, hip_v - 0.05), (0.9, 1.0), (0.72, 1.0)], trousers)
    pen.rectangle(0.2, 0.19, 0.8, torso_bottom, shirt)
    pen.ellipse(0.25, 0.0, 0.75, 0.2, skin)
    pen.ellipse(0.25, 0.0, 0.75, 0.08, hair)
    pen.line([(0.3, 0.24), (0.18, 0.5)], shirt, 0.16)
    shoulder = pen.point(*PERSON_SHOULDER)
    hand = arm_target if arm_target is not None else pen.point(0.78, 0.52)
    arm_width = max(2, round(0.16 * pen.box.width))
    pen.draw.line([shoulder, hand], fill=shirt, width=arm_width)
    radius = max(1.5, 0.09 * pen.box.width)
    hand_x, hand_y = hand
    hand_corners = [hand_x - radius, hand_y - radius, hand_x + radius, hand_y + radius]
    pen.draw.ellipse(hand_corners, fill=skin)


def _paint_horse(pen: UnitPen, rng: random.Random) -> None:
    coat = shade(rng, rng.choice(((130, 80, 40), (95, 60, 35), (150, 100, 55))))
    mane = shade(rng, (45, 30, 20), 10)
    for u in (0.16, 0.26, 0.58, 0.67):
        pen.rectangle(u, 0.6, u + 0.055, 0.94, coat)
        pen.rectangle(u, 0.94, u + 0.055, 1.0, DARK)
    pen.polygon([(0.14, 0.34), (0.0, 0.62), (0.05, 0.68), (0.16, 0.44)], mane)
    pen.ellipse(0.12, 0.3, 0.76, 0.68, coat)
    pen.polygon([(0.6, 0.38), (0.74, 0.46), (0.9, 0.14), (0.78, 0.04)], coat)
    pen.polygon([(0.62, 0.36), (0.78, 0.04), (0.74, 0.02), (0.58, 0.32)], mane)
    pen.polygon([(0.76, 0.02), (0.88, 0.0), (1.0, 0.2), (0.96, 0.28), (0.82, 0.2)], coat)
    pen.ellipse(0.86, 0.06, 0.9, 0.1, DARK)


def _paint_dog(pen: UnitPen, rng: random.Random) -> None:
    fur = shade(rng, rng.choice(((150, 150, 150), (185, 180, 170), (110, 110, 115))))
    ear = shade(rng, (70, 65, 60), 10)
    pen.line([(0.12, 0.44), (0.0, 0.14)], ear, 0.05)
    for u in (0.14, 0.26, 0.54, 0.64):
        pen.rectangle(u, 0.6, u + 0.08, 1.0, fur, outline=DARK)
    pen.ellipse(0.08, 0.34, 0.76, 0.72, fur, outline=DARK)
    pen.ellipse(0.64, 0.06, 0.94, 0.5, fur, outline=DARK)
    pen.ellipse(0.86, 0.26, 1.0, 0.46, fur, outline=DARK)
    pen.ellipse(0.95, 0.26, 1.0, 0.34, DARK)
    pen.ellipse(0.66, 0.02, 0.77, 0.36, ear)
    pen.ellipse(0.8, 0.16, 0.85, 0.23, DARK)


def _paint_bicycle(pen: UnitPen, rng: random.Random) -> None:
    frame = shade(rng, (20, 160, 170))
    pen.ellipse(0.0, 0.36, 0.38, 1.0, fill=(235, 235, 235), outline=DARK)
    pen.ellipse(0.62, 0.36, 1.0, 1.0, fill=(235, 235, 235), outline=DARK)
    rear, pedal, seat = (0.19, 0.68), (0.46, 0.7), (0.38, 0.22)
    head, front = (0.74, 0.22), (0.81, 0.68)
    pen.line([rear, seat, pedal, rear], frame, 0.05)
    pen.line([seat, head, pedal], frame, 0.05)
    pen.line([head, front], frame, 0.05)
    pen.rectangle(0.3, 0.12, 0.46, 0.2, DARK)
    pen.line([(0.7, 0.06), (0.78, 0.1), (0.74, 0.22)], DARK, 0.04)


def _paint_car(pen: UnitPen, rng: random.Random) -> None:
    body = shade(rng, rng.choice(((200, 35, 40), (225, 60, 45), (170, 25, 60))))
    glass = shade(rng, (170, 215, 240), 8)
    pen.polygon([(0.18, 0.42), (0.3, 0.04), (0.72, 0.04), (0.84, 0.42)], body)
    pen.polygon([(0.26, 0.4), (0.34, 0.12), (0.5, 0.12), (0.5, 0.4)], glass)
    pen.polygon([(0.54, 0.4), (0.54, 0.12), (0.69, 0.12), (0.77, 0.4)], glass)
    pen.rectangle(0.0, 0.38, 1.0, 0.8, body)
    pen.rectangle(0.94, 0.46, 1.0, 0.56, (250, 230, 120))
    for u in (0.12, 0.68):
        pen.ellipse(u, 0.58, u + 0.2, 1.0, DARK)
        pen.ellipse(u + 0.06, 0.7, u + 0.14, 0.88, (170, 170, 170))


def _paint_bench(pen: UnitPen, rng: random.Random) -> None:
    wood = shade(rng, (40, 130, 60))
    iron = shade(rng, (60, 60, 60), 8)
    seat, underside = SUPPORT_TOP_V["bench"], SUPPORT_UNDERSIDE_V["bench"]
    for u in (0.08, 0.86):
        pen.rectangle(u, 0.0, u + 0.06, 1.0, iron)
    pen.rectangle(0.0, 0.02, 1.0, 0.14, wood)
    pen.rectangle(0.0, 0.2, 1.0, 0.32, wood)
    pen.rectangle(0.0, seat, 1.0, underside, wood)


def _paint_dining_table(pen: UnitPen, rng: random.Random) -> None:
    wood = shade(rng, (215, 180, 125))
    leg = shade(rng, (150, 110, 70), 10)
    underside = SUPPORT_UNDERSIDE_V["dining table"]
    for u in (0.05, 0.88):
        pen.rectangle(u, underside, u + 0.07, 1.0, leg)
    pen.rectangle(0.0, SUPPORT_TOP_V["dining table"], 1.0, underside, wood, outline=leg)


def _paint_cup(pen: UnitPen, rng: random.Random) -> None:
    china = shade(rng, (245, 245, 240), 8)
    pen.ellipse(0.6, 0.25, 1.0, 0.75, fill=china, outline=DARK)
    pen.polygon([(0.0, 0.05), (0.8, 0.05), (0.7, 1.0), (0.1, 1.0)], china, outline=DARK)
    pen.rectangle(0.05, 0.05, 0.75, 0.18, shade(rng, (120, 70, 40), 10))


def _paint_bottle(pen: UnitPen, rng: random.Random) -> None:
    glass = shade(rng, (80, 160, 215))
    pen.rectangle(0.08, 0.36, 0.92, 1.0, glass, outline=DARK)
    pen.polygon([(0.08, 0.38), (0.35, 0.2), (0.65, 0.2), (0.92, 0.38)], glass)
    pen.rectangle(0.33, 0.08, 0.67, 0.22, glass)
    pen.rectangle(0.28, 0.0, 0.72, 0.1, (210, 40, 40))
    pen.rectangle(0.08, 0.55, 0.92, 0.75, (245, 245, 245))


def _paint_umbrella(pen: UnitPen, rng: random.Random) -> None:
    canopy = shade(rng, rng.choice(((215, 50, 160), (180, 50, 200), (230, 80, 130))))
    pen.line([(0.5, 0.45), (0.5, 0.96)], DARK, 0.05)
    pen.line([(0.5, 0.96), (0.42, 0.98), (0.4, 0.9)], DARK, 0.05)
    pen.pieslice(0.0, 0.0, 1.0, 1.0, canopy, outline=DARK)
    pen.line([(0.5, 0.0), (0.5, 0.5)], DARK, 0.02)


def _paint_sports_ball(pen: UnitPen, rng: random.Random) -> None:
    pen.ellipse(0.0, 0.0, 1.0, 1.0, fill=shade(rng, (240, 130, 30)), outline=DARK)
    pen.line([(0.5, 0.0), (0.5, 1.0)], DARK, 0.08)
    pen.line([(0.0, 0.5), (1.0, 0.5)], DARK, 0.08)


def _paint_kite(pen: UnitPen, rng: random.Random) -> None:
    sail = shade(rng, (245, 210, 40))
    pen.line([(0.5, 0.72), (0.42, 0.82), (0.58, 0.9), (0.5, 1.0)], (200, 40, 40), 0.06)
    pen.polygon([(0.5, 0.0), (1.0, 0.3), (0.5, 0.72), (0.0, 0.3)], sail, outline=DARK)
    pen.line([(0.5, 0.0), (0.5, 0.72)], (200, 40, 40), 0.05)
    pen.line([(0.0, 0.3), (1.0, 0.3)], (200, 40, 40), 0.05)


def _paint_teddy_bear(pen: UnitPen, rng: random.Random) -> None:
    fur = shade(rng, (200, 150, 95))
    muzzle = shade(rng, (240, 215, 175), 8)
    pen.ellipse(0.12, 0.0, 0.38, 0.2, fur)
    pen.ellipse(0.62, 0.0, 0.88, 0.2, fur)
    pen.ellipse(0.1, 0.38, 0.9, 1.0, fur)
    pen.ellipse(0.2, 0.05, 0.8, 0.48, fur)
    pen.ellipse(0.36, 0.26, 0.64, 0.44, muzzle)
    pen.ellipse(0.32, 0.16, 0.42, 0.24, DARK)
    pen.ellipse(0.58, 0.16, 0.68, 0.24, DARK)


def _paint_traffic_light(pen: UnitPen, rng: random.Random) -> None:
    pen.rectangle(0.38, 0.44, 0.62, 1.0, shade(rng, (120, 120, 125), 10))
    pen.rectangle(0.0, 0.0, 1.0, 0.46, shade(rng, (45, 45, 50), 8))
    for v, lamp in ((0.02, (230, 40, 30)), (0.16, (245, 200, 40)), (0.3, (40, 200, 80))):
        pen.ellipse(0.15, v + 0.01, 0.85, v + 0.13, lamp)


OBJECT_PAINTERS: dict[str, Callable[[UnitPen, random.Random], None]] = {
    "horse": _paint_horse,
    "dog": _paint_dog,
    "bicycle": _paint_bicycle,
    "car": _paint_car,
    "bench": _paint_bench,
    "dining table": _paint_dining_table,
    "cup": _paint_cup,
    "bottle": _paint_bottle,
    "umbrella": _paint_umbrella,
    "sports ball": _paint_sports_ball,
    "kite": _paint_kite,
    "teddy bear": _paint_teddy_bear,
    "traffic light": _paint_traffic_light,
}

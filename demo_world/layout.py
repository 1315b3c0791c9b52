"""Placement rules: the subject and object boxes of one relation, derived from its predicate.

Every rule works around an anchor: ``center_x`` is the horizontal centre of the figure standing on
the ground (the pair's centre for BESIDE) and ``ground_y`` the row its bottom edge rests on. Boxes
are absolute pixels (see :class:`PixelBox`); the caller checks that they fit in the image.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from demo_world.anatomy import (
    GRIP,
    PERSON_HAND,
    PERSON_SEATED_HIP_V,
    SUPPORT_TOP_V,
    SUPPORT_UNDERSIDE_V,
    Facing,
    box_point,
)
from demo_world.pixel_box import PixelBox
from demo_world.vocabulary import DemoCategory, PlacementRule


@dataclass(frozen=True)
class PairLayout:
    """The two boxes of a relation, the way each figure faces, and which is painted first."""

    subject_box: PixelBox
    object_box: PixelBox
    subject_facing: Facing
    object_facing: Facing
    subject_painted_first: bool


@dataclass(frozen=True)
class _Anchor:
    center_x: float
    ground_y: float
    scale: float


def figure_size(category: DemoCategory, scale: float, rng: random.Random) -> tuple[float, float]:
    """(width, height) in pixels: the typical size times ``scale``, jittered by about +-10%."""
    size_jitter = rng.uniform(0.9, 1.1)
    aspect_jitter = rng.uniform(0.94, 1.06)
    return (
        category.typical_width * scale * size_jitter * aspect_jitter,
        category.typical_height * scale * size_jitter / aspect_jitter,
    )


def _standing(center_x: float, ground_y: float, width: float, height: float) -> PixelBox:
    left, right = center_x - width / 2, center_x + width / 2
    return PixelBox.from_edges(left, ground_y - height, right, ground_y)


def _random_facing(rng: random.Random) -> Facing:
    return rng.choice((Facing.LEFT, Facing.RIGHT))


def _unrelated_facings(
    subject_box: PixelBox, object_box: PixelBox, rng: random.Random, *, subject_painted_first: bool
) -> PairLayout:
    """A layout whose two figures face independent random ways."""
    return PairLayout(
        subject_box,
        object_box,
        _random_facing(rng),
        _random_facing(rng),
        subject_painted_first=subject_painted_first,
    )


def _resting_on(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    surface_y = object_box.y1 + SUPPORT_TOP_V[object_.name] * object_box.height
    slack = max(0.0, (object_width - subject_width) / 2) * 0.8
    subject_center = anchor.center_x + rng.uniform(-slack, slack)
    subject_box = _standing(subject_center, surface_y + 1, subject_width, subject_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=False)


def _beneath(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    underside_y = object_box.y1 + SUPPORT_UNDERSIDE_V[object_.name] * object_box.height
    clearance = anchor.ground_y - underside_y
    shrink = min(1.0, 0.9 * clearance / subject_height)
    subject_width, subject_height = subject_width * shrink, subject_height * shrink
    slack = max(0.0, (0.7 * object_width - subject_width) / 2)
    subject_center = anchor.center_x + rng.uniform(-slack, slack)
    subject_box = _standing(subject_center, anchor.ground_y, subject_width, subject_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=False)


def _beside(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    gap = rng.uniform(2, 12)
    left = anchor.center_x - (subject_width + gap + object_width) / 2
    subject_on_left = rng.random() < 0.5
    if subject_on_left:
        subject_center = left + subject_width / 2
        object_center = left + subject_width + gap + object_width / 2
    else:
        object_center = left + object_width / 2
        subject_center = left + object_width + gap + subject_width / 2
    subject_ground_y, object_ground_y = (anchor.ground_y + rng.uniform(-2, 2) for _ in range(2))
    subject_box = _standing(subject_center, subject_ground_y, subject_width, subject_height)
    object_box = _standing(object_center, object_ground_y, object_width, object_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=True)


def _above(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    subject_bottom = object_box.y1 - rng.uniform(6, 28)
    subject_center = anchor.center_x + rng.uniform(-0.25, 0.25) * object_width
    subject_box = _standing(subject_center, subject_bottom, subject_width, subject_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=True)


def _in_front(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_ground_y = anchor.ground_y - rng.uniform(5, 14)
    object_box = _standing(anchor.center_x, object_ground_y, object_width, object_height)
    subject_center = anchor.center_x + rng.uniform(-0.3, 0.3) * object_width
    subject_box = _standing(subject_center, anchor.ground_y, subject_width, subject_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=False)


def _mounted(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    facing = _random_facing(rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    seat_y = object_box.y1 + rng.uniform(0.5, 0.6) * object_box.height
    subject_center = anchor.center_x + facing.sign * rng.uniform(-0.12, 0.02) * object_width
    subject_box = _standing(subject_center, seat_y, subject_width, subject_height * 0.78)
    return PairLayout(subject_box, object_box, facing, facing, subject_painted_first=False)


def _in_hand(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    facing = _random_facing(rng)
    subject_box = _standing(anchor.center_x, anchor.ground_y, subject_width, subject_height)
    hand_x, hand_y = box_point(subject_box, PERSON_HAND, facing)
    grip_u, grip_v = GRIP[object_.name]
    left, top = hand_x - grip_u * object_width, hand_y - grip_v * object_height
    object_box = PixelBox.from_edges(left, top, left + object_width, top + object_height)
    object_facing = _random_facing(rng)
    return PairLayout(subject_box, object_box, facing, object_facing, subject_painted_first=True)


def _tending(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    animal_facing = _random_facing(rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    overlap = rng.uniform(0.1, 0.3) * subject_width
    head_edge = object_box.x2 if animal_facing is Facing.RIGHT else object_box.x1
    subject_center = head_edge + animal_facing.sign * (subject_width / 2 - overlap)
    subject_ground_y = anchor.ground_y + rng.uniform(-2, 2)
    subject_box = _standing(subject_center, subject_ground_y, subject_width, subject_height)
    person_facing = animal_facing.opposite()
    return PairLayout(
        subject_box, object_box, person_facing, animal_facing, subject_painted_first=False
    )


def _seated(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    subject_width, _ = figure_size(subject, anchor.scale, rng)
    object_box = _standing(anchor.center_x, anchor.ground_y, object_width, object_height)
    seat_y = object_box.y1 + SUPPORT_TOP_V[object_.name] * object_box.height
    subject_height = (anchor.ground_y - seat_y) / (1.0 - PERSON_SEATED_HIP_V)
    subject_center = anchor.center_x + rng.uniform(-0.3, 0.3) * object_width
    subject_box = _standing(subject_center, anchor.ground_y, subject_width * 1.2, subject_height)
    return _unrelated_facings(subject_box, object_box, rng, subject_painted_first=False)


def _tethered(
    subject: DemoCategory, object_: DemoCategory, anchor: _Anchor, rng: random.Random
) -> PairLayout:
    subject_width, subject_height = figure_size(subject, anchor.scale, rng)
    object_width, object_height = figure_size(object_, anchor.scale, rng)
    facing = _random_facing(rng)
    subject_box = _standing(anchor.center_x, anchor.ground_y, subject_width, subject_height)
    object_center = anchor.center_x + facing.sign * rng.uniform(25, 60) * anchor.scale
    object_bottom = subject_box.y1 - rng.uniform(10, 45)
    object_box = _standing(object_center, object_bottom, object_width, object_height)
    object_facing = _random_facing(rng)
    return PairLayout(subject_box, object_box, facing, object_facing, subject_painted_first=True)


_Rule = Callable[[DemoCategory, DemoCategory, _Anchor, random.Random], PairLayout]

_RULES: dict[PlacementRule, _Rule] = {
    PlacementRule.RESTING_ON: _resting_on,
    PlacementRule.BENEATH: _beneath,
    PlacementRule.BESIDE: _beside,
    PlacementRule.ABOVE: _above,
    PlacementRule.IN_FRONT: _in_front,
    PlacementRule.MOUNTED: _mounted,
    PlacementRule.IN_HAND: _in_hand,
    PlacementRule.TENDING: _tending,
    PlacementRule.SEATED: _seated,
    PlacementRule.TETHERED: _tethered,
}


def place_pair(
    rule: PlacementRule,
    subject: DemoCategory,
    object_: DemoCategory,
    *,
    center_x: float,
    ground_y: float,
    scale: float,
    rng: random.Random,
) -> PairLayout:
    """Boxes for ``subject <predicate> object_`` where the predicate's placement is ``rule``.

    ``scale`` multiplies the categories' typical sizes; ``rng`` supplies every random offset.
    """
    anchor = _Anchor(center_x=center_x, ground_y=ground_y, scale=scale)
    return _RULES[rule](subject, object_, anchor, rng)

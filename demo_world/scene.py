"""A demo scene (objects, ground-truth relations, background) and its random sampler.

Scenes are pure data: sampling draws nothing, so annotation-only writers can sample many quickly.
All boxes are :class:`PixelBox` in absolute pixels of a ``width x height`` image.
"""

import random
from dataclasses import dataclass

from demo_world.anatomy import Facing
from demo_world.layout import figure_size, place_pair
from demo_world.pixel_box import PixelBox
from demo_world.triplets import DEMO_TRIPLETS, DemoTriplet
from demo_world.vocabulary import (
    DEMO_CATEGORIES,
    DEMO_PREDICATES,
    DemoCategory,
    DemoPredicate,
    category_by_name,
    predicate_by_name,
)

RGB = tuple[int, int, int]

MIN_WIDTH, MAX_WIDTH = 224, 320
MIN_HEIGHT, MAX_HEIGHT = 192, 256
MAX_OBJECTS = 8
MAX_RELATIONS = 4
_BORDER = 1  # every box keeps this many pixels from the image border
_GAP = 3  # pixels kept between the boxes of unrelated groups
_PLACEMENT_ATTEMPTS = 24


@dataclass(frozen=True)
class DemoObject:
    """One annotated entity; ``appearance_seed`` fixes its colours and shading when drawn."""

    category: DemoCategory
    box: PixelBox
    facing: Facing
    appearance_seed: int


@dataclass(frozen=True)
class DemoRelation:
    """``objects[subject_index] <predicate> objects[object_index]`` of the same scene."""

    subject_index: int
    predicate: DemoPredicate
    object_index: int


@dataclass(frozen=True)
class DemoBackground:
    """Sky colour above row ``horizon_y``, ground colour from it down; plain when they are equal."""

    sky_colour: RGB
    ground_colour: RGB
    horizon_y: int


@dataclass(frozen=True)
class DemoScene:
    """One image's content; ``objects`` are in painting order, back to front."""

    image_id: int
    width: int
    height: int
    background: DemoBackground
    objects: tuple[DemoObject, ...]
    relations: tuple[DemoRelation, ...]


@dataclass(frozen=True)
class _Group:
    """Objects placed together (a relation's pair, or one distractor), in painting order."""

    objects: tuple[DemoObject, ...]
    predicate: DemoPredicate | None  # relation between objects[subject_position] and the other one
    subject_position: int
    extent: PixelBox  # the union of the objects' boxes


_TRIPLETS_BY_PREDICATE: dict[str, tuple[DemoTriplet, ...]] = {
    predicate.name: tuple(
        triplet for triplet in DEMO_TRIPLETS if triplet.predicate_name == predicate.name
    )
    for predicate in DEMO_PREDICATES
}
_PLAIN_COLOURS: tuple[RGB, ...] = ((226, 226, 222), (236, 228, 210), (214, 222, 230))
_SKY_COLOURS: tuple[RGB, ...] = ((170, 205, 240), (200, 225, 245), (185, 200, 215))
_GROUND_COLOURS: tuple[RGB, ...] = ((120, 175, 95), (90, 145, 75), (215, 200, 160))


def _jitter_colour(rng: random.Random, base: RGB, spread: int) -> RGB:
    red, green, blue = (
        min(255, max(0, channel + rng.randint(-spread, spread))) for channel in base
    )
    return red, green, blue


def _sample_background(rng: random.Random, height: int) -> DemoBackground:
    if rng.random() < 0.3:
        plain = _jitter_colour(rng, rng.choice(_PLAIN_COLOURS), 10)
        return DemoBackground(plain, plain, horizon_y=round(0.45 * height))
    sky = _jitter_colour(rng, rng.choice(_SKY_COLOURS), 12)
    ground = _jitter_colour(rng, rng.choice(_GROUND_COLOURS), 12)
    return DemoBackground(sky, ground, horizon_y=round(rng.uniform(0.35, 0.55) * height))


def _sample_triplets(rng: random.Random) -> list[DemoTriplet]:
    """Uniform over predicates, then over that predicate's triplets; sometimes repeats one."""
    num_relations = rng.choices(range(1, MAX_RELATIONS + 1), weights=(4, 4, 3, 2))[0]
    triplets: list[DemoTriplet] = []
    for _ in range(num_relations):
        if triplets and rng.random() < 0.2:
            triplets.append(rng.choice(triplets))
        else:
            predicate = rng.choice(DEMO_PREDICATES)
            triplets.append(rng.choice(_TRIPLETS_BY_PREDICATE[predicate.name]))
    return triplets


class _Canvas:
    """The image being filled: hands out anchors, keeps groups apart and inside the image."""

    def __init__(self, rng: random.Random, width: int, height: int, horizon_y: int) -> None:
        self.rng = rng
        self.width = width
        self.height = height
        self.ground_top = horizon_y + 0.12 * (height - horizon_y)
        self.size_factor = height / 224
        self.groups: list[_Group] = []

    def ground_anchor(self) -> tuple[float, float, float]:
        """(center_x, ground_y, scale); figures lower in the image are nearer, hence larger."""
        ground_y = self.rng.uniform(self.ground_top, self.height - _BORDER)
        depth = (ground_y - self.ground_top) / (self.height - self.ground_top)
        scale = (0.85 + 0.4 * depth) * self.size_factor
        return self.rng.uniform(0, self.width), ground_y, scale

    def fits(self, extent: PixelBox) -> bool:
        if not extent.is_inside(self.width, self.height, margin=_BORDER):
            return False
        return not any(extent.overlaps(group.extent, margin=_GAP) for group in self.groups)

    def _object(self, category: DemoCategory, box: PixelBox, facing: Facing) -> DemoObject:
        seed = self.rng.getrandbits(32)
        return DemoObject(category=category, box=box, facing=facing, appearance_seed=seed)

    def try_relation(self, triplet: DemoTriplet) -> None:
        """Place the triplet's pair somewhere free, if it fits."""
        predicate = predicate_by_name(triplet.predicate_name)
        subject = category_by_name(triplet.subject_name)
        object_ = category_by_name(triplet.object_name)
        for _ in range(_PLACEMENT_ATTEMPTS):
            center_x, ground_y, scale = self.ground_anchor()
            layout = place_pair(
                predicate.placement,
                subject,
                object_,
                center_x=center_x,
                ground_y=ground_y,
                scale=scale,
                rng=self.rng,
            )
            extent = layout.subject_box.union(layout.object_box)
            if not self.fits(extent):
                continue
            subject_object = self._object(subject, layout.subject_box, layout.subject_facing)
            object_object = self._object(object_, layout.object_box, layout.object_facing)
            if layout.subject_painted_first:
                group = _Group((subject_object, object_object), predicate, 0, extent)
            else:
                group = _Group((object_object, subject_object), predicate, 1, extent)
            self.groups.append(group)
            return

    def try_distractor(self, category: DemoCategory) -> None:
        """Place one unrelated object somewhere free (airborne ones in the sky), if it fits."""
        for _ in range(_PLACEMENT_ATTEMPTS):
            center_x, ground_y, scale = self.ground_anchor()
            if category.airborne:
                ground_y = self.rng.uniform(0.3, 0.6) * self.ground_top
            width, height = figure_size(category, scale, self.rng)
            left, right = center_x - width / 2, center_x + width / 2
            box = PixelBox.from_edges(left, ground_y - height, right, ground_y)
            if self.fits(box):
                facing = self.rng.choice((Facing.LEFT, Facing.RIGHT))
                self.groups.append(_Group((self._object(category, box, facing),), None, 0, box))
                return


def sample_scene(rng: random.Random, image_id: int) -> DemoScene:
    """One scene: 1..4 relations placed by their predicates' rules plus distractors, 2..8 objects.

    Half of the distractors repeat a category already present, so several persons (say) stand in
    an image of which only one rides the horse. Deterministic given the state of ``rng``; seed it
    per image, e.g. ``random.Random(f"{seed}:{image_id}")``.
    """
    width, height = rng.randint(MIN_WIDTH, MAX_WIDTH), rng.randint(MIN_HEIGHT, MAX_HEIGHT)
    background = _sample_background(rng, height)
    canvas = _Canvas(rng, width, height, background.horizon_y)
    triplets = _sample_triplets(rng)
    num_objects = rng.randint(2 * len(triplets), MAX_OBJECTS)
    for triplet in triplets:
        canvas.try_relation(triplet)
    fallback_attempts = 0
    while not canvas.groups:  # not even the first relation fitted: try other triplets
        if fallback_attempts == _PLACEMENT_ATTEMPTS:
            raise RuntimeError(f"image {image_id}: no relation fits a {width}x{height} image")
        canvas.try_relation(rng.choice(DEMO_TRIPLETS))
        fallback_attempts += 1
    present = [demo_object.category for group in canvas.groups for demo_object in group.objects]
    for _ in range(num_objects - len(present)):
        repeat_present = rng.random() < 0.55
        canvas.try_distractor(rng.choice(present if repeat_present else DEMO_CATEGORIES))
    return _assemble(image_id, width, height, background, canvas.groups)


def _assemble(
    image_id: int, width: int, height: int, background: DemoBackground, groups: list[_Group]
) -> DemoScene:
    """Order groups from the farthest (highest bottom edge) to the nearest; index the relations."""
    objects: list[DemoObject] = []
    relations: list[DemoRelation] = []
    for group in sorted(groups, key=lambda group: group.extent.y2):
        first_index = len(objects)
        objects.extend(group.objects)
        if group.predicate is not None:
            subject_index = first_index + group.subject_position
            object_index = first_index + 1 - group.subject_position
            relations.append(DemoRelation(subject_index, group.predicate, object_index))
    return DemoScene(image_id, width, height, background, tuple(objects), tuple(relations))

"""Render a :class:`DemoScene` to an RGB image, including the cues that only pixels carry.

A person's posture and front arm follow its relations: riding -> mounted, sitting on -> seated,
holding -> hand on the object's grip, flying -> raised hand tied to the kite by a string,
feeding -> hand at the animal's mouth holding a red apple, petting -> hand on the animal's back.
Feeding and petting share box geometry: the apple and the arm are the only way to tell them apart.
"""

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from demo_world.anatomy import (
    ANIMAL_BACK,
    ANIMAL_MOUTH,
    GRIP,
    KITE_STRING_TIP,
    PERSON_RAISED_HAND,
    Facing,
    box_point,
)
from demo_world.painters import DARK, OBJECT_PAINTERS, Posture, UnitPen, paint_person
from demo_world.scene import DemoObject, DemoScene

Point = tuple[float, float]


@dataclass(frozen=True)
class _PersonRole:
    """How one person is drawn: posture, where the front hand goes, and what it carries."""

    posture: Posture = Posture.STANDING
    arm_target: Point | None = None
    carries_apple: bool = False
    string_to: Point | None = None


def _person_role(predicate_name: str, person: DemoObject, other: DemoObject) -> _PersonRole:
    if predicate_name == "riding":
        return _PersonRole(posture=Posture.MOUNTED)
    if predicate_name == "sitting on":
        return _PersonRole(posture=Posture.SEATED)
    if predicate_name == "holding":
        return _PersonRole(arm_target=box_point(other.box, GRIP[other.category.name], Facing.RIGHT))
    if predicate_name == "feeding":
        mouth = box_point(other.box, ANIMAL_MOUTH[other.category.name], other.facing)
        return _PersonRole(arm_target=mouth, carries_apple=True)
    if predicate_name == "petting":
        back = box_point(other.box, ANIMAL_BACK[other.category.name], other.facing)
        return _PersonRole(arm_target=back)
    if predicate_name == "flying":
        hand = box_point(person.box, PERSON_RAISED_HAND, person.facing)
        kite_tip = box_point(other.box, KITE_STRING_TIP, other.facing)
        return _PersonRole(arm_target=hand, string_to=kite_tip)
    return _PersonRole()


def _person_roles(scene: DemoScene) -> dict[int, _PersonRole]:
    """Object index -> role, for persons that are the subject of a relation (the first one wins)."""
    roles: dict[int, _PersonRole] = {}
    for relation in scene.relations:
        person = scene.objects[relation.subject_index]
        if person.category.name != "person" or relation.subject_index in roles:
            continue
        other = scene.objects[relation.object_index]
        roles[relation.subject_index] = _person_role(relation.predicate.name, person, other)
    return roles


def _paint_apple(draw: ImageDraw.ImageDraw, center: Point, radius: float) -> None:
    x, y = center
    draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(225, 25, 35), outline=DARK)
    draw.ellipse([x, y - radius - 2, x + radius, y - radius + 1], fill=(60, 190, 60))


def draw_scene(scene: DemoScene) -> Image.Image:
    """An RGB image of ``scene.width x scene.height`` pixels; objects are painted back to front."""
    background = scene.background
    image = Image.new("RGB", (scene.width, scene.height), background.sky_colour)
    draw = ImageDraw.Draw(image)
    if background.ground_colour != background.sky_colour:
        ground = [0, background.horizon_y, scene.width, scene.height]
        draw.rectangle(ground, fill=background.ground_colour)
    roles = _person_roles(scene)
    for index, demo_object in enumerate(scene.objects):
        pen = UnitPen(draw, demo_object.box, demo_object.facing)
        palette = random.Random(demo_object.appearance_seed)
        if demo_object.category.name == "person":
            role = roles.get(index, _PersonRole())
            paint_person(pen, palette, role.posture, role.arm_target)
        else:
            OBJECT_PAINTERS[demo_object.category.name](pen, palette)
    for index, role in roles.items():
        person_box = scene.objects[index].box
        if role.carries_apple and role.arm_target is not None:
            _paint_apple(draw, role.arm_target, max(3.5, 0.17 * person_box.width))
        if role.string_to is not None and role.arm_target is not None:
            draw.line([role.arm_target, role.string_to], fill=DARK, width=1)
    return image

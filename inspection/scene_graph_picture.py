"""A scene graph drawn over its image: boxes with category labels, and an arrow from subject to
object for each relation, labelled with the predicate and the confidence.

The picture has the image's size. Text and line widths scale with the image's short side.
Every relation between the same (subject, object) gets one arrow with one label listing its
predicates, strongest first; arrows and their labels share a colour, and labels are moved apart
when they would overlap.
"""

import logging
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from data_schemas.entities import EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import check_relation_threshold, keeps_relationship
from data_schemas.relations import RelationRecord
from data_schemas.scene_graphs import SceneGraphObject, SceneGraphRelationship
from data_schemas.tagged_relations import TaggedRelationRecord
from inspection.image_detail import KeptRelation

logger = logging.getLogger(__name__)

Entity = EntityRecord | SceneGraphObject
"""Anything with ``entity_id``, ``category_name`` and an xyxy pixel box."""
Relationship = SceneGraphRelationship | RelationRecord | TaggedRelationRecord | KeptRelation
"""A relation between two entities: predicate and confidence (tagged relations: relation text
and score)."""
Box = tuple[float, float, float, float]
Point = tuple[float, float]
Color = tuple[int, int, int]

BOX_COLORS: tuple[Color, ...] = (
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    (0, 128, 128), (170, 110, 40),
)
"""Box colour of a category: ``BOX_COLORS[crc32(name) % len]``, stable across images."""
ARROW_COLORS: tuple[Color, ...] = (
    (255, 215, 0), (0, 255, 255), (255, 105, 180), (127, 255, 0), (255, 140, 0),
    (173, 216, 230), (238, 130, 238), (255, 255, 255),
)
"""Arrow (and arrow label) colours, one per (subject, object) pair in turn."""
LABEL_ALPHA = 225
LABEL_PADDING = 2
MAX_LABEL_SHIFTS = 12
"""A label is moved at most this many label heights away from its target."""
LEADER_MIN_LENGTH = 3.0
"""A label further than this (px) from its target is joined to it by a thin line."""


@dataclass(frozen=True)
class _Label:
    """Text on a coloured box near ``target`` (above it when ``above``, else centred on it)."""

    text: str
    target: Point
    color: Color
    above: bool = False


@dataclass(frozen=True)
class _Arrow:
    """All kept relations of one ordered (subject, object) pair."""

    subject: Entity
    object: Entity
    labels: tuple[str, ...]


def render_scene_graph(
    image_path: Path,
    entities: Sequence[Entity],
    relationships: Sequence[Relationship],
    *,
    min_confidence: float = 0.0,
) -> Image.Image:
    """The image at ``image_path`` (RGB, its own size) with ``entities`` boxed and labelled and
    an arrow per relationship kept at ``min_confidence`` (human relations always).

    Entity boxes are xyxy in absolute pixels of the image. A relationship that names an entity
    not in ``entities`` is skipped (and logged).

    Raises:
        RLIPv2InputError: the image file is missing or not an image.
        ValueError: ``min_confidence`` is outside [0, 1].
    """
    check_relation_threshold(min_confidence)
    image = _open_image(image_path)
    width, height = image.size
    short_side = min(width, height)
    font = ImageFont.load_default(size=min(28, max(10, round(short_side / 30))))
    line_width = max(1, round(short_side / 180))
    arrows = _arrows(entities, relationships, min_confidence, image_path)
    related = {entity.entity_id for arrow in arrows for entity in (arrow.subject, arrow.object)}

    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for entity in entities:
        draw.rectangle(
            _box(entity),
            outline=_category_color(entity.category_name) + (255,),
            width=2 * line_width if entity.entity_id in related else line_width,
        )
    labels = [
        _Label(
            text=f"{entity.category_name} #{entity.entity_id}",
            target=(entity.x1, entity.y1),
            color=_category_color(entity.category_name),
            above=True,
        )
        for entity in entities
    ]
    pairs = {(arrow.subject.entity_id, arrow.object.entity_id) for arrow in arrows}
    for index, arrow in enumerate(arrows):
        color = ARROW_COLORS[index % len(ARROW_COLORS)]
        two_way = (arrow.object.entity_id, arrow.subject.entity_id) in pairs
        start, end = _arrow_ends(arrow, offset=3 * line_width + 2 if two_way else 0.0)
        _draw_arrow(draw, start, end, color, line_width)
        labels.append(
            _Label(text="\n".join(arrow.labels), target=_midpoint(start, end), color=color)
        )
    boxes = _layout_labels(draw, font, labels, image.size)
    for label, box in zip(labels, boxes):
        nearest = (
            min(max(label.target[0], box[0]), box[2]),
            min(max(label.target[1], box[1]), box[3]),
        )
        if math.dist(nearest, label.target) > LEADER_MIN_LENGTH:
            draw.line([label.target, nearest], fill=label.color + (255,), width=1)
    for label, box in zip(labels, boxes):
        _paint_label(draw, font, label, box)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def _open_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        raise RLIPv2InputError(
            f"image file {path} does not exist; pass --image-root if the images have moved"
        ) from None
    except (UnidentifiedImageError, OSError) as error:
        raise RLIPv2InputError(f"{path} is not a readable image: {error}") from error


def _relation_fields(relation: Relationship) -> tuple[int, int, str, float | None]:
    """(subject id, object id, predicate, confidence) of any relationship type."""
    if isinstance(relation, TaggedRelationRecord):
        predicate, confidence = relation.relation, relation.score
    else:
        predicate, confidence = relation.predicate, relation.confidence
    return relation.subject_entity_id, relation.object_entity_id, predicate, confidence


def _arrows(
    entities: Sequence[Entity],
    relationships: Sequence[Relationship],
    min_confidence: float,
    image_path: Path,
) -> list[_Arrow]:
    """One arrow per ordered pair with a kept relation, in order of first strongest relation."""
    by_id = {entity.entity_id: entity for entity in entities}
    kept = [
        fields
        for fields in map(_relation_fields, relationships)
        if keeps_relationship(fields[3], min_confidence)
    ]
    kept.sort(key=lambda fields: -2.0 if fields[3] is None else -fields[3])
    labels: dict[tuple[int, int], list[str]] = {}
    for subject_id, object_id, predicate, confidence in kept:
        if subject_id not in by_id or object_id not in by_id:
            logger.warning(
                "%s: relation %r between entities %d and %d, which are not among the %d "
                "entities given; not drawn",
                image_path,
                predicate,
                subject_id,
                object_id,
                len(by_id),
            )
            continue
        label = predicate if confidence is None else f"{predicate} {confidence:.2f}"
        labels.setdefault((subject_id, object_id), []).append(label)
    return [
        _Arrow(subject=by_id[subject_id], object=by_id[object_id], labels=tuple(pair_labels))
        for (subject_id, object_id), pair_labels in labels.items()
    ]


def _box(entity: Entity) -> Box:
    return (entity.x1, entity.y1, entity.x2, entity.y2)


def _category_color(name: str) -> Color:
    return BOX_COLORS[zlib.crc32(name.encode()) % len(BOX_COLORS)]


def _arrow_ends(arrow: _Arrow, *, offset: float) -> tuple[Point, Point]:
    """From the subject box's border to the object box's border along the line joining their
    centres, shifted sideways by ``offset`` px (to keep the arrows of a two-way pair apart);
    centre to centre when the boxes overlap."""
    start, end = _center(_box(arrow.subject)), _center(_box(arrow.object))
    length = math.dist(start, end)
    if length > 0 and offset:
        normal_x, normal_y = (end[1] - start[1]) / length, (start[0] - end[0]) / length
        start = (start[0] + offset * normal_x, start[1] + offset * normal_y)
        end = (end[0] + offset * normal_x, end[1] + offset * normal_y)
    subject_box, object_box = _box(arrow.subject), _box(arrow.object)
    if _overlap(subject_box, object_box):
        return start, end
    return _leave_box(subject_box, start, end), _leave_box(object_box, end, start)


def _center(box: Box) -> Point:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _leave_box(box: Box, inside: Point, towards: Point) -> Point:
    """Where the segment from ``inside`` (in ``box``) to ``towards`` leaves ``box``."""
    delta_x, delta_y = towards[0] - inside[0], towards[1] - inside[1]
    fractions = [1.0]
    if delta_x:
        fractions.append(((box[2] if delta_x > 0 else box[0]) - inside[0]) / delta_x)
    if delta_y:
        fractions.append(((box[3] if delta_y > 0 else box[1]) - inside[1]) / delta_y)
    fraction = min(1.0, max(0.0, min(fractions)))
    return (inside[0] + fraction * delta_x, inside[1] + fraction * delta_y)


def _midpoint(start: Point, end: Point) -> Point:
    return ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)


def _draw_arrow(
    draw: ImageDraw.ImageDraw, start: Point, end: Point, color: Color, line_width: int
) -> None:
    """A line with a dark halo and a filled head at ``end``."""
    head = 4 * line_width + 6
    length = math.dist(start, end)
    if length == 0:
        return
    unit_x, unit_y = (end[0] - start[0]) / length, (end[1] - start[1]) / length
    base = (end[0] - head * unit_x, end[1] - head * unit_y)
    wings = [
        (base[0] + side * head * 0.5 * unit_y, base[1] - side * head * 0.5 * unit_x)
        for side in (1, -1)
    ]
    draw.line([start, base], fill=(0, 0, 0, 170), width=line_width + 2)
    draw.polygon([end, *wings], fill=(0, 0, 0, 170))
    draw.line([start, base], fill=color + (255,), width=line_width)
    draw.polygon([end, *wings], fill=color + (255,), outline=(0, 0, 0, 200))


def _text_size(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont
) -> tuple[float, float]:
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font)
    return right - left, bottom - top


def _layout_labels(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont,
    labels: Sequence[_Label],
    image_size: tuple[int, int],
) -> list[Box]:
    """A box per label, inside the image, each at the nearest place around its target that no
    earlier label covers (the least covered one when none is free)."""
    placed: list[Box] = []
    for label in labels:
        text_width, text_height = _text_size(draw, label.text, font)
        width, height = text_width + 2 * LABEL_PADDING, text_height + 2 * LABEL_PADDING
        if label.above:  # just above the target corner, else just below it
            above = label.target[1] - height - 1
            anchor = (label.target[0], above if above >= 0 else label.target[1] + 1)
        else:  # centred on the target
            anchor = (label.target[0] - width / 2, label.target[1] - height / 2)
        placed.append(
            min(
                _label_places(anchor, width, height, image_size),
                key=lambda place: sum(_overlap_area(place, other) for other in placed),
            )
        )
    return placed


def _paint_label(
    draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, label: _Label, box: Box
) -> None:
    """``label``'s text in black or white (whichever reads better) on its colour, in ``box``."""
    draw.rectangle(box, fill=label.color + (LABEL_ALPHA,))
    text_color = (0, 0, 0) if sum(label.color) > 380 else (255, 255, 255)
    origin_left, origin_top, _, _ = draw.multiline_textbbox((0, 0), label.text, font=font)
    draw.multiline_text(
        (box[0] + LABEL_PADDING - origin_left, box[1] + LABEL_PADDING - origin_top),
        label.text,
        font=font,
        fill=text_color + (255,),
    )


def _label_places(
    anchor: Point, width: float, height: float, image_size: tuple[int, int]
) -> list[Box]:
    """Boxes of ``width`` x ``height`` inside the image: at ``anchor`` first, then shifted by
    whole label heights (and half widths) ever further away."""
    image_width, image_height = image_size
    places = []
    for rows in sorted(range(-MAX_LABEL_SHIFTS, MAX_LABEL_SHIFTS + 1), key=abs):
        for columns in (0.0, 0.5, -0.5):
            x = min(max(anchor[0] + columns * width, 0.0), max(image_width - width, 0.0))
            y = min(max(anchor[1] + rows * (height + 1), 0.0), max(image_height - height, 0.0))
            places.append((x, y, x + width, y + height))
    return places


def _overlap_area(first: Box, second: Box) -> float:
    overlap_width = min(first[2], second[2]) - max(first[0], second[0])
    overlap_height = min(first[3], second[3]) - max(first[1], second[1])
    return max(overlap_width, 0.0) * max(overlap_height, 0.0)


def _overlap(first: Box, second: Box) -> bool:
    """Whether two xyxy boxes share some area."""
    horizontal = first[0] < second[2] and second[0] < first[2]
    return horizontal and first[1] < second[3] and second[1] < first[3]

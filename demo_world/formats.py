"""Demo scenes as records of the COCO (instances, captions) and Visual Genome JSON formats.

COCO boxes are ``[x, y, width, height]`` in absolute pixels (floats), x to the right and y down,
from the top-left corner. Visual Genome objects carry the same box as integer ``x, y, w, h``. An
entity's VG ``object_id`` equals its COCO annotation ``id``; callers hand out those ids, one per
scene object.
"""

import random
from collections.abc import Sequence
from typing import TypedDict

from demo_world.scene import DemoObject, DemoScene
from demo_world.vocabulary import DEMO_CATEGORIES


class CocoImage(TypedDict):
    id: int
    file_name: str
    width: int
    height: int


class CocoAnnotation(TypedDict):
    id: int
    image_id: int
    category_id: int
    bbox: list[float]
    area: float
    iscrowd: int


class CocoCategory(TypedDict):
    id: int
    name: str
    supercategory: str


class CocoCaption(TypedDict):
    id: int
    image_id: int
    caption: str


class VgImage(TypedDict):
    image_id: int
    width: int
    height: int
    url: str
    file_name: str
    coco_id: None
    flickr_id: None


class VgObject(TypedDict):
    object_id: int
    x: int
    y: int
    w: int
    h: int
    names: list[str]


class VgImageObjects(TypedDict):
    image_id: int
    objects: list[VgObject]


VgRelationship = TypedDict(
    "VgRelationship",
    {"relationship_id": int, "predicate": str, "subject": VgObject, "object": VgObject},
)


class VgImageRelationships(TypedDict):
    image_id: int
    relationships: list[VgRelationship]


def _check_ids(scene: DemoScene, object_ids: Sequence[int]) -> None:
    if len(object_ids) != len(scene.objects):
        raise ValueError(
            f"image {scene.image_id}: {len(scene.objects)} objects but {len(object_ids)} object ids"
        )


def coco_categories() -> list[CocoCategory]:
    return [
        CocoCategory(
            id=category.category_id, name=category.name, supercategory=category.supercategory
        )
        for category in DEMO_CATEGORIES
    ]


def coco_image(scene: DemoScene, file_name: str) -> CocoImage:
    return CocoImage(id=scene.image_id, file_name=file_name, width=scene.width, height=scene.height)


def _coco_annotation(object_id: int, image_id: int, demo_object: DemoObject) -> CocoAnnotation:
    box = demo_object.box
    return CocoAnnotation(
        id=object_id,
        image_id=image_id,
        category_id=demo_object.category.category_id,
        bbox=[float(box.x1), float(box.y1), float(box.width), float(box.height)],
        area=float(box.width * box.height),
        iscrowd=0,
    )


def coco_annotations(scene: DemoScene, object_ids: Sequence[int]) -> list[CocoAnnotation]:
    """One annotation per scene object; ``object_ids[i]`` becomes the id of ``scene.objects[i]``."""
    _check_ids(scene, object_ids)
    return [
        _coco_annotation(object_id, scene.image_id, demo_object)
        for object_id, demo_object in zip(object_ids, scene.objects)
    ]


def coco_captions(
    image_id: int, captions: Sequence[str], first_caption_id: int
) -> list[CocoCaption]:
    return [
        CocoCaption(id=first_caption_id + offset, image_id=image_id, caption=caption)
        for offset, caption in enumerate(captions)
    ]


def vg_image(scene: DemoScene, file_name: str) -> VgImage:
    return VgImage(
        image_id=scene.image_id,
        width=scene.width,
        height=scene.height,
        url="",
        file_name=file_name,
        coco_id=None,
        flickr_id=None,
    )


def _vg_objects(scene: DemoScene, object_ids: Sequence[int]) -> list[VgObject]:
    return [
        VgObject(
            object_id=object_id,
            x=demo_object.box.x1,
            y=demo_object.box.y1,
            w=demo_object.box.width,
            h=demo_object.box.height,
            names=[demo_object.category.name],
        )
        for object_id, demo_object in zip(object_ids, scene.objects)
    ]


def vg_objects(scene: DemoScene, object_ids: Sequence[int]) -> VgImageObjects:
    _check_ids(scene, object_ids)
    return VgImageObjects(image_id=scene.image_id, objects=_vg_objects(scene, object_ids))


def vg_relationships(
    scene: DemoScene, object_ids: Sequence[int], first_relationship_id: int, rng: random.Random
) -> VgImageRelationships:
    """The ground-truth relations, numbered from ``first_relationship_id`` in scene order.

    Like Visual Genome's annotators, who type free-form predicates, each relation is written
    with one of its predicate's phrases drawn from ``rng`` ("carrying" as well as "holding").
    """
    _check_ids(scene, object_ids)
    objects = _vg_objects(scene, object_ids)
    relationships = [
        VgRelationship(
            relationship_id=first_relationship_id + offset,
            predicate=rng.choice(relation.predicate.caption_phrases),
            subject=objects[relation.subject_index],
            object=objects[relation.object_index],
        )
        for offset, relation in enumerate(scene.relations)
    ]
    return VgImageRelationships(image_id=scene.image_id, relationships=relationships)

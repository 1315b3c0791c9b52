"""V-COCO ground truth for role AP, built from the official annotation files as their
evaluator (``vsrl_eval.py``, from s-gupta/v-coco) reads them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from data_schemas.errors import RLIPv2InputError

AGENT = "agent"
COCO_PERSON = 1


@dataclass(frozen=True)
class VcocoImageTruth:
    """The annotated boxes of one V-COCO image with their actions and roles.

    Attributes:
        image_id: the COCO image id.
        boxes: ``(num_boxes, 4)`` float32 xyxy in absolute pixels with V-COCO's inclusive
            convention (``x2 = x + w - 1``), clipped to the image; every valid COCO object of
            the image, so that role boxes can point at any of them.
        is_agent: ``(num_boxes,)`` bool, the box is a person (only persons are agents).
        actions: ``(num_boxes, num_actions)`` int8: 1 the person does the action, 0 not,
            -1 the box is not annotated in V-COCO (detections matched to it are ignored).
        role_boxes: ``(num_boxes, num_actions, 2)`` int64 row of ``boxes`` holding each role's
            object for that action, -1 when there is none.
    """

    image_id: int
    boxes: np.ndarray
    is_agent: np.ndarray
    actions: np.ndarray
    role_boxes: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4))
        object.__setattr__(self, "is_agent", np.asarray(self.is_agent, dtype=bool))
        object.__setattr__(self, "actions", np.asarray(self.actions, dtype=np.int8))
        object.__setattr__(self, "role_boxes", np.asarray(self.role_boxes, dtype=np.int64))
        num_boxes = len(self.boxes)
        for name, shape in (
            ("is_agent", (num_boxes,)),
            ("actions", (num_boxes, self.actions.shape[-1])),
            ("role_boxes", (num_boxes, self.actions.shape[-1], 2)),
        ):
            if getattr(self, name).shape != shape:
                found = getattr(self, name).shape
                raise ValueError(f"image {self.image_id}: {name} is {found}, expected {shape}")


@dataclass(frozen=True)
class VcocoTruth:
    """A V-COCO test set: its actions, their roles and the images in evaluation order.

    Attributes:
        actions: action names (``hold``, ``stand``, ...).
        roles: per action, its role names, ``agent`` first (``("agent", "obj", "instr")``);
            at most two roles besides the agent.
        images: the test images.
    """

    actions: tuple[str, ...]
    roles: tuple[tuple[str, ...], ...]
    images: tuple[VcocoImageTruth, ...]

    def __post_init__(self) -> None:
        if len(self.roles) != len(self.actions):
            raise ValueError(f"{len(self.roles)} role lists for {len(self.actions)} actions")
        for action, roles in zip(self.actions, self.roles):
            if not roles or roles[0] != AGENT or len(roles) > 3:
                raise ValueError(
                    f"action {action!r}: roles {roles} must be 'agent' and up to two more"
                )


def vcoco_truth_from_official(
    vsrl_annotations: Sequence[Mapping],
    coco_instances: Mapping,
    image_ids: Sequence[int],
    *,
    agent_category_id: int = COCO_PERSON,
) -> VcocoTruth:
    """V-COCO ground truth from the parsed official files, as ``vsrl_eval.py`` builds it.

    Args:
        vsrl_annotations: ``vcoco_test.json``: one entry per action with ``action_name``,
            ``role_name``, and per annotated person ``ann_id``, ``label``, ``image_id`` and
            ``role_object_id`` (role-major: every person's first role, then the second, ...).
        coco_instances: the COCO instances file (``instances_vcoco_all_2014.json``).
        image_ids: the split's image ids (``vcoco_test.ids``), in evaluation order.
        agent_category_id: the person category (the official code takes the instances file's
            first category, which is COCO's person).

    Raises:
        RLIPv2InputError: when the files do not fit each other.
    """
    actions = tuple(entry["action_name"] for entry in vsrl_annotations)
    roles = tuple(tuple(entry["role_name"]) for entry in vsrl_annotations)
    annotated = (
        {int(ann_id) for ann_id in vsrl_annotations[0]["ann_id"]} if vsrl_annotations else set()
    )
    positives = [_positive_roles(entry) for entry in vsrl_annotations]
    images = {int(image["id"]): image for image in coco_instances["images"]}
    objects_by_image: dict[int, list[Mapping]] = {}
    for obj in coco_instances["annotations"]:
        objects_by_image.setdefault(int(obj["image_id"]), []).append(obj)
    truth_images = []
    for image_id in image_ids:
        if image_id not in images:
            raise RLIPv2InputError(f"V-COCO image {image_id} is not in the COCO instances file")
        image = images[image_id]
        objects, boxes = _valid_objects(
            objects_by_image.get(image_id, []), image["width"], image["height"]
        )
        row_of = {int(obj["id"]): row for row, obj in enumerate(objects)}
        action_labels = np.full((len(objects), len(actions)), -1, dtype=np.int8)
        role_boxes = np.full((len(objects), len(actions), 2), -1, dtype=np.int64)
        for row, obj in enumerate(objects):
            ann_id = int(obj["id"])
            if ann_id not in annotated:
                continue
            action_labels[row] = 0
            for action_index, action_positives in enumerate(positives):
                if ann_id not in action_positives:
                    continue
                action_labels[row, action_index] = 1
                for role_index, role_object in enumerate(action_positives[ann_id]):
                    if role_object == 0:
                        continue
                    if role_object not in row_of:
                        raise RLIPv2InputError(
                            f"V-COCO image {image_id}: the {roles[action_index][role_index + 1]} "
                            f"of {actions[action_index]!r} by annotation {ann_id} is annotation "
                            f"{role_object}, which is not a valid box of the image"
                        )
                    role_boxes[row, action_index, role_index] = row_of[role_object]
        truth_images.append(
            VcocoImageTruth(
                image_id=int(image_id),
                boxes=boxes,
                is_agent=np.array(
                    [obj["category_id"] == agent_category_id for obj in objects], dtype=bool
                ),
                actions=action_labels,
                role_boxes=role_boxes,
            )
        )
    return VcocoTruth(actions=actions, roles=roles, images=tuple(truth_images))


def _positive_roles(entry: Mapping) -> dict[int, list[int]]:
    """Annotation id of each person doing the action -> the annotation ids of its role
    objects (0: none), role by role after the agent."""
    num_roles = len(entry["role_name"])
    role_objects = np.asarray(entry["role_object_id"], dtype=np.int64).reshape(num_roles, -1).T
    positives: dict[int, list[int]] = {}
    for ann_id, label, row in zip(entry["ann_id"], entry["label"], role_objects):
        if int(label) != 1:
            continue
        if int(ann_id) in positives:
            raise RLIPv2InputError(
                f"V-COCO action {entry['action_name']!r}: annotation {ann_id} is labelled twice"
            )
        positives[int(ann_id)] = [int(value) for value in row[1:]]
    return positives


def _valid_objects(
    objects: list[Mapping], width: float, height: float
) -> tuple[list[Mapping], np.ndarray]:
    """The objects the official evaluator keeps, and their clipped inclusive xyxy boxes."""
    kept, boxes = [], []
    for obj in objects:
        if obj.get("ignore") == 1:
            continue
        x1, y1, box_width, box_height = (float(value) for value in obj["bbox"])
        x2 = x1 + max(0.0, box_width - 1.0)
        y2 = y1 + max(0.0, box_height - 1.0)
        x1, x2 = (min(width - 1.0, max(0.0, value)) for value in (x1, x2))
        y1, y2 = (min(height - 1.0, max(0.0, value)) for value in (y1, y2))
        if obj["area"] > 0 and x2 > x1 and y2 > y1:
            kept.append(obj)
            boxes.append((x1, y1, x2, y2))
    return kept, np.asarray(boxes, dtype=np.float32).reshape(-1, 4)

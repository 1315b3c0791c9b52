"""The V-COCO parity fixture's inputs: images with their role annotations and the per-role
detections the official role AP reads."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthetic_scenes import (
    CUP,
    FAR,
    HEIGHT,
    PERSON,
    WIDTH,
    Scene,
    as_float32,
    detections_payload,
    jitter,
    random_box,
    write_json,
)

VCOCO_ROLES = {
    "hold": ["agent", "obj"],
    "stand": ["agent"],
    "sit": ["agent", "instr"],
    "ride": ["agent", "instr"],
    "walk": ["agent"],
    "look": ["agent", "obj"],
    "hit": ["agent", "instr", "obj"],
    "eat": ["agent", "obj", "instr"],
    "jump": ["agent", "instr"],
    "lay": ["agent", "instr"],
    "talk_on_phone": ["agent", "instr"],
    "carry": ["agent", "obj"],
    "throw": ["agent", "obj"],
    "catch": ["agent", "obj"],
    "cut": ["agent", "instr", "obj"],
    "run": ["agent"],
    "work_on_computer": ["agent", "instr"],
    "ski": ["agent", "instr"],
    "surf": ["agent", "instr"],
    "skateboard": ["agent", "instr"],
    "smile": ["agent"],
    "drink": ["agent", "instr"],
    "kick": ["agent", "obj"],
    "point": ["agent", "instr"],
    "read": ["agent", "obj"],
    "snowboard": ["agent", "instr"],
}  # the V-COCO actions and roles, in the order of vcoco_test.json
VCOCO_VERBS = [
    f"{action}_{role}" if len(roles) > 1 else action
    for action, roles in VCOCO_ROLES.items()
    for role in (roles[1:] or roles[:1])
]  # the 29 verbs of the RLIPv2 V-COCO models (datasets/vcoco_verb_names.txt)
VCOCO_CATEGORIES = ["person", "bicycle", "skateboard", "cup", "horse"]  # COCO ids 1..5
VCOCO_MISSING_OBJECT = len(VCOCO_CATEGORIES)  # the "no object" label of the detections
KICK = "kick_obj"  # a verb whose ranking the hand-made images control (tied scores)


def vcoco_correct_combinations() -> np.ndarray:
    correct = np.ones((len(VCOCO_VERBS), len(VCOCO_CATEGORIES)), dtype=bool)
    correct[VCOCO_VERBS.index("drink_instr"), 4] = False
    correct[VCOCO_VERBS.index("ride_instr"), 3] = False
    return correct


@dataclass
class VcocoImage:
    image_id: int
    annotations: list[dict] = field(default_factory=list)
    people: list[int] = field(default_factory=list)  # annotation ids annotated in V-COCO
    actions: dict[int, dict[str, list[int]]] = field(
        default_factory=dict
    )  # person -> action -> role objects
    pairs: list[tuple[list[float], list[float], int, list[float]]] = field(default_factory=list)

    def annotate(
        self, box: list[float], category: int, next_id: int, area: float | None = None
    ) -> int:
        x1, y1, x2, y2 = box
        self.annotations.append(
            {
                "id": next_id,
                "image_id": self.image_id,
                "category_id": category,
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": (x2 - x1) * (y2 - y1) if area is None else area,
                "iscrowd": 0,
            }
        )
        return next_id

    def box_of(self, ann_id: int) -> list[float]:
        x, y, width, height = next(ann["bbox"] for ann in self.annotations if ann["id"] == ann_id)
        return [x, y, x + width, y + height]

    def label_of(self, ann_id: int) -> int:
        return next(ann["category_id"] for ann in self.annotations if ann["id"] == ann_id) - 1


def vcoco_images(seed: int = 26) -> list[VcocoImage]:
    rng = np.random.default_rng(seed)
    images, next_id = [], 1
    for index in range(14):
        image = VcocoImage(image_id=5000 + index)
        people = [
            image.annotate(random_box(rng), 1, next_id + k) for k in range(rng.integers(1, 4))
        ]
        next_id += len(people)
        objects = [
            image.annotate(random_box(rng), int(rng.integers(2, 6)), next_id + k)
            for k in range(rng.integers(1, 4))
        ]
        next_id += len(objects)
        image.people = (
            people[:-1] if len(people) > 1 and index % 4 == 0 else people
        )  # one not in V-COCO
        if index == 3:  # a sliver COCO drops (no area) and a box past the image edge, clipped
            image.annotate([20.0, 30.0, 20.5, 90.0], 3, next_id, area=0.0)
            image.annotate([600.0, 400.0, 700.0, 520.0], 4, next_id + 1)
            objects.append(next_id + 1)
            next_id += 2
        for person in image.people:
            image.actions[person] = {}
        images.append(image)
    # Every action is done by someone; roles point at one of the image's objects, or at nothing.
    people = [(image, person) for image in images for person in image.people]
    for number, action in enumerate(VCOCO_ROLES):
        if action == "kick":
            continue  # the hand-made images below hold the only kicks
        for image, person in [people[number % len(people)], people[(5 * number + 3) % len(people)]]:
            objects = [
                ann["id"]
                for ann in image.annotations
                if ann["category_id"] != 1 and ann["area"] > 0
            ]
            role_objects = [
                int(rng.choice(objects)) if rng.random() < 0.8 else 0
                for _ in VCOCO_ROLES[action][1:]
            ]
            image.actions[person][action] = role_objects
    for image in images:
        _vcoco_detect(image, rng)
    return images + _vcoco_made_images(start=6000, next_id=next_id)


def _vcoco_scores(rng: np.random.Generator, high: dict[str, float] | None = None) -> list[float]:
    scores = rng.uniform(0.0, 0.6, len(VCOCO_VERBS))
    scores[VCOCO_VERBS.index(KICK)] = rng.uniform(0.0, 0.3)
    for verb, value in (high or {}).items():
        scores[VCOCO_VERBS.index(verb)] = value
    return [as_float32(value) for value in scores]


def _vcoco_detect(image: VcocoImage, rng: np.random.Generator) -> None:
    objects = [ann["id"] for ann in image.annotations if ann["category_id"] != 1]
    for person, actions in image.actions.items():
        for action, role_objects in actions.items():
            if rng.random() < 0.2:
                continue  # missed
            roles = VCOCO_ROLES[action][1:]
            target = next((obj for obj in role_objects if obj), 0)
            scale = rng.choice([0.03, 0.08, 0.3])
            subject = jitter(image.box_of(person), rng, scale)
            if target:
                obj_box, label = jitter(image.box_of(target), rng, scale), image.label_of(target)
            elif rng.random() < 0.5:
                obj_box, label = random_box(rng), VCOCO_MISSING_OBJECT  # "no object": empty roles
            else:
                obj_box, label = [0.0, 0.0, 0.0, 0.0], int(
                    rng.integers(1, 5)
                )  # an all-zero role box
            verbs = [f"{action}_{role}" for role in roles] or [action]
            high = {verb: float(rng.uniform(0.3, 1.0)) for verb in verbs if verb != KICK}
            scores = _vcoco_scores(rng, high)
            image.pairs.append((subject, obj_box, label, scores))
            if rng.random() < 0.25:  # a duplicate, a hair lower
                image.pairs.append(
                    (subject, obj_box, label, [as_float32(value * 0.999) for value in scores])
                )
    for _ in range(rng.integers(0, 6)):  # background pairs
        person = int(
            rng.choice([ann["id"] for ann in image.annotations if ann["category_id"] == 1])
        )
        obj = int(rng.choice(objects))
        image.pairs.append(
            (
                jitter(image.box_of(person), rng, 0.2),
                jitter(image.box_of(obj), rng, 0.2),
                image.label_of(obj),
                _vcoco_scores(rng),
            )
        )


def _vcoco_made_images(start: int, next_id: int) -> list[VcocoImage]:
    """Hand-made images. Kicks: misses at 0.99 and 0.98, then a hit and its duplicate tied at
    0.95, then hits at 0.9 and 0.88; these ties change no AP. Also an image without detections."""
    rng = np.random.default_rng(0)
    images = []
    for number, (kicked, kick_scores) in enumerate(
        [(True, [0.99, 0.95, 0.95]), (True, [0.98, 0.9]), (True, [0.88]), (False, [])]
    ):
        image = VcocoImage(image_id=start + number)
        person = image.annotate(PERSON, 1, next_id)
        ball = image.annotate(CUP, 4, next_id + 1)
        next_id += 2
        image.people.append(person)
        image.actions[person] = {"kick": [ball]} if kicked else {"smile": []}
        for position, score in enumerate(kick_scores):
            subject = FAR if score > 0.97 else PERSON
            low = {
                verb: 0.001 * (number + 1) + 0.0001 * index
                for index, verb in enumerate(VCOCO_VERBS)
            }
            low[KICK] = score
            image.pairs.append((subject, CUP, 3, [as_float32(value) for value in low.values()]))
        images.append(image)
    return images


def write_vcoco(root: Path) -> None:
    images = vcoco_images()
    people = [(image, person) for image in images for person in image.people]
    vsrl = []
    for action, roles in VCOCO_ROLES.items():
        role_ids = [[person for _, person in people]]
        for role_index in range(len(roles) - 1):
            role_ids.append(
                [
                    image.actions[person].get(action, [0] * (len(roles) - 1))[role_index]
                    for image, person in people
                ]
            )
        vsrl.append(
            {
                "action_name": action,
                "role_name": roles,
                "image_id": [image.image_id for image, _ in people],
                "ann_id": [person for _, person in people],
                "label": [int(action in image.actions[person]) for image, person in people],
                "role_object_id": [value for row in role_ids for value in row],
            }
        )
    instances = {
        "images": [
            {
                "id": image.image_id,
                "width": WIDTH,
                "height": HEIGHT,
                "file_name": f"{image.image_id}.jpg",
            }
            for image in images
        ],
        "annotations": [ann for image in images for ann in image.annotations],
        "categories": [
            {"id": index + 1, "name": name} for index, name in enumerate(VCOCO_CATEGORIES)
        ],
    }
    write_json(root / "vcoco_test.json", vsrl)
    write_json(root / "instances_vcoco_test.json", instances)
    (root / "vcoco_test.ids").write_text("".join(f"{image.image_id}\n" for image in images))
    write_json(
        root / "verbs.json",
        {
            "verb_names": VCOCO_VERBS,
            "correct_combinations": vcoco_correct_combinations().astype(int).tolist(),
        },
    )
    scenes = []
    for image in images:
        scene = Scene(image.image_id)
        for subject, obj_box, label, scores in image.pairs:
            scene.detect(subject, 0, obj_box, label, scores)
        scenes.append(scene)
    write_json(root / "detections.json", detections_payload(scenes))

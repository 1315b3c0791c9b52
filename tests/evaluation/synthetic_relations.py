"""Synthetic ground truth and detections for the evaluators' parity fixtures.

Run ``.venv/bin/python tests/evaluation/synthetic_relations.py`` to (re)write the inputs in
``tests/fixtures/{hico_det,open_images,vcoco}/``; the same seed always gives the same bytes
(a test checks it). The official metric values beside them come from the official RLIPv2 code,
as each fixture README says.

Every set mixes random images with hand-made ones for the cases that matter: tied scores,
images without detections, a class nothing detects, duplicate detections, wrong object labels,
pairs that NMS removes, rare classes, and the official code's faults.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WIDTH, HEIGHT = 640, 480


@dataclass
class Scene:
    """One image being built: annotated boxes and relations, and the detected pairs (the
    official post-processor's layout: subjects are boxes ``0..Q-1``, objects ``Q..2Q-1``)."""

    image_id: int
    boxes: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    relations: list[list[int]] = field(default_factory=list)
    pairs: list[tuple[list[float], int, list[float], int, list[float]]] = field(
        default_factory=list
    )

    def add_box(self, box: list[float], label: int) -> int:
        self.boxes.append(box)
        self.labels.append(label)
        return len(self.boxes) - 1

    def detect(
        self, subject: list[float], subject_label: int, obj: list[float], object_label: int, scores
    ) -> None:
        self.pairs.append(
            (subject, subject_label, obj, object_label, [_f32(score) for score in scores])
        )

    def truth_row(self) -> dict:
        return {
            "image_id": self.image_id,
            "boxes": self.boxes,
            "labels": self.labels,
            "relations": self.relations,
        }

    def detections_row(self) -> dict:
        subjects = [pair[0] for pair in self.pairs]
        objects = [pair[2] for pair in self.pairs]
        count = len(self.pairs)
        return {
            "image_id": self.image_id,
            "boxes": subjects + objects,
            "labels": [pair[1] for pair in self.pairs] + [pair[3] for pair in self.pairs],
            "subject_index": list(range(count)),
            "object_index": list(range(count, 2 * count)),
            "verb_scores": [pair[4] for pair in self.pairs],
        }


def _f32(value: float) -> float:
    """A float that float32 holds exactly, so every reader sees the same number."""
    return float(np.float32(value))


def random_box(rng: np.random.Generator) -> list[float]:
    width, height = rng.uniform(40, 220), rng.uniform(40, 220)
    x1, y1 = rng.uniform(0, WIDTH - width), rng.uniform(0, HEIGHT - height)
    return [_f32(round(value, 1)) for value in (x1, y1, x1 + width, y1 + height)]


def jitter(box: list[float], rng: np.random.Generator, scale: float) -> list[float]:
    """``box`` moved by about ``scale`` of its size (0.05: IoU near 0.8; 0.3: often below 0.5)."""
    width, height = box[2] - box[0], box[3] - box[1]
    shift = rng.normal(0, scale, 4) * [width, height, width, height]
    moved = np.asarray(box) + shift
    x1, x2 = sorted((moved[0], moved[2]))
    y1, y2 = sorted((moved[1], moved[3]))
    return [_f32(round(value, 2)) for value in (x1, y1, x2 + 1, y2 + 1)]


def write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=None, separators=(",", ":")) + "\n")


def detections_payload(scenes: list[Scene]) -> dict:
    return {
        "table": "relation_detections",
        "schema_version": 1,
        "images": [scene.detections_row() for scene in scenes],
    }


# --- HICO-DET -------------------------------------------------------------------------------

HICO_OBJECTS = 6  # 0 is the person
HICO_VERBS = 5


def hico_correct_combinations() -> np.ndarray:
    correct = np.ones((HICO_VERBS, HICO_OBJECTS), dtype=bool)
    correct[4, 3] = correct[4, 4] = correct[2, 5] = False
    return correct


RANDOM_OBJECTS = 5  # random images use object labels 1..4; label 5 (a horse) is hand-made only


def hico_scenes(seed: int = 24) -> list[Scene]:
    rng = np.random.default_rng(seed)
    correct = hico_correct_combinations()
    scenes = [_hico_random_scene(image_id, rng, correct) for image_id in range(1, 31)]
    return scenes + _hico_made_scenes(start=101)


def _hico_random_scene(image_id: int, rng: np.random.Generator, correct: np.ndarray) -> Scene:
    return random_scene(image_id, rng, correct, subject_labels=[0])


def random_scene(
    image_id: int, rng: np.random.Generator, correct: np.ndarray, subject_labels: list[int]
) -> Scene:
    """Subjects and objects with annotated relations of valid (verb, object) combinations,
    detected with jitter, misses, wrong object labels, duplicates and background pairs."""
    num_verbs = len(correct)
    scene = Scene(image_id)
    subjects = [
        scene.add_box(random_box(rng), int(rng.choice(subject_labels)))
        for _ in range(rng.integers(1, 3))
    ]
    objects = [
        scene.add_box(random_box(rng), int(rng.integers(1, RANDOM_OBJECTS)))
        for _ in range(rng.integers(1, 4))
    ]
    for subject in subjects:
        for obj in rng.choice(
            objects, size=min(len(objects), int(rng.integers(1, 3))), replace=False
        ):
            verbs = np.flatnonzero(correct[:, scene.labels[obj]])
            scene.relations.append([subject, int(obj), int(rng.choice(verbs))])
    if rng.random() < 0.15:  # the same relation annotated twice
        scene.relations.append(list(scene.relations[0]))
    for subject, obj, verb in scene.relations:
        if rng.random() < 0.2:
            continue  # missed
        scale = rng.choice([0.03, 0.08, 0.3])
        object_label = (
            scene.labels[obj] if rng.random() < 0.85 else int(rng.integers(1, RANDOM_OBJECTS))
        )
        scores = rng.uniform(0.0, 0.35, num_verbs)
        scores[verb] = rng.uniform(0.2, 1.0)
        sub_box, obj_box = jitter(scene.boxes[subject], rng, scale), jitter(
            scene.boxes[obj], rng, scale
        )
        subject_label = scene.labels[subject]
        scene.detect(sub_box, subject_label, obj_box, object_label, scores)
        if rng.random() < 0.25:  # a duplicate query: same boxes, a hair lower
            scene.detect(sub_box, subject_label, obj_box, object_label, scores * 0.999)
        if rng.random() < 0.3:  # a near duplicate that pair NMS may remove
            scene.detect(
                jitter(sub_box, rng, 0.04),
                subject_label,
                jitter(obj_box, rng, 0.04),
                object_label,
                scores * rng.uniform(0.5, 0.95),
            )
    for _ in range(rng.integers(0, 22)):  # background queries, enough to pass the top-100 cut
        scene.detect(
            random_box(rng),
            int(rng.choice(subject_labels)),
            random_box(rng),
            int(rng.integers(1, RANDOM_OBJECTS)),
            rng.uniform(0, 0.5, num_verbs),
        )
    return scene


PERSON = [10.0, 10.0, 110.0, 210.0]
HORSE = [90.0, 60.0, 300.0, 260.0]
CUP = [400.0, 50.0, 450.0, 110.0]
FAR = [500.0, 300.0, 600.0, 460.0]


class MadeScenes:
    """Hand-made images with consecutive ids from ``start``.

    Their other verbs score tiny values distinct per image, so that the only tied scores are
    the deliberate ones: ties whose order changes no AP (the official evaluators rank ties in
    whatever order numpy's unstable sort gives).
    """

    def __init__(self, start: int, num_verbs: int) -> None:
        self.start = start
        self.num_verbs = num_verbs
        self.scenes: list[Scene] = []

    def new(self) -> Scene:
        self.scenes.append(Scene(self.start + len(self.scenes)))
        return self.scenes[-1]

    def scores(self, by_verb: dict[int, float]) -> list[float]:
        base = 0.0005 * len(self.scenes)
        values = [base + 0.0001 * verb for verb in range(self.num_verbs)]
        for verb, value in by_verb.items():
            values[verb] = value
        return values

    def person_on_horse(self, verb: int) -> Scene:
        """A new image whose person (label 0) relates to a horse (label 5) by ``verb``."""
        image = self.new()
        person, horse = image.add_box(PERSON, 0), image.add_box(HORSE, 5)
        image.relations.append([person, horse, verb])
        return image

    def add_harmless_ties(self, verb: int) -> None:
        """Ties that change no AP: two misses at 0.99, a hit and its duplicate at 0.95 (the
        first in the list takes the relation), two hits at 0.9, then a hit at 0.85."""
        image = self.person_on_horse(verb)
        image.detect(FAR, 0, HORSE, 5, self.scores({verb: 0.99}))
        image.detect(PERSON, 0, HORSE, 5, self.scores({verb: 0.95}))
        image.detect(PERSON, 0, HORSE, 5, self.scores({verb: 0.95}))
        image = self.person_on_horse(verb)
        image.detect(FAR, 0, HORSE, 5, self.scores({verb: 0.99}))
        image.detect(PERSON, 0, HORSE, 5, self.scores({verb: 0.9}))
        for score in (0.9, 0.85):
            image = self.person_on_horse(verb)
            image.detect(PERSON, 0, HORSE, 5, self.scores({verb: score}))


def _hico_made_scenes(start: int) -> list[Scene]:
    """Hand-made images (:class:`MadeScenes`); the fixture README says what each shows."""
    made = MadeScenes(start, HICO_VERBS)
    # No detection; two relations, (person, horse, 3) of a class that nothing detects.
    image = made.new()
    person, horse = image.add_box(PERSON, 0), image.add_box(HORSE, 5)
    image.relations += [[person, horse, 0], [person, horse, 3]]
    # No annotated box, a confident detection of an annotated class: the official code drops it.
    image = made.new()
    image.detect(PERSON, 0, HORSE, 5, made.scores({1: 0.965, 0: 0.6}))
    # Boxes without relations: every detection is a false positive.
    image = made.new()
    image.add_box(PERSON, 0)
    image.add_box(CUP, 2)
    image.detect(PERSON, 0, CUP, 2, made.scores({1: 0.55, 2: 0.45}))
    # A wrong object label on perfect boxes, then the right one.
    image = made.new()
    person, cup = image.add_box(PERSON, 0), image.add_box(CUP, 2)
    image.relations.append([person, cup, 1])
    image.detect(PERSON, 0, CUP, 3, made.scores({1: 0.93}))
    image.detect(PERSON, 0, CUP, 2, made.scores({1: 0.42}))
    # Pair NMS: a near copy (overlap 0.89 * 0.88 ** 0.5 > 0.7) goes, a shifted one (< 0.7) stays.
    image = made.person_on_horse(verb=0)
    image.detect(PERSON, 0, HORSE, 5, made.scores({0: 0.8}))
    image.detect(
        [10.0, 10.0, 110.0, 188.0], 0, [90.0, 60.0, 300.0, 236.0], 5, made.scores({0: 0.79})
    )
    image.detect([45.0, 10.0, 145.0, 210.0], 0, HORSE, 5, made.scores({0: 0.78}))
    # A verb the horse cannot take (masked to 0), on perfect boxes.
    image.detect(PERSON, 0, HORSE, 5, made.scores({2: 0.99}))
    # Ten relations of one class, detected first three times, then missed three times, then
    # four more times: recall reaches exactly 0.3 and 0.7.
    for index in range(10):
        image = made.person_on_horse(verb=1)
        if index < 3:
            image.detect(PERSON, 0, HORSE, 5, made.scores({1: 0.99 - index / 100}))
        elif index < 6:
            image.detect(FAR, 0, HORSE, 5, made.scores({1: 0.89 - index / 100}))
        else:
            image.detect(PERSON, 0, HORSE, 5, made.scores({1: 0.3 - index / 100}))
    made.add_harmless_ties(verb=4)
    return made.scenes


def hico_training_counts(scenes: list[Scene]) -> list[list[int]]:
    """Training instances per test triplet: some rare (< 10), most not, one never seen."""
    triplets = sorted(
        {(scene.labels[s], scene.labels[o], v) for scene in scenes for s, o, v in scene.relations}
    )
    counts = []
    for index, triplet in enumerate(triplets):
        if index == 0:
            continue  # absent from training: neither rare nor non-rare
        count = 3 + index if index % 3 == 0 else 10 + index
        counts.append([*triplet, count])
    return counts


def write_hico(root: Path) -> None:
    scenes = hico_scenes()
    write_json(
        root / "truth.json",
        {
            "num_object_classes": HICO_OBJECTS,
            "num_verbs": HICO_VERBS,
            "correct_combinations": hico_correct_combinations().astype(int).tolist(),
            "training_triplet_counts": hico_training_counts(scenes),
            "images": [scene.truth_row() for scene in scenes],
        },
    )
    write_json(root / "detections.json", detections_payload(scenes))


# --- Open Images ----------------------------------------------------------------------------

OPEN_IMAGES_OBJECTS = 6
OPEN_IMAGES_PREDICATES = 4


def open_images_scenes(seed: int = 6) -> list[Scene]:
    rng = np.random.default_rng(seed)
    every_combination = np.ones((OPEN_IMAGES_PREDICATES, OPEN_IMAGES_OBJECTS), dtype=bool)
    scenes = [
        random_scene(image_id, rng, every_combination, subject_labels=[0, 1, 2])
        for image_id in range(1, 41)
    ]
    return scenes + _open_images_made_scenes(start=101)


def _open_images_made_scenes(start: int) -> list[Scene]:
    """Hand-made images (the fixture README says what each shows). No image has boxes without
    relations: the official evaluator fails on one that also has detections."""
    made = MadeScenes(start, OPEN_IMAGES_PREDICATES)
    # No detection.
    image = made.new()
    person, horse = image.add_box(PERSON, 0), image.add_box(HORSE, 5)
    image.relations += [[person, horse, 0], [horse, person, 3]]
    # No annotated box: the official code drops the relations, not the phrases.
    image = made.new()
    image.detect(PERSON, 0, HORSE, 5, made.scores({0: 0.97}))
    # Pair NMS keeps two of a triplet (the second with a far subject) around another triplet's
    # better one, and drops a near copy: the phrases leave NMS out of score order.
    image = made.new()
    person, horse, cup = image.add_box(PERSON, 0), image.add_box(HORSE, 5), image.add_box(CUP, 2)
    image.relations += [[person, horse, 0], [person, cup, 1]]
    image.detect(PERSON, 0, HORSE, 5, made.scores({0: 0.96}))
    image.detect(PERSON, 0, CUP, 2, made.scores({1: 0.94}))
    image.detect(FAR, 0, HORSE, 5, made.scores({0: 0.92}))
    image.detect(
        [10.0, 10.0, 110.0, 188.0], 0, [90.0, 60.0, 300.0, 236.0], 5, made.scores({0: 0.91})
    )
    made.add_harmless_ties(verb=2)
    return made.scenes


def write_open_images(root: Path) -> None:
    scenes = open_images_scenes()
    write_json(
        root / "truth.json",
        {
            "num_object_classes": OPEN_IMAGES_OBJECTS,
            "num_verbs": OPEN_IMAGES_PREDICATES,
            "images": [scene.truth_row() for scene in scenes],
        },
    )
    write_json(root / "detections.json", detections_payload(scenes))


# --- V-COCO ---------------------------------------------------------------------------------

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
    return [_f32(value) for value in scores]


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
                    (subject, obj_box, label, [_f32(value * 0.999) for value in scores])
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
            image.pairs.append((subject, CUP, 3, [_f32(value) for value in low.values()]))
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


def main(root: Path = FIXTURES) -> None:
    """Write every fixture's inputs under ``root`` (``hico_det/``, ``open_images/``, ``vcoco/``)."""
    write_hico(root / "hico_det")
    write_open_images(root / "open_images")
    write_vcoco(root / "vcoco")


if __name__ == "__main__":
    main()

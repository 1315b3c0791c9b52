"""What the evaluators' synthetic fixtures are made of: a scene (boxes, annotated relations and
detections), random scenes, hand-made scenes built around a person on a horse, and the JSON
they are written as."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
            (subject, subject_label, obj, object_label, [as_float32(score) for score in scores])
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


def as_float32(value: float) -> float:
    """A float that float32 holds exactly, so every reader sees the same number."""
    return float(np.float32(value))


def random_box(rng: np.random.Generator) -> list[float]:
    width, height = rng.uniform(40, 220), rng.uniform(40, 220)
    x1, y1 = rng.uniform(0, WIDTH - width), rng.uniform(0, HEIGHT - height)
    return [as_float32(round(value, 1)) for value in (x1, y1, x1 + width, y1 + height)]


def jitter(box: list[float], rng: np.random.Generator, scale: float) -> list[float]:
    """``box`` moved by about ``scale`` of its size (0.05: IoU near 0.8; 0.3: often below 0.5)."""
    width, height = box[2] - box[0], box[3] - box[1]
    shift = rng.normal(0, scale, 4) * [width, height, width, height]
    moved = np.asarray(box) + shift
    x1, x2 = sorted((moved[0], moved[2]))
    y1, y2 = sorted((moved[1], moved[3]))
    return [as_float32(round(value, 2)) for value in (x1, y1, x2 + 1, y2 + 1)]


def write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=None, separators=(",", ":")) + "\n")


def detections_payload(scenes: list[Scene]) -> dict:
    return {
        "table": "relation_detections",
        "schema_version": 1,
        "images": [scene.detections_row() for scene in scenes],
    }


RANDOM_OBJECTS = 5  # random images use object labels 1..4; label 5 (a horse) is hand-made only


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

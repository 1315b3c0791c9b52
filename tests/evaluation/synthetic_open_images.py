"""The Open Images parity fixture's inputs: random and hand-made images over 6 objects and 4
predicates."""

from pathlib import Path

import numpy as np

from synthetic_scenes import (
    CUP,
    FAR,
    HORSE,
    PERSON,
    MadeScenes,
    Scene,
    detections_payload,
    random_scene,
    write_json,
)

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

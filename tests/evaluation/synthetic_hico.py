"""The HICO-DET parity fixture's inputs: random and hand-made images over 6 objects and 5
verbs."""

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

HICO_OBJECTS = 6  # 0 is the person
HICO_VERBS = 5


def hico_correct_combinations() -> np.ndarray:
    correct = np.ones((HICO_VERBS, HICO_OBJECTS), dtype=bool)
    correct[4, 3] = correct[4, 4] = correct[2, 5] = False
    return correct


def hico_scenes(seed: int = 24) -> list[Scene]:
    rng = np.random.default_rng(seed)
    correct = hico_correct_combinations()
    scenes = [_hico_random_scene(image_id, rng, correct) for image_id in range(1, 31)]
    return scenes + _hico_made_scenes(start=101)


def _hico_random_scene(image_id: int, rng: np.random.Generator, correct: np.ndarray) -> Scene:
    return random_scene(image_id, rng, correct, subject_labels=[0])


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

"""The demo world's downstream task: a HICO-DET-style human-object interaction benchmark.

Written in HICO-DET's layout, so that ``rlipv2 ingest hico-det ROOT --vocabulary
ROOT/annotations/vocabulary.json`` reads it as it reads HICO-DET::

    ROOT/annotations/trainval_hico.json, test_hico.json   one entry per image (HOI format)
    ROOT/annotations/corre_hico.npy                         verb x object: allowed combinations
    ROOT/annotations/vocabulary.json                        14 object classes, 8 verbs, "UC"
    ROOT/images/train2015/000001.png …, ROOT/images/test2015/000001.png …

Scenes come from the demo world's sampler (a training world and a test world of different
seeds), so their pictures are the world's own. Every object is annotated; an interaction is a
demo relation whose subject is a person, with one of :data:`HOI_VERBS`: 19 (verb, object)
combinations. Training images follow the world's frequencies, which leave several
combinations with fewer than 10 training instances (rare, by HICO-DET's rule). The zero-shot
setting ``UC`` leaves :data:`UNSEEN_COMBINATIONS` out of fine-tuning: each has its verb and its
object seen in other combinations, as HICO-DET's UC-RF / UC-NF.
"""

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from data_schemas.atomic_files import save_png_atomic, write_json_atomic
from demo_world.drawing import draw_scene
from demo_world.scene import DemoScene, sample_scene
from demo_world.triplets import DEMO_TRIPLETS
from demo_world.vocabulary import DEMO_CATEGORIES

SUBJECT = "person"
HOI_VERBS: tuple[str, ...] = (
    "riding",
    "holding",
    "sitting on",
    "flying",
    "feeding",
    "petting",
    "next to",
    "in front of",
)
UNSEEN_COMBINATIONS: tuple[tuple[str, str], ...] = (
    ("riding", "bicycle"),
    ("holding", "teddy bear"),
    ("feeding", "horse"),
    ("petting", "dog"),
    ("in front of", "bench"),
)
ZERO_SHOT_SETTING = "UC"
_SPLITS = (("train", "trainval_hico.json", "train2015"), ("test", "test_hico.json", "test2015"))


@dataclass(frozen=True)
class HoiBenchmarkPaths:
    root: Path
    vocabulary: Path


def hoi_combinations() -> tuple[tuple[str, str], ...]:
    """The (verb, object) combinations the demo world draws with a person as subject."""
    return tuple(
        (triplet.predicate_name, triplet.object_name)
        for triplet in DEMO_TRIPLETS
        if triplet.subject_name == SUBJECT and triplet.predicate_name in HOI_VERBS
    )


def write_demo_hoi_benchmark(
    root: Path, *, train_images: int, test_images: int, seed: int
) -> HoiBenchmarkPaths:
    """Draw ``train_images`` training and ``test_images`` test scenes (seeds ``seed`` and
    ``seed + 1``) under ``root`` in HICO-DET's layout (module docstring)."""
    if train_images < 1 or test_images < 1 or seed < 0:
        raise ValueError("need at least one image per split and a seed >= 0")
    annotations = root / "annotations"
    for (split, file_name, directory), count, split_seed in zip(
        _SPLITS, (train_images, test_images), (seed, seed + 1)
    ):
        images = root / "images" / directory
        images.mkdir(parents=True, exist_ok=True)
        entries = []
        for image_id in tqdm(range(1, count + 1), desc=f"demo {split}", unit="image", disable=None):
            scene = sample_scene(random.Random(f"{split_seed}:{image_id}"), image_id)
            name = f"{image_id:06d}.png"
            save_png_atomic(draw_scene(scene), images / name)
            entries.append(_hoi_entry(scene, name))
        write_json_atomic(annotations / file_name, entries)
    combinations = hoi_combinations()
    names = [category.name for category in DEMO_CATEGORIES]
    correct = np.zeros((len(HOI_VERBS), len(names)), dtype=bool)
    for verb, object_ in combinations:
        correct[HOI_VERBS.index(verb), names.index(object_)] = True
    np.save(annotations / "corre_hico.npy", correct)
    vocabulary = annotations / "vocabulary.json"
    write_json_atomic(
        vocabulary,
        {
            "benchmark": "demo-hoi",
            "objects": [
                {"name": category.name, "id": category.category_id} for category in DEMO_CATEGORIES
            ],
            "predicates": [{"name": verb, "id": index + 1} for index, verb in enumerate(HOI_VERBS)],
            "zero_shot": {ZERO_SHOT_SETTING: [list(pair) for pair in UNSEEN_COMBINATIONS]},
        },
    )
    return HoiBenchmarkPaths(root=root, vocabulary=vocabulary)


def _hoi_entry(scene: DemoScene, file_name: str) -> dict:
    """One image in the HOI annotation format: every object, and the person interactions."""
    return {
        "file_name": file_name,
        "annotations": [
            {
                "bbox": [obj.box.x1, obj.box.y1, obj.box.x2, obj.box.y2],
                "category_id": obj.category.category_id,
            }
            for obj in scene.objects
        ],
        "hoi_annotation": [
            {
                "subject_id": relation.subject_index,
                "object_id": relation.object_index,
                "category_id": HOI_VERBS.index(relation.predicate.name) + 1,
            }
            for relation in scene.relations
            if scene.objects[relation.subject_index].category.name == SUBJECT
            and relation.predicate.name in HOI_VERBS
        ],
    }

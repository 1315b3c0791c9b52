"""A tiny relation benchmark in HICO-DET's layout, written by the tests: three object classes,
three verbs, a handful of images with known boxes and interactions."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

OBJECTS = [{"name": "person", "id": 1}, {"name": "horse", "id": 19}, {"name": "cup", "id": 47}]
VERBS = [{"name": "ride", "id": 88}, {"name": "hold", "id": 37}, {"name": "no interaction", "id": 58}]
"""Ids as HICO-DET's (COCO category ids, HICO verb ids); labels are the list positions."""
ZERO_SHOT = {"UC-X": [["hold", "horse"]]}
CORRECT = np.array(
    [[False, True, False], [False, True, True], [True, True, True]]
)  # ride: horse; hold: horse, cup; no interaction: anything


def person_rides_horse(file_name: str) -> dict:
    """A person (0) riding and holding a horse (1), holding a cup (2)."""
    return {
        "file_name": file_name,
        "annotations": [
            {"bbox": [4, 6, 30, 44], "category_id": 1},
            {"bbox": [20, 14, 60, 46], "category_id": 19},
            {"bbox": [28, 20, 36, 28], "category_id": 47},
        ],
        "hoi_annotation": [
            {"subject_id": 0, "object_id": 1, "category_id": 88},
            {"subject_id": 0, "object_id": 1, "category_id": 37},
            {"subject_id": 0, "object_id": 2, "category_id": 37},
        ],
    }


def write_vocabulary(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"benchmark": "tiny-hoi", "objects": OBJECTS, "predicates": VERBS, "zero_shot": ZERO_SHOT}
        )
    )
    return path


def write_hoi_layout(
    root: Path, *, train: list[dict] | None = None, test: list[dict] | None = None
) -> Path:
    """``root`` in HICO-DET's layout: the entries (default: four training and two test images
    of :func:`person_rides_horse`), a 64x48 image per entry, ``corre_hico.npy`` and
    ``annotations/vocabulary.json``."""
    splits = {
        "train": train
        if train is not None
        else [person_rides_horse(f"HICO_train2015_{index:08d}.jpg") for index in range(1, 5)],
        "test": test
        if test is not None
        else [person_rides_horse(f"HICO_test2015_{index:08d}.jpg") for index in range(1, 3)],
    }
    for split, file_name, directory in (
        ("train", "trainval_hico.json", "train2015"),
        ("test", "test_hico.json", "test2015"),
    ):
        (root / "images" / directory).mkdir(parents=True, exist_ok=True)
        for entry in splits[split]:
            name = entry.get("file_name") if isinstance(entry, dict) else None
            if isinstance(name, str) and "/" not in name:
                Image.new("RGB", (64, 48), (90, 140, 60)).save(root / "images" / directory / name)
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        (root / "annotations" / file_name).write_text(json.dumps(splits[split]))
    np.save(root / "annotations" / "corre_hico.npy", CORRECT)
    write_vocabulary(root / "annotations" / "vocabulary.json")
    return root

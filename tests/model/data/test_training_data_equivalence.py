"""The training reader's items, targets, order and rejects on a varied small table, compared with
what the reader gave before its annotations moved into memory-mapped columns
(``tests/fixtures/training_data/reference.json``, written by the Python-object reader of commit
4fc93b5; see the README beside it).

The table mixes what real tables hold with what malformed ones do: human and pseudo relations
around the threshold, repeated predicates and pairs, entities sharing a name and box, reserved
names, unknown and duplicate entity ids, -0.0 and non-float32 coordinates, left/right predicates,
images without relations, and image files that are missing or of another size.

Regenerate the reference only when the items are meant to change:
``.venv/bin/python tests/model/test_training_data_equivalence.py``.
"""

import json
import random
import sys
from pathlib import Path

import torch
from PIL import Image

TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS))  # the shared helpers, also when run as a script

from model.data import PretrainDataConfig, SceneGraphSource, build_training_loader  # noqa: E402
from model.data.pretrain_data import read_training_annotations  # noqa: E402
from model.targets import RelationTarget  # noqa: E402
from rtagger.training_pairs import build_slot_targets  # noqa: E402
from scene_graph_tables import SMALL_TEXTS, SMALL_TRANSFORM, write_scene_graph_rows  # noqa: E402

REFERENCE = TESTS / "fixtures" / "training_data" / "reference.json"
SIZES = {"p0.png": (64, 48), "p1.png": (48, 64), "p2.png": (80, 60), "p3.png": (40, 40)}
NAMES = ["man", "horse", "hat", "left hand", "cup", "table", "dog", "tree", "car", "person",
         "No Objects"]
PREDICATES = ["riding", "on", "holding", "left of", "near", "to the right of", "wearing"]


def write_pool(image_root: Path) -> None:
    image_root.mkdir(parents=True, exist_ok=True)
    for index, (name, size) in enumerate(SIZES.items()):
        Image.new("RGB", size, (40 * index, 90, 200 - 30 * index)).save(image_root / name)
    Image.new("RGB", (10, 10)).save(image_root / "resized.png")  # its rows say 64x48


def varied_rows(seed: int, *, num_images: int, pseudo: bool) -> list[dict]:
    """Scene-graph rows as another tool may write them (duplicate entity ids included)."""
    rng = random.Random(seed)
    rows = []
    for image_id in range(num_images):
        file_name = rng.choice([*SIZES, *SIZES, "missing.png", "resized.png"])
        width, height = SIZES.get(file_name, (64, 48))
        objects = []
        for entity_id in range(1, rng.randint(0, 9) + 1):
            if objects and rng.random() < 0.2:  # the same name and box as an earlier object
                copy = dict(rng.choice(objects))
                objects.append(copy | {"entity_id": entity_id, "category_id": entity_id})
                continue
            x1 = rng.choice([-0.0, rng.uniform(0, width * 0.6)])
            y1 = rng.choice([-0.0, rng.uniform(0, height / 2)])
            objects.append({
                "entity_id": entity_id, "category_id": entity_id,
                "category_name": rng.choice(NAMES),
                "x1": x1, "y1": y1,
                "x2": min(width, x1 + rng.uniform(4, width / 2) + 0.1),
                "y2": min(height, y1 + rng.uniform(4, height / 2)),
            })
        if objects and rng.random() < 0.1:  # a duplicate entity id: lookups find the last one
            objects.append(dict(objects[0]) | {"category_name": "cat", "x1": 1.5})
        relationships = []
        for relationship_id in range(rng.choice([0, 1, 3, 6, 12, 12])):
            ids = [scene_object["entity_id"] for scene_object in objects] or [1]
            subject = rng.choice(ids)
            object_ = rng.choice(ids + [99] if rng.random() < 0.05 else ids)
            if subject == object_:
                continue
            confidence = rng.choice([0.19, 0.2, 0.21, 0.9, 0.05]) if pseudo else None
            relationships.append({
                "relationship_id": 100 * image_id + relationship_id,
                "subject_entity_id": subject, "object_entity_id": object_,
                "predicate": rng.choice(PREDICATES), "confidence": confidence,
            })
        if relationships and rng.random() < 0.3:  # the same relationship twice
            relationships.append(dict(relationships[0]) | {"relationship_id": 100 * image_id + 50})
        rows.append({
            "image_id": image_id, "dataset": "pseudo" if pseudo else "human", "split": "train",
            "file_name": file_name, "width": width, "height": height,
            "objects": objects, "relationships": relationships,
        })
    return rows


def varied_config(root: Path) -> PretrainDataConfig:
    image_root = root / "images"
    write_pool(image_root)
    sources = tuple(
        SceneGraphSource(
            write_scene_graph_rows(root / name, varied_rows(seed, num_images=40, pseudo=pseudo)),
            image_root,
        )
        for name, seed, pseudo in (("human", 3, False), ("pseudo", 4, True))
    )
    return PretrainDataConfig(sources=sources, transform=SMALL_TRANSFORM,
                              text_sampling=SMALL_TEXTS, seed=11)


def floats(tensor: torch.Tensor) -> list:
    return tensor.tolist()


def target_record(target: RelationTarget) -> dict:
    return {
        "subject_boxes": floats(target.subject_boxes), "object_boxes": floats(target.object_boxes),
        "subject_labels": floats(target.subject_labels),
        "object_labels": floats(target.object_labels),
        "relation_labels": floats(target.relation_labels.nonzero()),
        "unrelated_boxes": floats(target.unrelated_boxes),
        "unrelated_labels": floats(target.unrelated_labels),
    }


def reader_record(root: Path, **loader_options) -> dict:
    """What training would see: counts, rejects, then two epochs of batches (items in order,
    targets, label texts) and the tagger's slot targets of each batch."""
    config = varied_config(root)
    counts = read_training_annotations(config, cache_dir=root / "run" / "annotation-cache").counts
    data = build_training_loader(config, output_dir=root / "run", batch_size=3,
                                 distributed=False, pin_memory=False, **loader_options)
    batches = []
    for epoch in (0, 1):
        data.loader.dataset.set_epoch(epoch)
        data.loader.sampler.set_epoch(epoch)
        for batch in data.loader:
            slots = build_slot_targets(batch.targets, num_pairs=6,
                                       generator=torch.Generator().manual_seed(len(batches)))
            batches.append({
                "image_sizes": floats(batch.image_sizes),
                "image_sums": [round(float(image.double().sum()), 3) for image in batch.images],
                "entity_texts": list(batch.label_texts.entity_texts),
                "relation_texts": list(batch.label_texts.relation_texts),
                "targets": [target_record(target) for target in batch.targets],
                "slot_targets": [target_record(target) for target in slots.targets],
                "slot_padding": floats(slots.pairs.padding_mask),
            })
    return {
        "counts": vars(counts),
        "rejects": sorted(
            [reject.source_file.removeprefix(str(root)), reject.record_kind, reject.record_id,
             reject.image_id, reject.reason.value, reject.detail.replace(str(root), "<root>")]
            for reject in data.rejects
        ),
        "batches": batches,
    }


def test_the_reader_gives_the_reference_items(tmp_path: Path) -> None:
    reference = json.loads(REFERENCE.read_text())
    record = json.loads(json.dumps(reader_record(tmp_path, num_workers=0)))
    # images_without_relations is new (kept images without relations: none when dropped)
    assert record["counts"] == {"images_without_relations": 0} | reference["counts"]
    assert record["rejects"] == reference["rejects"]
    assert len(record["batches"]) == len(reference["batches"])
    for index, (batch, expected) in enumerate(zip(record["batches"], reference["batches"])):
        assert batch == expected, f"batch {index} differs"


def test_workers_give_the_reference_items(tmp_path: Path) -> None:
    reference = json.loads(REFERENCE.read_text())
    record = json.loads(json.dumps(reader_record(tmp_path, num_workers=2)))
    assert record["batches"] == reference["batches"]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        REFERENCE.write_text(json.dumps(reader_record(Path(directory), num_workers=0)) + "\n")
    print(f"wrote {REFERENCE}")

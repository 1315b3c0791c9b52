"""What the evaluators need, read from an ingested relation benchmark (``rlipv2 ingest
hico-det | v-coco | open-images``): its label space, its allowed and unseen combinations, the
ground truth of a split, and the rare / unseen triplets.

The directory holds ``manifest.json``, ``label_space/``, ``label_combinations/``, one table
directory per split (``train/``, ``test/``), each with its own ``manifest.json``, and, for
V-COCO, ``evaluation_files/`` (the official role annotations, as they were).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from data_schemas.benchmark_manifest import BenchmarkManifest
from data_schemas.entities import ENTITIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.label_combinations import CORRECT_COMBINATIONS, LABEL_COMBINATIONS
from data_schemas.label_space import LABEL_SPACE, LabelKind
from data_schemas.manifest_file import MANIFEST_NAME, ingested_image_root, read_manifest
from data_schemas.parquet_io import read_table
from data_schemas.relations import RELATIONS
from evaluation.relation_truth import ImageRelationTruth, RelationTruth, Triplet
from evaluation.triplet_split import TripletSplit

EVALUATION_FILES = "evaluation_files"
"""The directory of a benchmark's evaluation files, copied as they are at ingest."""


@dataclass(frozen=True)
class LabelSpace:
    """The benchmark's object classes and predicates, in label order, and the ids its
    annotation files give the predicates (V-COCO's name its roles)."""

    object_names: tuple[str, ...]
    predicate_names: tuple[str, ...]
    predicate_source_ids: tuple[int, ...]

    def object_label(self) -> dict[str, int]:
        return {name: label for label, name in enumerate(self.object_names)}

    def predicate_label(self) -> dict[str, int]:
        return {name: label for label, name in enumerate(self.predicate_names)}


class BenchmarkDirectory:
    """An ingested relation benchmark on disk.

    Raises (on construction):
        RLIPv2InputError: ``path`` is not such a directory.
    """

    def __init__(self, path: Path) -> None:
        manifest = read_manifest(path)
        if manifest is None:
            raise RLIPv2InputError(
                f"{path} is not an ingested relation benchmark (no {MANIFEST_NAME}): make it "
                "with rlipv2 ingest hico-det | v-coco | open-images"
            )
        if not isinstance(manifest, BenchmarkManifest):
            raise RLIPv2InputError(
                f"{path} is an rlipv2 {manifest.kind} directory, not a relation benchmark: make "
                "one with rlipv2 ingest hico-det | v-coco | open-images"
            )
        self.path = path
        self.benchmark = manifest.benchmark
        self.splits = tuple(manifest.splits)

    def split_dir(self, split: str) -> Path:
        if split not in self.splits:
            raise RLIPv2InputError(f"{self.path} has no {split!r} split (it has {self.splits})")
        return self.path / split

    def image_root(self, split: str) -> Path:
        """The directory the split's ``file_name``s are relative to (recorded at ingest)."""
        return ingested_image_root(self.split_dir(split))

    def label_space(self) -> LabelSpace:
        rows = read_table(self.path / LABEL_SPACE.name, LABEL_SPACE).to_pylist()
        entries = {}
        for kind in LabelKind:
            labelled = sorted(
                (row["label"], row["name"], row["source_id"]) for row in rows if row["kind"] == kind
            )
            if [label for label, _, _ in labelled] != list(range(len(labelled))):
                raise RLIPv2InputError(f"{self.path}: the {kind} labels are not 0..n-1")
            entries[kind] = labelled
        return LabelSpace(
            object_names=tuple(name for _, name, _ in entries[LabelKind.OBJECT]),
            predicate_names=tuple(name for _, name, _ in entries[LabelKind.PREDICATE]),
            predicate_source_ids=tuple(source for _, _, source in entries[LabelKind.PREDICATE]),
        )

    def evaluation_files(self) -> Path:
        """Where ingest copied the files the benchmark's evaluator reads besides the tables
        (V-COCO's role annotations)."""
        return self.path / EVALUATION_FILES

    def combination_settings(self) -> tuple[str, ...]:
        """The settings of ``label_combinations``: ``correct`` and the zero-shot ones."""
        table = read_table(self.path / LABEL_COMBINATIONS.name, LABEL_COMBINATIONS)
        return tuple(sorted(set(table.column("setting").to_pylist())))

    def combinations(self, setting: str) -> frozenset[tuple[int, int]]:
        """The (predicate label, object label) combinations of ``setting``.

        Raises:
            RLIPv2InputError: the benchmark has no such setting.
        """
        if setting not in self.combination_settings():
            raise RLIPv2InputError(
                f"{self.path} has no combination setting {setting!r} (it has "
                f"{list(self.combination_settings())})"
            )
        rows = read_table(self.path / LABEL_COMBINATIONS.name, LABEL_COMBINATIONS).to_pylist()
        return frozenset(
            (row["predicate_label"], row["object_label"]) for row in rows if row["setting"] == setting
        )

    def correct_combinations(self) -> np.ndarray:
        """``(num_predicates, num_objects)`` bool: which predicate takes which object class
        (every combination when the benchmark declares none, as Open Images)."""
        labels = self.label_space()
        shape = (len(labels.predicate_names), len(labels.object_names))
        if CORRECT_COMBINATIONS not in self.combination_settings():
            return np.ones(shape, dtype=bool)
        matrix = np.zeros(shape, dtype=bool)
        for predicate, object_ in self.combinations(CORRECT_COMBINATIONS):
            matrix[predicate, object_] = True
        return matrix

    def relation_truth(self, split: str) -> RelationTruth:
        """The ground truth of ``split``: every image (in the ``images`` table's order), its
        boxes with their object labels, and its relations by predicate label."""
        labels = self.label_space()
        directory = self.split_dir(split)
        images = read_table(directory / IMAGES.name, IMAGES).column("image_id").to_pylist()
        entities = _rows_by_image(read_table(directory / ENTITIES.name, ENTITIES))
        relations = _rows_by_image(read_table(directory / RELATIONS.name, RELATIONS))
        object_label, predicate_label = labels.object_label(), labels.predicate_label()
        truth = []
        for image_id in images:
            boxes = entities.get(image_id, [])
            row_of = {entity["entity_id"]: row for row, entity in enumerate(boxes)}
            truth.append(
                ImageRelationTruth(
                    image_id=image_id,
                    boxes=np.array(
                        [[box["x1"], box["y1"], box["x2"], box["y2"]] for box in boxes]
                    ).reshape(-1, 4),
                    labels=np.array([object_label[box["category_name"]] for box in boxes]),
                    relations=np.array(
                        [
                            [
                                row_of[relation["subject_entity_id"]],
                                row_of[relation["object_entity_id"]],
                                predicate_label[relation["predicate"]],
                            ]
                            for relation in relations.get(image_id, [])
                        ]
                    ).reshape(-1, 3),
                )
            )
        return RelationTruth(
            images=tuple(truth),
            num_object_classes=len(labels.object_names),
            num_verbs=len(labels.predicate_names),
        )

    def rare_split(self, *, without: frozenset[tuple[int, int]] = frozenset()) -> TripletSplit:
        """Rare / non-rare triplets by their count in the training split (HICO-DET's rule),
        not counting the (predicate, object) combinations ``without`` (a zero-shot setting's
        unseen ones: fine-tuning leaves them out, so they are neither rare nor non-rare)."""
        counts = self.relation_truth("train").triplet_counts()
        return TripletSplit.from_training_counts(
            {triplet: count for triplet, count in counts.items() if (triplet[2], triplet[1]) not in without}
        )

    def zero_shot_split(self, setting: str, test_triplets: list[Triplet]) -> TripletSplit:
        """Unseen (reported as "rare") and seen triplets of ``setting`` among
        ``test_triplets``: a triplet is unseen when its (predicate, object) combination is."""
        unseen = self.combinations(setting)
        return TripletSplit(
            rare=frozenset(t for t in test_triplets if (t[2], t[1]) in unseen),
            non_rare=frozenset(t for t in test_triplets if (t[2], t[1]) not in unseen),
        )


def _rows_by_image(table: pa.Table) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for row in table.to_pylist():
        grouped.setdefault(row["image_id"], []).append(row)
    return grouped

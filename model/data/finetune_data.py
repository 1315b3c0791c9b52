"""Fine-tuning data: the training split of an ingested relation benchmark, with its fixed label
texts, optionally without the unseen combinations of a zero-shot setting or cut to a few-shot
share of its images."""

import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.rejects import RejectRecord
from evaluation.benchmark_tables import BenchmarkDirectory, LabelSpace
from model.data.data_loader import build_data_loader
from model.data.fixed_label_collator import FixedLabelCollator
from model.data.pretrain_data import TrainingData
from model.data.image_annotation import ImageAnnotation
from model.data.scene_graph_annotations import SceneGraphSource, read_scene_graph_annotations
from model.data.scene_graph_dataset import SceneGraphDataset
from model.data.transforms import TransformConfig, build_train_transform
from model.targets import NO_OBJECT_TEXT, LabelTexts

logger = logging.getLogger(__name__)

TRAINING_SPLIT = "train"


@dataclass(frozen=True)
class FinetuneDataConfig:
    """Where the benchmark is and which part of its training split to train on.

    ``zero_shot`` names a setting of the benchmark's unseen combinations (HICO-DET: "UC-RF",
    "UC-NF"): their relations are left out of training. ``few_shot_fraction`` keeps that share
    of the training images (the paper's 1% and 10%: 0.01, 0.1), drawn with ``subset_seed``.
    ``seed`` seeds augmentation. Left and right are not swapped in predicates on flipping
    (a benchmark's predicates are fixed classes).
    """

    benchmark_dir: Path
    zero_shot: str | None = None
    few_shot_fraction: float = 1.0
    subset_seed: int = 0
    transform: TransformConfig = field(
        default_factory=lambda: TransformConfig(mirror_left_right_predicates=False)
    )
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.few_shot_fraction <= 1.0:
            raise ValueError(f"few_shot_fraction must be in (0, 1], got {self.few_shot_fraction}")
        if self.seed < 0 or self.subset_seed < 0:
            raise ValueError("seed and subset_seed must be >= 0")


def fixed_label_texts(labels: LabelSpace) -> LabelTexts:
    """The object class names, "no objects", and the predicates, in label order."""
    return LabelTexts(
        entity_texts=labels.object_names + (NO_OBJECT_TEXT,),
        relation_texts=labels.predicate_names,
    )


@dataclass(frozen=True)
class FinetuneAnnotations:
    """The training images to fine-tune on, the label texts, and what reading set aside."""

    annotations: tuple[ImageAnnotation, ...]
    label_texts: LabelTexts
    rejects: tuple[RejectRecord, ...]


def read_finetune_annotations(config: FinetuneDataConfig) -> FinetuneAnnotations:
    """Read the training split (unusable images and relations set aside as rejects), drop the
    unseen combinations of ``config.zero_shot``, then keep ``config.few_shot_fraction`` of the
    images.

    Raises:
        RLIPv2InputError: not a benchmark directory, an unknown zero-shot setting, or nothing
            left to train on.
    """
    benchmark = BenchmarkDirectory(config.benchmark_dir)
    labels = benchmark.label_space()
    source = SceneGraphSource(
        scene_graphs_dir=benchmark.split_dir(TRAINING_SPLIT) / "scene_graphs",
        image_root=benchmark.image_root(TRAINING_SPLIT),
    )
    reading = read_scene_graph_annotations(source)
    # decoded once: the filters below rewrite pairs, and a benchmark's training split (HICO-DET:
    # 38k images) is small beside pre-training's millions
    annotations = tuple(reading.annotations)
    if config.zero_shot is not None:
        unseen = benchmark.combinations(config.zero_shot)
        annotations = _without_combinations(annotations, unseen, labels)
    if config.few_shot_fraction < 1.0:
        annotations = _image_subset(annotations, config.few_shot_fraction, config.subset_seed)
    if not annotations:
        raise RLIPv2InputError(
            f"no training image of {config.benchmark_dir} keeps a relation "
            f"(zero_shot {config.zero_shot}, few_shot_fraction {config.few_shot_fraction})"
        )
    logger.info(
        "fine-tuning on %d images, %d pairs of %s (zero-shot %s, few-shot fraction %g)",
        len(annotations),
        sum(len(annotation.pairs) for annotation in annotations),
        benchmark.benchmark,
        config.zero_shot,
        config.few_shot_fraction,
    )
    return FinetuneAnnotations(
        annotations=annotations, label_texts=fixed_label_texts(labels), rejects=reading.rejects
    )


def build_finetune_loader(
    annotations: FinetuneAnnotations,
    config: FinetuneDataConfig,
    *,
    batch_size: int,
    num_workers: int,
    distributed: bool,
    pin_memory: bool,
) -> TrainingData:
    """Shuffled, augmented batches of ``annotations``, each over the fixed label texts."""
    dataset = SceneGraphDataset(
        annotations.annotations, transform=build_train_transform(config.transform), seed=config.seed
    )
    loader = build_data_loader(
        dataset,
        collator=FixedLabelCollator(annotations.label_texts),
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        seed=config.seed,
        distributed=distributed,
        pin_memory=pin_memory,
    )
    return TrainingData(loader=loader, rejects=annotations.rejects)


def _without_combinations(
    annotations: tuple[ImageAnnotation, ...],
    unseen: frozenset[tuple[int, int]],
    labels: LabelSpace,
) -> tuple[ImageAnnotation, ...]:
    """The annotations without the predicates of unseen (predicate, object) combinations;
    pairs and images left without any are dropped."""
    object_label, predicate_label = labels.object_label(), labels.predicate_label()
    kept_images = []
    for annotation in annotations:
        pairs = []
        for pair in annotation.pairs:
            predicates = tuple(
                predicate
                for predicate in pair.predicates
                if (predicate_label[predicate], object_label[pair.object_name]) not in unseen
            )
            if predicates:
                pairs.append(replace(pair, predicates=predicates))
        if pairs:
            kept_images.append(replace(annotation, pairs=tuple(pairs)))
    return tuple(kept_images)


def _image_subset(
    annotations: tuple[ImageAnnotation, ...], fraction: float, seed: int
) -> tuple[ImageAnnotation, ...]:
    """``fraction`` of the images (at least one), drawn with ``seed``, in their order."""
    count = max(1, round(len(annotations) * fraction))
    chosen = set(random.Random(seed).sample(range(len(annotations)), count))
    return tuple(annotation for index, annotation in enumerate(annotations) if index in chosen)

"""Configuration of the pre-training data, and the builders that read it."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from torch.utils.data import DataLoader

from data_schemas.errors import RLIPv2InputError
from data_schemas.rejects import RejectRecord
from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD, check_relation_threshold
from model.data.collate import PretrainCollator
from model.data.data_loader import build_data_loader
from model.data.label_vocabulary import (
    LabelVocabulary,
    TextSamplingConfig,
    build_label_vocabulary,
)
from model.data.scene_graph_annotations import (
    AnnotationReading,
    ImageAnnotation,
    RelationFilterCounts,
    SceneGraphSource,
    read_scene_graph_annotations,
)
from model.data.scene_graph_dataset import SceneGraphDataset
from model.data.transforms import TransformConfig, build_eval_transform, build_train_transform

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainDataConfig:
    """Where the scene graphs are and how they become batches.

    ``sources`` mix human annotation (e.g. Visual Genome) and pseudo-labels (e.g. COCO,
    Objects365); relations with a confidence below ``relation_threshold`` are dropped.
    ``seed`` seeds augmentation and negative text sampling.
    """

    sources: tuple[SceneGraphSource, ...]
    relation_threshold: float = DEFAULT_RELATION_THRESHOLD
    transform: TransformConfig = field(default_factory=TransformConfig)
    text_sampling: TextSamplingConfig = field(default_factory=TextSamplingConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("PretrainDataConfig needs at least one scene-graph source")
        check_relation_threshold(self.relation_threshold)
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


def read_training_annotations(config: PretrainDataConfig) -> AnnotationReading:
    """Read every source (Parquet), filter and pair its relations, set aside what is malformed
    or unreadable (see :mod:`model.data.scene_graph_annotations`), and log what was kept.

    Raises:
        RLIPv2InputError: a table is missing or unreadable, or no image keeps a relation.
    """
    reading = sum(
        (
            read_scene_graph_annotations(source, relation_threshold=config.relation_threshold)
            for source in config.sources
        ),
        AnnotationReading((), RelationFilterCounts(), ()),
    )
    counts = reading.counts
    if not reading.annotations:
        raise RLIPv2InputError(
            f"no image of {[str(source.scene_graphs_dir) for source in config.sources]} keeps a "
            f"relation at confidence >= {config.relation_threshold} "
            f"({counts.relations_rejected} malformed relations rejected); lower "
            "relation_threshold or check the sources"
        )
    logger.info(
        "training data: %d images, %d pairs, %d relations (%d images dropped without "
        "relations, %d relations below confidence %.2f; rejected: %d images, %d relations)",
        counts.images_kept,
        counts.pairs_kept,
        counts.relations_kept,
        counts.images_dropped,
        counts.relations_below_threshold,
        config.relation_threshold,
        counts.images_rejected,
        counts.relations_rejected,
    )
    return reading


def build_pretrain_dataset(
    config: PretrainDataConfig, *, augment: bool = True
) -> SceneGraphDataset:
    """The images of :func:`read_training_annotations` with the training transform
    (``augment``) or the evaluation transform; its rejects are logged, not stored (training
    stores them: :func:`build_training_loader`)."""
    return _dataset(read_training_annotations(config).annotations, config, augment=augment)


def _dataset(
    annotations: Sequence[ImageAnnotation], config: PretrainDataConfig, *, augment: bool
) -> SceneGraphDataset:
    transform = (build_train_transform if augment else build_eval_transform)(config.transform)
    return SceneGraphDataset(annotations, transform=transform, seed=config.seed)


def build_pretrain_collator(
    config: PretrainDataConfig, vocabulary: LabelVocabulary
) -> PretrainCollator:
    """The collator of ``config``; build ``vocabulary`` from the training dataset
    (:func:`~model.data.label_vocabulary.build_label_vocabulary` of its annotations)."""
    return PretrainCollator(
        vocabulary=vocabulary, text_sampling=config.text_sampling, seed=config.seed
    )


@dataclass(frozen=True)
class TrainingData:
    """A training loader, and the rejects that reading its sources set aside (to be stored)."""

    loader: DataLoader
    rejects: tuple[RejectRecord, ...]


def build_training_loader(
    config: PretrainDataConfig,
    *,
    batch_size: int,
    num_workers: int,
    distributed: bool,
    pin_memory: bool,
) -> TrainingData:
    """Shuffled, augmented training batches of ``config``, with label texts sampled against the
    training set's vocabulary (one call sets up dataset, collator and loader)."""
    reading = read_training_annotations(config)
    dataset = _dataset(reading.annotations, config, augment=True)
    collator = build_pretrain_collator(config, build_label_vocabulary(dataset.annotations))
    loader = build_data_loader(
        dataset,
        collator=collator,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        seed=config.seed,
        distributed=distributed,
        pin_memory=pin_memory,
    )
    return TrainingData(loader=loader, rejects=reading.rejects)

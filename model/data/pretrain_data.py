"""Configuration of the pre-training data, and the builders that read it."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

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
from model.data.annotation_build import ImagesWithoutRelations
from model.data.scene_graph_annotations import (
    AnnotationReading,
    SceneGraphSource,
    read_scene_graph_annotations,
)
from model.data.scene_graph_dataset import SceneGraphDataset
from model.data.training_annotations import TrainingAnnotations
from model.data.transforms import TransformConfig, build_eval_transform, build_train_transform

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainDataConfig:
    """Where the scene graphs are and how they become batches.

    ``sources`` mix human annotation (e.g. Visual Genome) and pseudo-labels (e.g. COCO,
    Objects365); relations with a confidence below ``relation_threshold`` are dropped.
    ``images_without_relations``: what becomes of an image that keeps no relation, "drop" (as
    RLIPv2's pre-training on pseudo-labels does) or "keep" (as its R-Tagger training and its
    Visual-Genome-only pre-training do; its entity slots then learn "no objects").
    ``seed`` seeds augmentation and negative text sampling.
    """

    sources: tuple[SceneGraphSource, ...]
    relation_threshold: float = DEFAULT_RELATION_THRESHOLD
    images_without_relations: ImagesWithoutRelations = "drop"
    transform: TransformConfig = field(default_factory=TransformConfig)
    text_sampling: TextSamplingConfig = field(default_factory=TextSamplingConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("PretrainDataConfig needs at least one scene-graph source")
        check_relation_threshold(self.relation_threshold)
        if self.images_without_relations not in ("drop", "keep"):
            raise ValueError(
                "images_without_relations must be 'drop' or 'keep', "
                f"got {self.images_without_relations!r}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


def read_training_annotations(
    config: PretrainDataConfig, *, cache_dir: Path | None = None
) -> AnnotationReading:
    """Read every source (Parquet), filter and pair its relations, set aside what is malformed
    or unreadable (see :mod:`model.data.scene_graph_annotations`), and log what was kept.

    ``cache_dir`` keeps the sources' annotation stores, shared by the host's ranks and reused by
    later runs (see :mod:`model.data.annotation_cache`); None builds private ones.

    Raises:
        RLIPv2InputError: a table is missing, corrupt or unreadable, or no image is left.
    """
    readings = [
        read_scene_graph_annotations(
            source,
            relation_threshold=config.relation_threshold,
            images_without_relations=config.images_without_relations,
            cache_dir=cache_dir,
        )
        for source in config.sources
    ]
    reading = readings[0]
    for other in readings[1:]:
        reading = reading + other
    counts, times = reading.counts, reading.times
    if not reading.annotations:
        raise RLIPv2InputError(
            f"no image of {[str(source.scene_graphs_dir) for source in config.sources]} keeps a "
            f"relation at confidence >= {config.relation_threshold} "
            f"({counts.relations_rejected} malformed relations rejected); lower "
            "relation_threshold or check the sources"
        )
    logger.info(
        "training data: %d images (%d with relations, %d without: images_without_relations = "
        "%r), %d pairs, %d relations (%d images dropped without relations, %d relations below "
        "confidence %.2f; rejected: %d images, %d relations); start-up: read %.1fs, filtered "
        "and paired %.1fs, headers checked %.1fs",
        counts.images_kept,
        counts.images_kept - counts.images_without_relations,
        counts.images_without_relations,
        config.images_without_relations,
        counts.pairs_kept,
        counts.relations_kept,
        counts.images_dropped,
        counts.relations_below_threshold,
        config.relation_threshold,
        counts.images_rejected,
        counts.relations_rejected,
        times.read_seconds,
        times.pair_seconds,
        times.header_check_seconds,
    )
    return reading


def build_pretrain_dataset(
    config: PretrainDataConfig, *, augment: bool = True, cache_dir: Path | None = None
) -> SceneGraphDataset:
    """The images of :func:`read_training_annotations` with the training transform
    (``augment``) or the evaluation transform; its rejects are logged, not stored (training
    stores them: :func:`build_training_loader`)."""
    reading = read_training_annotations(config, cache_dir=cache_dir)
    return _dataset(reading.annotations, config, augment=augment)


def _dataset(
    annotations: TrainingAnnotations, config: PretrainDataConfig, *, augment: bool
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
    output_dir: Path,
    batch_size: int,
    num_workers: int,
    distributed: bool,
    pin_memory: bool,
) -> TrainingData:
    """Shuffled, augmented training batches of ``config``, with label texts sampled against the
    training set's vocabulary (one call sets up dataset, collator and loader). The sources'
    annotation stores are kept in ``<output_dir>/annotation-cache`` (see
    :func:`read_training_annotations`), so a resumed run finds them."""
    reading = read_training_annotations(config, cache_dir=output_dir / "annotation-cache")
    dataset = _dataset(reading.annotations, config, augment=True)
    collator = build_pretrain_collator(config, build_label_vocabulary(reading.annotations))
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

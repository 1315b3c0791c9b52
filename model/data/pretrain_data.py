"""Configuration of the pre-training data, and the builders that read it."""

import logging
from dataclasses import dataclass, field

from torch.utils.data import DataLoader

from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD, check_relation_threshold
from model.data.collate import PretrainCollator
from model.data.data_loader import build_data_loader
from model.data.label_vocabulary import (
    LabelVocabulary,
    TextSamplingConfig,
    build_label_vocabulary,
)
from model.data.scene_graph_annotations import (
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


def build_pretrain_dataset(
    config: PretrainDataConfig, *, augment: bool = True
) -> SceneGraphDataset:
    """Read every source (Parquet), filter and pair its relations, and wrap them in a dataset
    with the training transform (``augment``) or the evaluation transform.

    Raises:
        RLIPv2InputError: a table is missing or unreadable, or no image keeps a relation.
    """
    annotations: list[ImageAnnotation] = []
    counts = RelationFilterCounts()
    for source in config.sources:
        source_annotations, source_counts = read_scene_graph_annotations(
            source, relation_threshold=config.relation_threshold
        )
        annotations.extend(source_annotations)
        counts += source_counts
    if not annotations:
        raise RLIPv2InputError(
            f"no image of {[str(source.scene_graphs_dir) for source in config.sources]} keeps a "
            f"relation at confidence >= {config.relation_threshold}; lower relation_threshold "
            "or check the sources"
        )
    logger.info(
        "pre-training data: %d images, %d pairs, %d relations (%d images dropped without "
        "relations, %d relations below confidence %.2f)",
        counts.images_kept,
        counts.pairs_kept,
        counts.relations_kept,
        counts.images_dropped,
        counts.relations_below_threshold,
        config.relation_threshold,
    )
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


def build_training_loader(
    config: PretrainDataConfig,
    *,
    batch_size: int,
    num_workers: int,
    distributed: bool,
    pin_memory: bool,
) -> DataLoader:
    """Shuffled, augmented training batches of ``config``, with label texts sampled against the
    training set's vocabulary (one call sets up dataset, collator and loader)."""
    dataset = build_pretrain_dataset(config)
    collator = build_pretrain_collator(config, build_label_vocabulary(dataset.annotations))
    return build_data_loader(
        dataset,
        collator=collator,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        seed=config.seed,
        distributed=distributed,
        pin_memory=pin_memory,
    )

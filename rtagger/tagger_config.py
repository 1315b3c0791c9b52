"""Configuration of R-Tagger training (``rlipv2 train-tagger``, read with model.config_file)."""

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from model.criterion import CriterionConfig, UnmatchedSlots
from model.data import ImagesWithoutRelations, PretrainDataConfig
from model.detector_config import DetectorConfig
from model.optimization import OptimizationConfig
from rtagger.box_pair_queries import TaggerReference


class EntityTextSource(enum.Enum):
    """The entity texts a tagger is shown when tagging an image (the labels of its pairs index
    them, "no objects" last): ``IMAGE``, the categories of the image's pairs (rlipv2);
    ``DATASET``, every category of the dataset, as the released generator does (COCO's 80)."""

    IMAGE = "image"
    DATASET = "dataset"


@dataclass(frozen=True)
class TaggerQueryConfig:
    """How given boxes become queries (``reference``: see :class:`TaggerReference`)."""

    reference: TaggerReference = TaggerReference.BOX


@dataclass(frozen=True)
class TaggingConfig:
    """How ``rlipv2 tag`` and ``rlipv2 label`` use the trained tagger."""

    entity_texts: EntityTextSource = EntityTextSource.IMAGE


@dataclass(frozen=True)
class DenoisingConfig:
    """Noise on the tagger's input pairs during training (paper code defaults: 0.4, 0.2).

    Both at 0 trains the tagger without denoising (the ablation of the tagger benchmark).
    A flipped label is drawn uniformly from the batch's entity texts; ``label_flip_range =
    "batch_size"`` draws it from the first ``batch_size`` entity texts instead, as the released
    code does (it takes the batch dimension of the label features for their count: a bug).
    """

    box_noise_scale: float = 0.4
    label_noise_probability: float = 0.2
    label_flip_range: Literal["entity_texts", "batch_size"] = "entity_texts"

    def __post_init__(self) -> None:
        if self.box_noise_scale < 0 or not 0 <= self.label_noise_probability <= 1:
            raise ValueError("need box_noise_scale >= 0 and label_noise_probability in [0, 1]")

    def flip_classes(self, *, num_entity_texts: int, batch_size: int) -> int:
        """How many classes a flipped label is drawn from (the first ones)."""
        if self.label_flip_range == "batch_size":
            return min(num_entity_texts, batch_size)
        return num_entity_texts


@dataclass(frozen=True)
class TaggerDataConfig(PretrainDataConfig):
    """The tagger's scene graphs: as pre-training's, except that images without relations are
    kept by default, as RLIPv2's tagger training keeps every Visual Genome image (their
    entities pair into negatives). A ``[data]`` table in a tagger config starts from these
    defaults."""

    images_without_relations: ImagesWithoutRelations = "keep"


@dataclass(frozen=True)
class TaggerCriterionConfig(CriterionConfig):
    """RLIPv2's tagger losses: only filled slots are trained, on hard relation labels. A
    ``[criterion]`` table in a tagger config starts from these defaults, not pre-training's."""

    unmatched_slots: UnmatchedSlots = "ignored"
    relation_quality_targets: bool = False
    relation_pseudo_labels: bool = False


@dataclass(frozen=True)
class TaggerTrainingConfig:
    """Everything an R-Tagger training run needs. The tagger is the RLIPv2-ParSeD detector
    (dim_feedforward 1024 in the paper's tagger scripts); ``model.num_pairs`` slots per image
    hold the related pairs and sampled unrelated ones. Only matched (non-empty) slots enter the
    class and relation losses (``criterion.unmatched_slots = "ignored"``), and the relation loss
    trains on hard labels, as RLIPv2's tagger does (by default no RQL or RPL soft targets)."""

    model: DetectorConfig
    data: TaggerDataConfig
    output_dir: Path
    queries: TaggerQueryConfig = field(default_factory=TaggerQueryConfig)
    tagging: TaggingConfig = field(default_factory=TaggingConfig)
    denoising: DenoisingConfig = field(default_factory=DenoisingConfig)
    criterion: TaggerCriterionConfig = field(default_factory=TaggerCriterionConfig)
    optimization: OptimizationConfig = field(default_factory=OptimizationConfig)
    batch_size: int = 4
    num_workers: int = 2
    max_steps_per_epoch: int | None = None
    device: str = "auto"
    seed: int = 0
    init_from: Path | None = None
    """Weights to start a fresh run from: an R-Tagger's (a ``train-tagger`` checkpoint, a
    converted released tagger) or a detector's (its detector part; e.g. a converted
    Deformable-DETR checkpoint, as the paper's tagger starts)."""

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")
        if self.criterion.num_decoder_layers != self.model.decoder_layers:
            raise ValueError("criterion.num_decoder_layers must equal model.decoder_layers")
        if self.criterion.unmatched_slots != "ignored":
            raise ValueError("the tagger trains only its filled slots: unmatched_slots='ignored'")

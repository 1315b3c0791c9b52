"""Configuration of R-Tagger training (``rlipv2 train-tagger``, read with model.config_file)."""

from dataclasses import dataclass, field
from pathlib import Path

from model.criterion import CriterionConfig, UnmatchedSlots
from model.data import ImagesWithoutRelations, PretrainDataConfig
from model.detector_config import DetectorConfig
from model.optimization import OptimizationConfig


@dataclass(frozen=True)
class DenoisingConfig:
    """Noise on the tagger's input pairs during training (paper code defaults: 0.4, 0.2).

    Both at 0 trains the tagger without denoising (the ablation of the tagger benchmark).
    """

    box_noise_scale: float = 0.4
    label_noise_probability: float = 0.2

    def __post_init__(self) -> None:
        if self.box_noise_scale < 0 or not 0 <= self.label_noise_probability <= 1:
            raise ValueError("need box_noise_scale >= 0 and label_noise_probability in [0, 1]")


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
    denoising: DenoisingConfig = field(default_factory=DenoisingConfig)
    criterion: TaggerCriterionConfig = field(default_factory=TaggerCriterionConfig)
    optimization: OptimizationConfig = field(default_factory=OptimizationConfig)
    batch_size: int = 4
    num_workers: int = 2
    max_steps_per_epoch: int | None = None
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")
        if self.criterion.num_decoder_layers != self.model.decoder_layers:
            raise ValueError("criterion.num_decoder_layers must equal model.decoder_layers")
        if self.criterion.unmatched_slots != "ignored":
            raise ValueError("the tagger trains only its filled slots: unmatched_slots='ignored'")

"""The configuration tree of ``rlipv2 pretrain`` (read with :mod:`model.config_file`)."""

from dataclasses import dataclass, field
from pathlib import Path

from model.criterion import CriterionConfig
from model.data import PretrainDataConfig
from model.detector_config import DetectorConfig
from model.optimization import OptimizationConfig


@dataclass(frozen=True)
class PretrainConfig:
    """Everything a pretraining run needs; checkpoints and metrics go to ``output_dir``.

    ``max_steps_per_epoch`` caps an epoch (None: the whole dataset); ``device`` is "auto"
    (CUDA when present), "cpu" or a CUDA device; under ``torchrun`` each process takes
    ``cuda:<LOCAL_RANK>``. ``init_from`` starts a fresh run (not a resumed one) from a
    checkpoint's weights: an rlipv2 pretraining checkpoint, or a file of ``rlipv2
    convert-checkpoint`` (a released RLIPv2 detector, or a detection checkpoint).
    """

    model: DetectorConfig
    data: PretrainDataConfig
    output_dir: Path
    criterion: CriterionConfig = field(default_factory=CriterionConfig)
    optimization: OptimizationConfig = field(default_factory=OptimizationConfig)
    batch_size: int = 4
    num_workers: int = 2
    max_steps_per_epoch: int | None = None
    device: str = "auto"
    init_from: Path | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise ValueError(f"max_steps_per_epoch must be >= 1, got {self.max_steps_per_epoch}")
        if self.criterion.num_decoder_layers != self.model.decoder_layers:
            raise ValueError(
                f"criterion.num_decoder_layers ({self.criterion.num_decoder_layers}) must equal "
                f"model.decoder_layers ({self.model.decoder_layers})"
            )

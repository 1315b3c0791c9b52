"""The configuration tree of ``rlipv2 finetune`` (read with :mod:`model.config_file`)."""

from dataclasses import dataclass, field
from pathlib import Path

from model.criterion import CriterionConfig
from model.data.finetune_data import FinetuneDataConfig
from model.detector_config import DetectorConfig
from model.optimization import OptimizationConfig
from model.relation_evaluation import EvaluationSettings


@dataclass(frozen=True)
class FinetuneConfig:
    """A fine-tuning run on an ingested relation benchmark; checkpoints, metrics and the test
    split's detections go to ``output_dir``.

    ``init_from`` is a pretraining checkpoint, a ``convert-checkpoint`` file or another
    fine-tuning checkpoint; without it the detector starts from scratch (its backbone from
    ``model.backbone.pretrained`` if set). ``model`` may be left out when ``init_from`` is
    given: the detector is then the one ``init_from`` was trained as. The defaults are the
    paper's fine-tuning: 20 epochs with the learning rate x0.1 after 15, the paper's losses
    with box-quality relation targets (RQL) but no relation pseudo-labels (RPL: the released
    fine-tuning scripts leave ``--pseudo_verb`` out). ``evaluation`` is used after training
    (``--then-evaluate``).
    """

    data: FinetuneDataConfig
    output_dir: Path
    model: DetectorConfig | None = None
    init_from: Path | None = None
    criterion: CriterionConfig = field(
        default_factory=lambda: CriterionConfig(relation_pseudo_labels=False)
    )
    optimization: OptimizationConfig = field(default_factory=OptimizationConfig)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    batch_size: int = 4
    num_workers: int = 2
    max_steps_per_epoch: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise ValueError(f"max_steps_per_epoch must be >= 1, got {self.max_steps_per_epoch}")
        if self.model is None and self.init_from is None:
            raise ValueError(
                "a fine-tuning config needs [model], or init_from to take the model from"
            )

"""What ``rlipv2 evaluate`` and the ``evaluate`` flow take (one params model, the Prefect form),
and the evaluation job both run: score a checkpoint or a detections file on a benchmark."""

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from data_schemas.errors import RLIPv2InputError
from flows.output_guard import check_output_place

if TYPE_CHECKING:  # imported where used: the command line's --help reads this module
    from model.relation_evaluation import EvaluationResult, EvaluationSettings

Benchmark = Literal["hico-det", "v-coco", "open-images"]


class EvaluateParameters(BaseModel):
    """Score a checkpoint (run on the test split) or a detections file on an ingested
    benchmark with the paper's protocol; metrics are appended to ``out/metrics.jsonl``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    benchmark: Benchmark = Field(description="the benchmark's protocol")
    dataset: Path = Field(description="the ingested benchmark directory (rlipv2 ingest ...)")
    checkpoint: Path | None = Field(None, description="a detector checkpoint to run")
    detections: Path | None = Field(None, description="or a detections file to score")
    out: Path | None = Field(
        None, description="output directory (detections.parquet, metrics.jsonl); needed with a "
        "checkpoint"
    )
    zero_shot: str | None = Field(
        None, description="also report the unseen / seen means of this zero-shot setting "
        "(HICO-DET: UC-RF, UC-NF)"
    )
    pair_nms: bool = Field(True, description="pair NMS at 0.7 before scoring (the paper's)")
    person_subjects_only: bool = Field(
        False, description="keep only pairs whose subject the model calls a person (the "
        "paper's evaluation without fine-tuning)"
    )
    batch_size: int = Field(1, ge=1, description="images per forward pass")
    device: str = Field("auto", description="auto (CUDA if present), cpu, cuda:N")

    @model_validator(mode="after")
    def _one_source(self) -> "EvaluateParameters":
        if (self.checkpoint is None) == (self.detections is None):
            raise ValueError("give either a checkpoint or a detections file")
        return self

    def settings(self) -> "EvaluationSettings":
        from evaluation.benchmark_metrics import ScoringSettings
        from model.relation_evaluation import EvaluationSettings

        return EvaluationSettings(
            scoring=ScoringSettings(pair_nms=self.pair_nms, zero_shot=self.zero_shot),
            filter_subjects=self.person_subjects_only,
            batch_size=self.batch_size,
            device=self.device,
        )


def run_evaluation(parameters: EvaluateParameters) -> "EvaluationResult":
    """Score ``parameters``' checkpoint or detections file.

    Raises:
        RLIPv2InputError: the dataset holds another benchmark, a checkpoint without ``out``,
            ``out`` inside the dataset, or anything the scoring refuses.
    """
    from evaluation.benchmark_tables import BenchmarkDirectory

    benchmark = BenchmarkDirectory(parameters.dataset)
    if benchmark.benchmark != parameters.benchmark:
        raise RLIPv2InputError(
            f"{parameters.dataset} holds {benchmark.benchmark}, not {parameters.benchmark}"
        )
    if parameters.out is not None:  # metrics.jsonl is appended to: an existing --out is reused
        check_output_place(parameters.out, {"dataset": parameters.dataset,
                                            "checkpoint": parameters.checkpoint,
                                            "detections file": parameters.detections})
    from evaluation.benchmark_metrics import score_benchmark  # torch: after the cheap checks
    from evaluation.detections_io import read_detections
    from model.relation_evaluation import EvaluationResult, evaluate_checkpoint, record_metrics

    if parameters.checkpoint is not None:
        if parameters.out is None:
            raise RLIPv2InputError("a checkpoint needs --out (where the detections file goes)")
        return evaluate_checkpoint(
            parameters.checkpoint,
            parameters.dataset,
            output_dir=parameters.out,
            settings=parameters.settings(),
        )
    assert parameters.detections is not None  # the validator's
    metrics = score_benchmark(
        benchmark, read_detections(parameters.detections), parameters.settings().scoring
    )
    metrics_file = None
    if parameters.out is not None:
        parameters.out.mkdir(parents=True, exist_ok=True)
        source = {"detections": str(parameters.detections.resolve())}
        metrics_file = record_metrics(parameters.out, metrics, source=source)
    return EvaluationResult(
        metrics=metrics, detections_file=parameters.detections, metrics_file=metrics_file
    )

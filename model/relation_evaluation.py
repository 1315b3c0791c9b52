"""Evaluating a detector checkpoint on an ingested benchmark's test split: detect, write the
detections file, score, and record the metrics in ``metrics.jsonl``."""

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from evaluation.benchmark_metrics import TEST_SPLIT, BenchmarkMetrics, ScoringSettings, score_benchmark
from evaluation.benchmark_tables import BenchmarkDirectory
from evaluation.detections_io import write_detections
from model.data.finetune_data import fixed_label_texts
from model.data.transforms import build_eval_transform
from model.checkpoint import latest_checkpoint
from model.detections_postprocess import RelationScoring
from model.detector_checkpoint import DetectorCheckpoint, build_detector, read_detector_checkpoint
from model.distributed import resolve_device
from model.relation_inference import SplitImages, detect_relations
from model.targets import LabelTexts

logger = logging.getLogger(__name__)

DETECTIONS_FILE = "detections.parquet"
METRICS_FILE = "metrics.jsonl"
SUBJECT_CLASS = "person"
"""The subject class of the HOI benchmarks: every HOI subject is labelled so."""
_SCORING = {"hico-det": RelationScoring.HOI, "v-coco": RelationScoring.HOI,
            "open-images": RelationScoring.SGG}


@dataclass(frozen=True)
class EvaluationSettings:
    """How a checkpoint is run and scored. ``filter_subjects`` keeps, for HOI benchmarks,
    only the pairs whose subject the model classifies as a person (the official evaluation of
    a pretrained model without fine-tuning, "NF"); ``batch_size`` images are run at once."""

    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    filter_subjects: bool = False
    batch_size: int = 1
    num_workers: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")


@dataclass(frozen=True)
class EvaluationResult:
    """The metrics, the detections scored, and where the metrics line was written (None when
    it was not)."""

    metrics: BenchmarkMetrics
    detections_file: Path
    metrics_file: Path | None


def evaluate_checkpoint(
    checkpoint_path: Path,
    benchmark_dir: Path,
    *,
    output_dir: Path,
    settings: EvaluationSettings = EvaluationSettings(),
) -> EvaluationResult:
    """Run the checkpoint's detector on every test image of the benchmark, write
    ``output_dir/detections.parquet``, score it, and append the metrics to
    ``output_dir/metrics.jsonl``. The caller has checked that it may write ``output_dir``
    (``flows.output_guard``: not inside the benchmark or the checkpoint).

    Raises:
        RLIPv2InputError: an unusable checkpoint or benchmark, a fine-tuned checkpoint whose
            label texts are not the benchmark's, or a missing test image.
    """
    benchmark = BenchmarkDirectory(benchmark_dir)
    checkpoint = read_detector_checkpoint(checkpoint_path)
    labels = benchmark.label_space()
    label_texts = fixed_label_texts(labels)
    _check_label_texts(checkpoint, label_texts, benchmark_dir)
    scoring = _SCORING.get(benchmark.benchmark, RelationScoring.HOI)
    subject_label = labels.object_label().get(SUBJECT_CLASS)
    if scoring is RelationScoring.HOI and subject_label is None:
        raise RLIPv2InputError(
            f"{benchmark_dir} is scored as human-object interaction but has no "
            f"{SUBJECT_CLASS!r} class"
        )
    images = SplitImages(
        benchmark.split_dir(TEST_SPLIT),
        image_root=benchmark.image_root(TEST_SPLIT),
        transform=build_eval_transform(checkpoint.transform),
    )
    detections = detect_relations(
        build_detector(checkpoint),
        images,
        label_texts=label_texts,
        scoring=scoring,
        subject_label=subject_label,
        filter_subjects=settings.filter_subjects,
        batch_size=settings.batch_size,
        num_workers=settings.num_workers,
        device=resolve_device(settings.device),
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    detections_file = write_detections(detections, output_dir / DETECTIONS_FILE)
    metrics = score_benchmark(
        benchmark, {image.image_id: image for image in detections}, settings.scoring
    )
    metrics_file = record_metrics(
        output_dir, metrics, source={"checkpoint": str(checkpoint_path.resolve())}
    )
    return EvaluationResult(metrics=metrics, detections_file=detections_file, metrics_file=metrics_file)


def evaluate_latest_checkpoint(
    output_dir: Path, benchmark_dir: Path, settings: EvaluationSettings
) -> EvaluationResult:
    """:func:`evaluate_checkpoint` of the newest checkpoint of the training run in
    ``output_dir``, writing there.

    Raises:
        RLIPv2InputError: the run has no checkpoint yet.
    """
    checkpoint = latest_checkpoint(output_dir / "checkpoints")
    if checkpoint is None:
        raise RLIPv2InputError(f"{output_dir} has no checkpoint to evaluate")
    return evaluate_checkpoint(checkpoint, benchmark_dir, output_dir=output_dir, settings=settings)


def evaluate_pretrained(output_dir: Path, benchmark_dir: Path) -> EvaluationResult:
    """Score a pretraining run's newest checkpoint without fine-tuning, as the paper does
    (HOI benchmarks: only the pairs whose subject the model calls a person)."""
    return evaluate_latest_checkpoint(
        output_dir, benchmark_dir, EvaluationSettings(filter_subjects=True)
    )


def record_metrics(output_dir: Path, metrics: BenchmarkMetrics, *, source: dict) -> Path:
    """Append one ``{"evaluation": ...}`` line to ``output_dir/metrics.jsonl`` (NaN as null)."""
    record = {"evaluation": {**source, **_finite(asdict(metrics))}}
    path = output_dir / METRICS_FILE
    with open(path, "a") as handle:
        handle.write(json.dumps(record) + "\n")
    return path


def _check_label_texts(
    checkpoint: DetectorCheckpoint, label_texts: LabelTexts, benchmark_dir: Path
) -> None:
    if checkpoint.label_texts is None or checkpoint.label_texts == label_texts:
        return
    for kind in ("entity_texts", "relation_texts"):
        trained, wanted = getattr(checkpoint.label_texts, kind), getattr(label_texts, kind)
        if trained != wanted:
            first = next(
                (index for index, (a, b) in enumerate(zip(trained, wanted)) if a != b),
                min(len(trained), len(wanted)),
            )
            raise RLIPv2InputError(
                f"{checkpoint.path} was fine-tuned on other label texts than {benchmark_dir}'s: "
                f"{len(trained)} {kind.split('_')[0]} texts against {len(wanted)}, first "
                f"difference at {first} ({trained[first:first + 1]} / {wanted[first:first + 1]})"
            )


def _finite(value: object) -> object:
    """``value`` with NaN floats as None (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value

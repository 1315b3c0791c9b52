"""Scoring a benchmark split's detections with that benchmark's evaluator, into one flat record
of metrics (the command line's table, ``metrics.jsonl``, the Prefect artifacts)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from data_schemas.errors import RLIPv2InputError
from evaluation.benchmark_tables import BenchmarkDirectory, LabelSpace
from evaluation.detections import ImageDetections
from evaluation.hico_det import HicoDetSettings, evaluate_hico_det, mean_average_precision
from evaluation.open_images import OpenImagesSettings, evaluate_open_images
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_truth import Triplet
from evaluation.suppression import PairNms
from evaluation.vcoco import evaluate_vcoco
from evaluation.vcoco_role_files import read_vcoco_role_files, role_verb_names

TEST_SPLIT = "test"


@dataclass(frozen=True)
class ScoringSettings:
    """The paper's settings by default: the 100 best relations per image, pair NMS at 0.7
    (overlap = IoU(subjects) x IoU(objects)^0.5), the official protocol. ``zero_shot`` adds
    the unseen / seen means of that setting of the benchmark, and its unseen combinations
    then count as neither rare nor non-rare (fine-tuning never saw them)."""

    top_k: int = 100
    pair_nms: bool = True
    pair_nms_threshold: float = 0.7
    protocol: EvaluationProtocol = EvaluationProtocol.OFFICIAL
    zero_shot: str | None = None

    def pair_nms_settings(self) -> PairNms | None:
        return PairNms(threshold=self.pair_nms_threshold) if self.pair_nms else None


@dataclass(frozen=True)
class BenchmarkMetrics:
    """A benchmark's metrics in [0, 1] (NaN where a part has no annotated class), and the AP of
    each annotated class, named by its texts ("person ride horse")."""

    benchmark: str
    metrics: dict[str, float]
    class_ap: dict[str, float] = field(default_factory=dict)

    def report_lines(self) -> list[str]:
        width = max(len(name) for name in self.metrics)
        return [f"{name:<{width}}  {100 * value:6.2f}" for name, value in self.metrics.items()]


def score_benchmark(
    benchmark: BenchmarkDirectory,
    detections: Mapping[int, ImageDetections],
    settings: ScoringSettings = ScoringSettings(),
) -> BenchmarkMetrics:
    """Score the detections of every test image of ``benchmark``.

    Raises:
        RLIPv2InputError: detections that do not fit the test split (unknown or missing images,
            unknown classes, another number of predicates), or a benchmark rlipv2 cannot score
            from its tables.
    """
    scorer = _SCORERS.get(benchmark.benchmark)
    if scorer is None:
        raise RLIPv2InputError(
            f"rlipv2 has no evaluator for {benchmark.benchmark!r} (it scores {sorted(_SCORERS)})"
        )
    return scorer(benchmark, detections, settings)


def _score_hico_det(
    benchmark: BenchmarkDirectory,
    detections: Mapping[int, ImageDetections],
    settings: ScoringSettings,
) -> BenchmarkMetrics:
    unseen = frozenset() if settings.zero_shot is None else benchmark.combinations(settings.zero_shot)
    result = evaluate_hico_det(
        benchmark.relation_truth(TEST_SPLIT),
        detections,
        correct_combinations=benchmark.correct_combinations(),
        split=benchmark.rare_split(without=unseen),
        settings=HicoDetSettings(
            top_k=settings.top_k,
            pair_nms=settings.pair_nms_settings(),
            protocol=settings.protocol,
        ),
    )
    metrics = {}
    for setting, means in (("default", result.default), ("known_object", result.known_object)):
        metrics |= {
            f"{setting}/full": means.full,
            f"{setting}/rare": means.rare,
            f"{setting}/non_rare": means.non_rare,
        }
    if settings.zero_shot is not None:
        split = benchmark.zero_shot_split(settings.zero_shot, list(result.triplet_ap))
        means = mean_average_precision(result.triplet_ap, split)
        metrics |= {
            f"{settings.zero_shot}/full": means.full,
            f"{settings.zero_shot}/unseen": means.rare,
            f"{settings.zero_shot}/seen": means.non_rare,
        }
    return BenchmarkMetrics(
        benchmark=benchmark.benchmark,
        metrics=metrics,
        class_ap=_named(result.triplet_ap, benchmark.label_space()),
    )


def _score_open_images(
    benchmark: BenchmarkDirectory,
    detections: Mapping[int, ImageDetections],
    settings: ScoringSettings,
) -> BenchmarkMetrics:
    result = evaluate_open_images(
        benchmark.relation_truth(TEST_SPLIT),
        detections,
        settings=OpenImagesSettings(
            map_top_k=settings.top_k,
            pair_nms=settings.pair_nms_settings(),
            protocol=settings.protocol,
        ),
    )
    return BenchmarkMetrics(
        benchmark=benchmark.benchmark,
        metrics={
            "recall@50": result.recall,
            "wmap_rel": result.weighted_map_relation,
            "wmap_phr": result.weighted_map_phrase,
            "score_wtd": result.score_wtd,
        },
        class_ap=_named(result.relation_triplet_ap, benchmark.label_space()),
    )


def _score_vcoco(
    benchmark: BenchmarkDirectory,
    detections: Mapping[int, ImageDetections],
    settings: ScoringSettings,
) -> BenchmarkMetrics:
    """Role AP as the official script computes it: every detected pair, no cut, no NMS."""
    if settings.zero_shot is not None:
        raise RLIPv2InputError(f"V-COCO has no zero-shot setting ({settings.zero_shot!r} given)")
    labels = benchmark.label_space()
    result = evaluate_vcoco(
        read_vcoco_role_files(benchmark.evaluation_files()),
        detections,
        verb_names=role_verb_names(labels.predicate_source_ids),
        correct_combinations=benchmark.correct_combinations(),
    )
    metrics, class_ap = {}, {}
    for scenario in ("scenario_1", "scenario_2"):
        role_ap = getattr(result, scenario)
        metrics |= {
            f"{scenario}/ap_role": role_ap.mean,
            f"{scenario}/ap_role_without_point": role_ap.mean_without_point,
        }
        class_ap |= {f"{scenario} {action}-{role}": ap for (action, role), ap in role_ap.role_ap.items()}
    return BenchmarkMetrics(benchmark=benchmark.benchmark, metrics=metrics, class_ap=class_ap)


def _named(triplet_ap: Mapping[Triplet, float], labels: LabelSpace) -> dict[str, float]:
    return {
        " ".join(
            (
                labels.object_names[subject],
                labels.predicate_names[predicate],
                labels.object_names[object_],
            )
        ): value
        for (subject, object_, predicate), value in triplet_ap.items()
    }


_SCORERS = {
    "hico-det": _score_hico_det,
    "v-coco": _score_vcoco,
    "open-images": _score_open_images,
}

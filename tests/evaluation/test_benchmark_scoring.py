"""Scoring detections on an ingested benchmark: ground truth, rare and unseen triplets from its
tables, and ``rlipv2 evaluate --detections``."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from data_schemas import RLIPv2InputError
from evaluation import ImageDetections, write_detections
from evaluation.benchmark_metrics import ScoringSettings, score_benchmark
from evaluation.benchmark_tables import BenchmarkDirectory
from flows.cli import main
from hoi_benchmark_files import person_rides_horse, write_hoi_layout


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> BenchmarkDirectory:
    directory = tmp_path_factory.mktemp("benchmark")
    test = [person_rides_horse(f"HICO_test2015_{index:08d}.jpg") for index in (1, 2)]
    test[1]["hoi_annotation"] = test[1]["hoi_annotation"][:1]  # image 2: ride horse only
    root = write_hoi_layout(directory / "hico", test=test)
    assert main(["ingest", "hico-det", str(root), "--out", str(directory / "out"),
                 "--vocabulary", str(root / "annotations" / "vocabulary.json")]) == 0
    return BenchmarkDirectory(directory / "out")


def detections_of(benchmark: BenchmarkDirectory, *, ride_score: float = 0.9) -> dict:
    """Every annotated relation detected exactly (person 0, horse 1, cup 2), ride scored
    ``ride_score``, hold 0.8, and one wrong pair (cup rides) on each image."""
    detections = {}
    for image in benchmark.relation_truth("test").images:
        scores = np.zeros((3, 3), dtype=np.float32)
        for _, object_row, verb in image.relations:
            scores[object_row - 1, verb] = ride_score if verb == 0 else 0.8
        scores[2, 0] = 0.95  # pair (person, cup) "ride": masked, ride takes only horses
        detections[image.image_id] = ImageDetections(
            image_id=image.image_id,
            boxes=image.boxes[[0, 1, 2, 2]],
            labels=[0, 1, 2, 2],
            subject_index=[0, 0, 0],
            object_index=[1, 2, 3],
            verb_scores=scores,
        )
    return detections


def test_exact_detections_score_full_marks(benchmark: BenchmarkDirectory) -> None:
    metrics = score_benchmark(benchmark, detections_of(benchmark))
    assert metrics.metrics["default/full"] == pytest.approx(1.0)
    assert metrics.metrics["known_object/full"] == pytest.approx(1.0)
    # Training counts 4 of each triplet: all rare (< 10), none non-rare.
    assert metrics.metrics["default/rare"] == pytest.approx(1.0)
    assert np.isnan(metrics.metrics["default/non_rare"])
    assert set(metrics.class_ap) == {"person ride horse", "person hold horse", "person hold cup"}


def test_a_zero_shot_setting_reports_unseen_and_seen(benchmark: BenchmarkDirectory) -> None:
    detections = detections_of(benchmark)
    for image in detections.values():
        image.boxes[1] = [0, 0, 3, 3]  # the horse missed: "ride horse" and "hold horse" fail
    metrics = score_benchmark(benchmark, detections, ScoringSettings(zero_shot="UC-X"))
    assert metrics.metrics["UC-X/unseen"] == 0.0  # hold horse
    assert metrics.metrics["UC-X/seen"] == pytest.approx(0.5)  # ride horse 0, hold cup 1
    assert metrics.metrics["UC-X/full"] == pytest.approx(1 / 3)
    # Fine-tuning never saw "hold horse": it is neither rare nor non-rare any more.
    assert metrics.metrics["default/rare"] == pytest.approx(0.5)


def test_detections_of_an_unknown_image_or_class_change_no_metric(
    benchmark: BenchmarkDirectory,
) -> None:
    detections = detections_of(benchmark)
    with pytest.raises(RLIPv2InputError, match="ground truth lacks"):
        score_benchmark(benchmark, detections | {7: replace(detections[1], image_id=7)})
    detections[2] = replace(detections[2], labels=np.array([0, 1, 2, 5]))
    with pytest.raises(RLIPv2InputError, match="box label 5 is not among"):
        score_benchmark(benchmark, detections)
    with pytest.raises(RLIPv2InputError, match="no combination setting 'UC-RF'"):
        score_benchmark(benchmark, detections_of(benchmark), ScoringSettings(zero_shot="UC-RF"))


def test_evaluate_scores_a_detections_file_and_records_the_metrics(
    benchmark: BenchmarkDirectory, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_detections(list(detections_of(benchmark).values()), tmp_path / "detections.json")
    command = ["evaluate", "hico-det", "--dataset", str(benchmark.path), "--detections", str(path)]
    assert main([*command, "--out", str(tmp_path / "scores")]) == 0
    printed = capsys.readouterr().out
    assert "default/full" in printed and "100.00" in printed
    record = json.loads((tmp_path / "scores" / "metrics.jsonl").read_text())["evaluation"]
    assert record["metrics"]["default/full"] == pytest.approx(1.0)
    assert record["metrics"]["default/non_rare"] is None  # NaN is not JSON
    assert record["class_ap"]["person hold cup"] == pytest.approx(1.0)
    assert main(["evaluate", "open-images", "--dataset", str(benchmark.path), "--detections",
                 str(path)]) == 2
    assert "holds hico-det, not open-images" in capsys.readouterr().err


def _nan_score(image: dict) -> None:
    image["verb_scores"][0][0] = float("nan")


def _flipped_box(image: dict) -> None:
    x1, y1, x2, y2 = image["boxes"][1]
    image["boxes"][1] = [x2, y1, x1, y2]


def _unknown_image(image: dict) -> None:
    image["image_id"] = 99


def _unknown_class(image: dict) -> None:
    image["labels"][1] = 7


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_nan_score, "a verb score is NaN"),
        (_flipped_box, "has x2 < x1"),
        (_unknown_image, "ground truth lacks"),
        (_unknown_class, "box label 7 is not among"),
    ],
)
def test_a_bad_detections_file_is_one_line_and_records_no_metric(
    benchmark: BenchmarkDirectory, tmp_path: Path, capsys: pytest.CaptureFixture, spoil, message: str
) -> None:
    path = write_detections(list(detections_of(benchmark).values()), tmp_path / "detections.json")
    payload = json.loads(path.read_text())
    spoil(payload["images"][0])
    path.write_text(json.dumps(payload))
    assert main(["evaluate", "hico-det", "--dataset", str(benchmark.path), "--detections",
                 str(path), "--out", str(tmp_path / "scores")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: ") and message in error and error.count("\n") == 1
    assert not (tmp_path / "scores" / "metrics.jsonl").exists()


def test_a_directory_that_is_not_a_benchmark_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RLIPv2InputError, match="not an ingested relation benchmark"):
        BenchmarkDirectory(tmp_path)

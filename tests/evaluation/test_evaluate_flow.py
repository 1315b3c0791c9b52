"""The ``evaluate`` flow (``prefect_harness``): the job ``rlipv2 evaluate`` runs, its metrics as
the run's result and artifacts (a table, a per-class AP picture also saved beside the
metrics)."""

import math
from pathlib import Path

import pytest
from PIL import Image

from evaluation.class_ap_chart import render_class_ap_chart
from evaluation_fixtures import official_metrics
from flows.downstream_flows import evaluate
from flows.evaluation_parameters import EvaluateParameters
from flows.evaluation_report import CHART_FILE, CLASS_AP_ARTIFACT_KEY, METRICS_ARTIFACT_KEY
from prefect_artifacts import artifacts_of_run
from test_vcoco_benchmark import FIXTURE, ingest, write_vcoco_layout


def test_the_evaluate_flow_publishes_the_metrics_and_a_class_ap_picture(
    prefect_harness: None, tmp_path: Path
) -> None:
    assert ingest(write_vcoco_layout(tmp_path / "vcoco"), tmp_path / "benchmark") == 0
    parameters = EvaluateParameters(
        benchmark="v-coco",
        dataset=tmp_path / "benchmark",
        detections=FIXTURE / "detections.json",
        out=tmp_path / "eval",
    )
    state = evaluate(parameters, return_state=True)
    metrics = state.result()
    assert metrics["scenario_1/ap_role"] == pytest.approx(
        official_metrics("vcoco")["scenario_1"]["mean"], abs=1e-6
    )
    artifacts = artifacts_of_run(
        state.state_details.flow_run_id, [METRICS_ARTIFACT_KEY, CLASS_AP_ARTIFACT_KEY]
    )
    (table,) = artifacts[METRICS_ARTIFACT_KEY]
    assert "scenario_2/ap_role" in str(table.data)
    (picture,) = artifacts[CLASS_AP_ARTIFACT_KEY]
    assert "data:image/png;base64," in str(picture.data)
    assert Image.open(tmp_path / "eval" / CHART_FILE).width > 0


def test_an_evaluation_needs_one_source() -> None:
    with pytest.raises(ValueError, match="either a checkpoint or a detections file"):
        EvaluateParameters(benchmark="hico-det", dataset=Path("d"))


def test_the_class_ap_chart_draws_a_bar_per_class_and_cuts_long_lists() -> None:
    few = render_class_ap_chart({"a": 1.0, "b": 0.25, "c": math.nan})
    many = render_class_ap_chart({f"class {index}": index / 100 for index in range(100)}, max_classes=10)
    assert many.height > few.height
    assert many.height == render_class_ap_chart(
        {f"class {index}": 0.5 for index in range(11)}, max_classes=10
    ).height  # 5 best, a line of what was left out, 5 worst
    # The full bar of "a" is longer than the quarter bar of "b": count its coloured pixels.
    pixels = few.load()
    bar_length = [
        sum(pixels[x, 8 + row * 16 + 8] == (70, 120, 190) for x in range(few.width)) for row in (0, 1)
    ]
    assert bar_length[0] > 3 * bar_length[1] > 0
    with pytest.raises(ValueError):
        render_class_ap_chart({})

"""An evaluation's metrics as Prefect artifacts (visible per run in the UI): a table of the
metrics (``evaluation-metrics``) and a picture of the per-class APs (``evaluation-class-ap``),
also saved as ``OUT/report/class-ap.png``."""

import math
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from evaluation.benchmark_metrics import BenchmarkMetrics
from evaluation.class_ap_chart import render_class_ap_chart
from flows.picture_artifact import publish_picture
from model.relation_evaluation import EvaluationResult
from data_schemas.atomic_files import save_png_atomic

METRICS_ARTIFACT_KEY = "evaluation-metrics"
CLASS_AP_ARTIFACT_KEY = "evaluation-class-ap"
CHART_FILE = Path("report") / "class-ap.png"


def publish_evaluation(result: EvaluationResult) -> dict[str, float]:
    """Log the metrics and publish them (:func:`publish_evaluation_report`, the picture beside
    the metrics file); they are returned for the flow run's result."""
    logger = get_run_logger()
    for line in result.metrics.report_lines():
        logger.info("%s", line)
    output_dir = None if result.metrics_file is None else result.metrics_file.parent
    publish_evaluation_report(result.metrics, output_dir)
    return dict(result.metrics.metrics)


def publish_evaluation_report(metrics: BenchmarkMetrics, output_dir: Path | None) -> None:
    """Publish the artifacts (module docstring); the picture is saved when ``output_dir`` is
    given."""
    create_table_artifact(
        table=[
            {"metric": name, "percent": None if math.isnan(value) else round(100 * value, 2)}
            for name, value in metrics.metrics.items()
        ],
        key=METRICS_ARTIFACT_KEY,
        description=f"{metrics.benchmark} metrics (%)",
    )
    if not metrics.class_ap:
        return
    chart = render_class_ap_chart(metrics.class_ap)
    if output_dir is not None:
        save_png_atomic(chart, output_dir / CHART_FILE)
    publish_picture(
        chart,
        key=CLASS_AP_ARTIFACT_KEY,
        heading=f"AP per class ({len(metrics.class_ap)} classes)",
        description=f"{metrics.benchmark}: AP of each annotated class",
    )

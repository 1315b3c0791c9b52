"""A training run's progress and metrics as Prefect artifacts, updated after every epoch, so a
run started from the UI shows more than its log (``<flow>`` is ``train-tagger`` or
``pretrain``):

- ``<flow>-progress`` (progress): epochs trained, of the run's total;
- ``<flow>-epochs`` (table): per epoch, the loss, each loss term (summed over the decoder
  layers), each parameter group's learning rate, images per second, seconds and the checkpoint;
- ``<flow>-loss-curves`` (markdown): the loss and its terms per epoch as a picture, also saved
  as ``<output_dir>/report/loss-curves.png``.
"""

from collections import defaultdict
from pathlib import Path

from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from data_schemas.atomic_files import save_png_atomic
from flows.picture_artifact import publish_picture
from inspection.loss_chart import render_loss_chart
from model.training_loop import EpochReport

CHART_FILE = Path("report") / "loss-curves.png"


def loss_terms(mean_terms: dict[str, float]) -> dict[str, float]:
    """Each loss's mean summed over its decoder layers (``relations/layer_0`` and
    ``relations/layer_1`` -> ``relations``), in first-seen order."""
    summed: defaultdict[str, float] = defaultdict(float)
    for key, value in mean_terms.items():
        summed[key.split("/")[0]] += value
    return dict(summed)


def epoch_row(report: EpochReport) -> dict[str, object]:
    """One row of the epochs table."""
    stats = report.stats
    return {
        "epoch": report.epoch,
        "step": report.step,
        "loss": round(stats.mean_loss, 4),
        **{name: round(value, 4) for name, value in loss_terms(stats.mean_terms).items()},
        **{f"lr {group}": f"{rate:.3g}" for group, rate in report.learning_rates.items()},
        "images/s": round(stats.samples / stats.seconds, 2) if stats.seconds > 0 else None,
        "seconds": round(stats.seconds, 1),
        "skipped steps": stats.skipped_non_finite,
        "checkpoint": str(report.checkpoint),
    }


class TrainingArtifacts:
    """Publishes the artifacts of the module docstring for the flow ``flow_name``, whose
    checkpoints go under ``output_dir``; call it with each :class:`EpochReport` (it is a
    training run's ``on_epoch``). Must be made and called inside the flow run."""

    def __init__(self, flow_name: str, output_dir: Path, *, epochs: int) -> None:
        self.flow_name = flow_name
        self.output_dir = output_dir
        self.rows: list[dict[str, object]] = []
        self.reports: list[EpochReport] = []
        self._progress_id = create_progress_artifact(
            progress=0.0,
            key=f"{flow_name}-progress",
            description=f"epochs trained, of {epochs}",
        )

    def __call__(self, report: EpochReport) -> None:
        self.reports.append(report)
        self.rows.append(epoch_row(report))
        update_progress_artifact(self._progress_id, progress=100.0 * report.epoch / report.epochs)
        create_table_artifact(
            table=self.rows,
            key=f"{self.flow_name}-epochs",
            description=f"loss, loss terms, learning rates and speed of epochs "
            f"{self.reports[0].epoch}-{report.epoch} of {report.epochs}",
        )
        series = {"loss": [item.stats.mean_loss for item in self.reports]}
        for item_index, item in enumerate(self.reports):
            for name, value in loss_terms(item.stats.mean_terms).items():
                series.setdefault(name, [float("nan")] * len(self.reports))[item_index] = value
        chart = render_loss_chart(
            series, title=f"{self.flow_name}: mean loss per epoch (terms summed over layers)"
        )
        save_png_atomic(chart, self.output_dir / CHART_FILE)
        publish_picture(
            chart,
            key=f"{self.flow_name}-loss-curves",
            heading=f"Loss curves, epochs {self.reports[0].epoch}-{report.epoch}",
            description="the loss and its terms per epoch",
            caption=f"Saved as `{self.output_dir / CHART_FILE}`; checkpoint `{report.checkpoint}`.",
        )

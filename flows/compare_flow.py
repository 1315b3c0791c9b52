"""The ``compare`` flow: two runs' scene graphs compared (:func:`inspection.compare_runs`),
published as Prefect artifacts: ``compare-summary`` (markdown) and ``compare-cuts`` and
``compare-predicates`` (tables)."""

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, ConfigDict, Field

from inspection.relation_agreement import DEFAULT_MATCH_IOU
from inspection.run_comparison import RunComparison, compare_runs

SUMMARY_ARTIFACT_KEY = "compare-summary"
CUTS_ARTIFACT_KEY = "compare-cuts"
PREDICATES_ARTIFACT_KEY = "compare-predicates"


class CompareParameters(BaseModel):
    """Compare the scene graphs of run A with those of the reference run B on shared images."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_a: Path = Field(description="the run to judge (label or tag run, ingested scene graphs)")
    run_b: Path = Field(
        description="the reference: reviewed labels (ingest label-studio), released labels "
        "(ingest paper-json), or another run"
    )
    min_confidence: list[float] = Field(
        [0.2], min_length=1, description="confidence cuts (human relations always count)"
    )
    iou: float = Field(DEFAULT_MATCH_IOU, gt=0.0, le=1.0, description="box IoU that matches")


@flow(name="compare", description="Compare two runs' scene graphs: precision, recall, agreement.")
def compare(parameters: CompareParameters) -> dict:
    comparison = compare_runs(
        parameters.run_a, parameters.run_b, cuts=parameters.min_confidence,
        iou_threshold=parameters.iou,
    )
    publish_comparison(comparison)
    return comparison.as_dict()


def publish_comparison(comparison: RunComparison) -> None:
    """Publish ``comparison`` as the flow run's artifacts (see the module docstring)."""
    first = comparison.cuts[0]
    create_markdown_artifact(
        markdown=comparison.as_markdown(),
        key=SUMMARY_ARTIFACT_KEY,
        description=f"{comparison.shared_images:,} shared images",
    )
    create_table_artifact(
        table=comparison.as_table_rows(),
        key=CUTS_ARTIFACT_KEY,
        description="relations, precision and recall of A against B at each cut",
    )
    create_table_artifact(
        table=[vars(item) for item in first.top_predicates],
        key=PREDICATES_ARTIFACT_KEY,
        description=f"the reference's top predicates at {first.min_confidence:g}",
    )

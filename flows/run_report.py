"""The report of a labelling run, published as Prefect artifacts (visible per run in the UI)."""

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipeline.labelling import LabelRunSummary
from pipeline.labelling.label_plan import LabelPlan

SUMMARY_ARTIFACT_KEY = "label-summary"
PREDICATES_ARTIFACT_KEY = "label-top-predicates"


def publish_run_report(plan: LabelPlan, summary: LabelRunSummary) -> None:
    """A markdown summary (counts, rejects by reason, top predicates) and a table of the top
    predicates."""
    create_markdown_artifact(
        markdown=f"# Labelling run: `{plan.out_dir}`\n\n{summary.as_markdown()}\n",
        key=SUMMARY_ARTIFACT_KEY,
        description=f"{summary.images:,} images, {summary.relations_kept:,} relations kept",
    )
    create_table_artifact(
        table=[
            {"predicate": predicate, "relations": count}
            for predicate, count in summary.top_predicates
        ],
        key=PREDICATES_ARTIFACT_KEY,
        description="most frequent predicates among the kept relations",
    )

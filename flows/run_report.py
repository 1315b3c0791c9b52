"""The report of a labelling run, published as Prefect artifacts (visible per run in the UI).

- ``label-summary`` (markdown): the run's totals, rejects by reason, top predicates, and the
  summary of every published table at the pretraining confidence cut;
- ``label-tables`` and ``label-top-predicates`` (tables);
- ``label-pictures`` (markdown): a contact sheet of a few random images with their boxes and
  relations at the cut, also saved as ``OUT/report/contact-sheet.png``.
"""

import base64
import io
import logging

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from data_schemas.atomic_files import save_png_atomic
from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD
from inspection import render_contact_sheet, sample_image_ids, summarize_run
from pipeline.labelling import LabelRunSummary
from pipeline.labelling.label_plan import LabelPlan

logger = logging.getLogger(__name__)

SUMMARY_ARTIFACT_KEY = "label-summary"
TABLES_ARTIFACT_KEY = "label-tables"
PREDICATES_ARTIFACT_KEY = "label-top-predicates"
PICTURES_ARTIFACT_KEY = "label-pictures"
REPORT_DIR_NAME = "report"
PICTURES = 6
PICTURE_TILE_SIZE = 320
PICTURE_SEED = 0


def publish_run_report(plan: LabelPlan, summary: LabelRunSummary) -> None:
    """Publish the run's report artifacts (see the module docstring)."""
    cut = DEFAULT_RELATION_THRESHOLD
    tables = summarize_run(plan.out_dir, min_confidence=cut, dataset_dir=plan.dataset_dir)
    create_markdown_artifact(
        markdown=(
            f"# Labelling run `{plan.out_dir}`\n\n{summary.as_markdown()}\n\n"
            f"## Tables (relations at confidence >= {cut:g})\n\n{tables.as_markdown()}\n"
        ),
        key=SUMMARY_ARTIFACT_KEY,
        description=f"{summary.images:,} images, {summary.relations_kept:,} relations kept",
    )
    create_table_artifact(
        table=tables.as_table_rows(),
        key=TABLES_ARTIFACT_KEY,
        description="rows, images and relations of every published table",
    )
    create_table_artifact(
        table=[
            {"predicate": predicate, "relations": count}
            for predicate, count in summary.top_predicates
        ],
        key=PREDICATES_ARTIFACT_KEY,
        description="most frequent predicates among the kept relations",
    )
    _publish_pictures(plan, cut)


def _publish_pictures(plan: LabelPlan, cut: float) -> None:
    """The contact sheet; an image that cannot be drawn costs the pictures, not the run."""
    try:
        image_ids = sample_image_ids(
            plan.out_dir, PICTURES, seed=PICTURE_SEED, dataset_dir=plan.dataset_dir
        )
        if not image_ids:
            logger.warning("no pictures in the run report: the run has no scene graphs")
            return
        sheet = render_contact_sheet(
            plan.out_dir,
            image_ids,
            min_confidence=cut,
            image_root=plan.image_root,
            dataset_dir=plan.dataset_dir,
            tile_size=PICTURE_TILE_SIZE,
        )
    except RLIPv2InputError as error:
        logger.warning("no pictures in the run report: %s", error)
        return
    report_dir = plan.out_dir / REPORT_DIR_NAME
    save_png_atomic(sheet, report_dir / "contact-sheet.png")
    encoded = io.BytesIO()
    sheet.save(encoded, format="JPEG", quality=85)
    data_url = "data:image/jpeg;base64," + base64.b64encode(encoded.getvalue()).decode()
    create_markdown_artifact(
        markdown=(
            f"# {len(image_ids)} random images, relations at confidence >= {cut:g}\n\n"
            f"![contact sheet]({data_url})\n\n"
            f"Images {', '.join(map(str, image_ids))}; saved as "
            f"`{report_dir / 'contact-sheet.png'}`.\n"
        ),
        key=PICTURES_ARTIFACT_KEY,
        description="boxes and relations of a few random images",
    )

"""The report of a labelling run, published as Prefect artifacts (visible per run in the UI).

- ``label-summary`` (markdown): the run's totals, rejects by reason, top predicates, and the
  summary of every published table at the pretraining confidence cut;
- ``label-tables`` and ``label-top-predicates`` (tables);
- ``label-pictures`` (markdown): a contact sheet of a few random images among those that keep
  a relation at the cut, with their boxes and those relations, also saved as
  ``OUT/report/contact-sheet.png``.
"""

import logging

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from data_schemas.atomic_files import save_png_atomic
from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD
from flows.picture_artifact import publish_picture
from inspection import render_contact_sheet, sample_image_ids, summarize_run
from inspection.run_pictures import image_ids_with_relations
from pipeline.labelling import LabelRunSummary
from pipeline.labelling.label_plan import LabelPlan

logger = logging.getLogger(__name__)

SUMMARY_ARTIFACT_KEY = "label-summary"
TABLES_ARTIFACT_KEY = "label-tables"
PREDICATES_ARTIFACT_KEY = "label-top-predicates"
PICTURES_ARTIFACT_KEY = "label-pictures"
REPORT_DIR_NAME = "report"
CONTACT_SHEET_NAME = "contact-sheet.png"
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
    """The contact sheet: random images among those that keep a relation at the cut (all
    images when none does); an image that cannot be drawn costs the pictures, not the run."""
    try:
        with_relations = image_ids_with_relations(
            plan.out_dir, cut, dataset_dir=plan.dataset_dir
        )
        image_ids = sample_image_ids(
            plan.out_dir,
            PICTURES,
            seed=PICTURE_SEED,
            dataset_dir=plan.dataset_dir,
            among=with_relations or None,
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
    chosen = (
        f"{len(image_ids)} random images (seed {PICTURE_SEED}) among the {len(with_relations):,} "
        f"that keep a relation at confidence >= {cut:g}"
        if with_relations
        else f"{len(image_ids)} random images (seed {PICTURE_SEED}): no image keeps a relation "
        f"at confidence >= {cut:g}"
    )
    report_dir = plan.out_dir / REPORT_DIR_NAME
    save_png_atomic(sheet, report_dir / CONTACT_SHEET_NAME)
    publish_picture(
        sheet,
        key=PICTURES_ARTIFACT_KEY,
        heading=f"{chosen}, with those relations",
        description="boxes and relations of a few images",
        caption=f"Images {', '.join(map(str, image_ids))}; saved as "
        f"`{report_dir / CONTACT_SHEET_NAME}`.",
        image_format="JPEG",
    )

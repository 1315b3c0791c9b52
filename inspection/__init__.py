"""Inspecting pipeline outputs: table summaries, one image's records, scene-graph pictures.

Everything here reads the Parquet outputs of the pipeline and returns typed values (summaries,
records, PIL images); nothing prints or writes files.
"""

from inspection.distributions import ConfidenceHistogram, CountDistribution
from inspection.image_detail import ImageDetail, KeptRelation, inspect_image
from inspection.image_detail_text import image_detail_text
from inspection.located_output import LocatedOutput, locate_output
from inspection.run_directory import RunDirectory, open_run_directory
from inspection.run_pictures import (
    render_contact_sheet,
    render_run_image,
    sample_image_ids,
)
from inspection.run_summary import RunSummary, summarize_run
from inspection.scene_graph_picture import render_scene_graph
from inspection.table_files import TableFiles, detect_table
from inspection.table_summary import EntityPairCount, NamedCount, TableSummary

__all__ = [
    "ConfidenceHistogram",
    "CountDistribution",
    "EntityPairCount",
    "ImageDetail",
    "KeptRelation",
    "LocatedOutput",
    "NamedCount",
    "RunDirectory",
    "RunSummary",
    "TableFiles",
    "TableSummary",
    "detect_table",
    "image_detail_text",
    "inspect_image",
    "locate_output",
    "open_run_directory",
    "render_contact_sheet",
    "render_run_image",
    "render_scene_graph",
    "sample_image_ids",
    "summarize_run",
]

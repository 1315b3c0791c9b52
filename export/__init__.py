"""Exports of scene graphs for the tools labels are used and reviewed in: the RLIPv2 paper's
pseudo-label JSON, Visual Genome JSON, Label Studio tasks with predictions, COCO-style JSON with
relations, and the HICO-DET annotation layout."""

from export.coco_json import CocoJsonExport
from export.export_run import (
    DEFAULT_EXPORT_CONFIDENCE,
    ExportCounts,
    ExportSummary,
    SceneGraphExporter,
    export_run,
)
from export.hoi_json import HoiJsonExport
from export.label_studio import LabelStudioExport, label_studio_config, label_studio_task
from export.paper_json import (
    COCO_ID_START,
    OBJECTS365_ID_START,
    PaperDataset,
    PaperJsonExport,
    paper_dataset_of,
    paper_record,
)
from export.scene_graph_stream import (
    iter_scene_graphs,
    keep_confident,
    locate_scene_graphs,
)
from export.visual_genome_json import VisualGenomeExport

__all__ = [
    "COCO_ID_START",
    "CocoJsonExport",
    "DEFAULT_EXPORT_CONFIDENCE",
    "OBJECTS365_ID_START",
    "ExportCounts",
    "ExportSummary",
    "HoiJsonExport",
    "LabelStudioExport",
    "PaperDataset",
    "PaperJsonExport",
    "SceneGraphExporter",
    "VisualGenomeExport",
    "export_run",
    "iter_scene_graphs",
    "keep_confident",
    "label_studio_config",
    "label_studio_task",
    "locate_scene_graphs",
    "paper_dataset_of",
    "paper_record",
]

"""Dataset readers: COCO, Objects365 and Visual Genome files -> versioned Parquet tables."""

from pipeline.ingest.json_stream import MalformedJsonError
from pipeline.ingest.run import (
    DEFAULT_ROWS_PER_SHARD,
    IngestSummary,
    ingest_coco_dataset,
    ingest_label_studio_dataset,
    ingest_scene_graph_json_dataset,
    ingest_visual_genome_dataset,
)

__all__ = [
    "DEFAULT_ROWS_PER_SHARD",
    "IngestSummary",
    "MalformedJsonError",
    "ingest_coco_dataset",
    "ingest_label_studio_dataset",
    "ingest_scene_graph_json_dataset",
    "ingest_visual_genome_dataset",
]

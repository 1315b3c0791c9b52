"""The manifest of an ingested relation benchmark (``rlipv2 ingest hico-det | v-coco |
open-images``): its vocabulary's source, its splits (each an ingested dataset of its own) and
zero-shot settings, and its tables (``label_space``, ``label_combinations``)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from data_schemas.table_counts import TableCount


class BenchmarkManifest(BaseModel):
    """``manifest.json`` of an ingested relation benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["benchmark"] = "benchmark"
    manifest_version: Literal[1] = 1
    benchmark: str
    """The benchmark's protocol: ``hico-det``, ``v-coco`` or ``open-images``."""
    root: Path
    """The directory it was read from."""
    vocabulary: str
    """Where its vocabulary came from: a file, ``rlipv2`` (shipped) or ``root`` (its files)."""
    splits: list[str]
    zero_shot_settings: list[str]
    tables: dict[str, TableCount] = {}

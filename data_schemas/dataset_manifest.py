"""The manifest of an ingested dataset (``rlipv2 ingest``): where it was read from, what was
kept and rejected, and its tables."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from data_schemas.rejects import RejectReason
from data_schemas.table_counts import TableCount


class DatasetSources(BaseModel):
    """The files a dataset was ingested from (those of its format), and its image directory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instances: Path | None = None
    captions: Path | None = None
    image_data: Path | None = None
    objects: Path | None = None
    relationships: Path | None = None
    image_root: Path | None = None
    """``--image-root``: the directory the images' file names are relative to."""


class DatasetManifest(BaseModel):
    """``manifest.json`` of an ingested dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["dataset"] = "dataset"
    manifest_version: Literal[1] = 1
    dataset: str
    """The dataset's name, as recorded in its rows."""
    split: str
    sources: DatasetSources
    counts: dict[str, int]
    rejects: dict[str, int]
    """Rejected records by :class:`~data_schemas.rejects.RejectReason` value."""
    tables: dict[str, TableCount] = {}

    def missing_image_files(self) -> int:
        """How many image files the ingest found missing (they may have arrived since)."""
        return self.rejects.get(RejectReason.MISSING_IMAGE_FILE.value, 0)

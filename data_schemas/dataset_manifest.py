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
    blip_captions: Path | None = None
    """The paper's BLIP caption file (``model_large_caption_nucleus10.json``)."""
    image_data: Path | None = None
    objects: Path | None = None
    relationships: Path | None = None
    annotations: Path | None = None
    """A relation benchmark's annotation file of the split (``trainval_hico.json``, ...), a
    scene-graph JSON of the paper's, or a Label Studio export of reviewed tasks."""
    image_paths: Path | None = None
    """Objects365's ``image_id_to_filepath.json`` (image id -> file under the image root)."""
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

"""The manifest of a labelling run (``rlipv2 label``), written once all its tables are
published."""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class LabelRunManifest(BaseModel):
    """``OUT/manifest.json`` of a labelling run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["label_run"] = "label_run"
    manifest_version: Literal[1] = 1
    dataset: Path
    """The ingested dataset the run labelled."""
    plan: dict[str, Any]
    """Everything that decided the run's outputs (``pipeline.labelling.LabelPlan``), as JSON."""
    summary: dict[str, Any]
    """The run's totals (``pipeline.labelling.LabelRunSummary``), as JSON."""
    table_shards: dict[str, int] = {}
    """Shard files of each published table."""
    tagger_id: str | None = None
    """The tagger that scored the run's relations (``<checkpoint>@<sha256 prefix>``, as in every
    ``tagged_relations`` row); None for a run without the tag stage, or written before
    rlipv2 recorded it."""

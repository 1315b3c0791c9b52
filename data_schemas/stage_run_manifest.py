"""The manifest of a run of some labelling stages on their own (``rlipv2 candidates``,
``rlipv2 tag``): its inputs, settings, each stage's totals and its tables."""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_counts import TableCount

SettingValue = str | int | float | bool | None


class StageTotals(BaseModel):
    """One stage's counts and histograms, summed over the shards it ran on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: dict[str, int] = {}
    histograms: dict[str, dict[str, int]] = {}

    @classmethod
    def of_shards(cls, shards: Iterable[ShardManifest]) -> "StageTotals":
        """The sums of the counts and of the histograms of ``shards`` (keys in first-seen order)."""
        counts: Counter[str] = Counter()
        histograms: dict[str, Counter[str]] = {}
        for shard in shards:
            counts.update(shard.counts)
            for name, histogram in shard.histograms.items():
                histograms.setdefault(name, Counter()).update(histogram)
        return cls(
            counts=dict(counts),
            histograms={name: dict(histogram) for name, histogram in histograms.items()},
        )


class StageRunManifest(BaseModel):
    """``OUT/manifest.json`` of a stage run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["stage_run"] = "stage_run"
    manifest_version: Literal[1] = 1
    command: str
    """The ``rlipv2`` command that wrote it."""
    dataset: Path
    """The ingested dataset (images, entities) the run read."""
    candidates: Path | None = None
    """The candidate run whose candidates were tagged (``rlipv2 tag``)."""
    settings: dict[str, SettingValue] = {}
    """What decided the outputs beyond the inputs (the tagger, the thresholds, ...)."""
    stages: dict[str, StageTotals] = {}
    tables: dict[str, TableCount] = {}

"""Export the scene graphs of a run for other tools, cut at a confidence."""

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD, check_relation_threshold
from data_schemas.scene_graphs import SceneGraphRecord
from export.export_files import staged_export
from export.scene_graph_stream import (
    iter_scene_graphs,
    keep_confident,
    locate_scene_graphs,
)

logger = logging.getLogger(__name__)

DEFAULT_EXPORT_CONFIDENCE = DEFAULT_RELATION_THRESHOLD
"""Exports keep pseudo-labels at confidence >= 0.20, the cut RLIPv2 pretrains with."""


class SceneGraphExporter(Protocol):
    """Writes scene graphs in one format to ``out`` (a file or directory it creates)."""

    def write(self, scene_graphs: Iterable[SceneGraphRecord], out: Path) -> None: ...


@dataclass
class ExportCounts:
    """What an export wrote, and the relationships it left out below the cut."""

    images: int = 0
    objects: int = 0
    relationships: int = 0
    relationships_below_cut: int = 0


@dataclass(frozen=True)
class ExportSummary:
    """Where an export read from and wrote to, at which cut, and what it wrote."""

    source: Path
    out: Path
    min_confidence: float
    counts: ExportCounts
    seconds: float

    def as_text(self) -> str:
        """A short report for a terminal."""
        counts = self.counts
        return "\n".join(
            [
                f"exported {self.source} to {self.out} in {self.seconds:.1f}s",
                f"  images              {counts.images:>10,}",
                f"  objects             {counts.objects:>10,}",
                f"  relationships       {counts.relationships:>10,} (confidence >= "
                f"{self.min_confidence:g}, or human)",
                f"  below the cut       {counts.relationships_below_cut:>10,}",
            ]
        )


def export_run(
    path: Path,
    out: Path,
    exporter: SceneGraphExporter,
    *,
    min_confidence: float = DEFAULT_EXPORT_CONFIDENCE,
    overwrite: bool = False,
) -> ExportSummary:
    """Write the scene graphs of ``path`` (a run directory with a scene_graphs table, the table,
    or a shard) with ``exporter`` to ``out``, keeping relationships at ``min_confidence`` (human
    relations always) and every object. ``out`` appears only once complete.

    Raises:
        RLIPv2InputError: ``path`` has no scene graphs, or ``out`` exists and not ``overwrite``.
        ValueError: ``min_confidence`` is outside [0, 1].
    """
    check_relation_threshold(min_confidence)
    started = time.perf_counter()
    table = locate_scene_graphs(path)
    counts = ExportCounts()
    scene_graphs = tqdm(
        iter_scene_graphs(table), total=table.num_rows(), desc="export", unit="image", disable=None
    )
    with staged_export(out, overwrite=overwrite) as staging:
        exporter.write(_counted(scene_graphs, min_confidence, counts), staging)
    logger.info("wrote %s", out)
    return ExportSummary(
        source=path,
        out=out,
        min_confidence=min_confidence,
        counts=counts,
        seconds=time.perf_counter() - started,
    )


def _counted(
    scene_graphs: Iterable[SceneGraphRecord], min_confidence: float, counts: ExportCounts
) -> Iterator[SceneGraphRecord]:
    """``scene_graphs`` cut at ``min_confidence``, counted into ``counts`` as they pass."""
    for scene_graph in scene_graphs:
        kept = keep_confident(scene_graph, min_confidence)
        counts.images += 1
        counts.objects += len(kept.objects)
        counts.relationships += len(kept.relationships)
        counts.relationships_below_cut += len(scene_graph.relationships) - len(kept.relationships)
        yield kept

"""Ingest runs: one input dataset -> one committed directory of versioned Parquet tables.

Layout of the output directory ``OUT``::

    OUT/manifest.json                 sources, counts, rejects by reason, schema versions
    OUT/<table>/shard-00000.parquet   images, categories, entities, [captions], [relations,
                                      scene_graphs], rejects
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from data_schemas.dataset_manifest import DatasetManifest, DatasetSources
from data_schemas.entities import ENTITIES
from data_schemas.images import IMAGES
from data_schemas.parquet_io import read_table
from data_schemas.rejects import REJECTS, RejectReason
from data_schemas.relations import RELATIONS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.staged_output import StagedDatasetOutput
from pipeline.ingest.blip_caption_file import (
    BlipDecoding,
    blip_decoding_of,
    ingest_blip_caption_file,
)
from pipeline.ingest.caption_file import ingest_caption_file
from pipeline.ingest.coco_format import ingest_coco_format
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.label_studio_review import ingest_label_studio_review
from pipeline.ingest.rejection import RejectLog
from pipeline.ingest.scene_graph_assembly import assemble_scene_graphs
from pipeline.ingest.scene_graph_json import ingest_scene_graph_json
from pipeline.ingest.visual_genome import ingest_visual_genome

logger = logging.getLogger(__name__)

DEFAULT_ROWS_PER_SHARD = 100_000


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest run wrote and dropped."""

    out_dir: Path
    dataset: str
    split: str
    counts: IngestCounts
    rejects: dict[RejectReason, int]
    seconds: float

    def format(self) -> str:
        """A short human-readable report, as printed at the end of ``rlipv2 ingest``."""
        lines = [f"ingested {self.dataset}/{self.split} into {self.out_dir} in {self.seconds:.1f}s"]
        lines += [f"  {name:<14} {value:>10,}" for name, value in self.counts.as_dict().items()]
        total = sum(self.rejects.values())
        lines.append(f"  {'rejected':<14} {total:>10,}" + ("" if total else " (none)"))
        lines += [
            f"    {reason.value:<20} {count:>10,}"
            for reason, count in sorted(self.rejects.items(), key=lambda item: -item[1])
        ]
        if total:
            lines.append(f"  rejected records and reasons: {self.out_dir / REJECTS.name}")
        return "\n".join(lines)


def ingest_coco_dataset(
    instances_json: Path,
    *,
    out_dir: Path,
    dataset: str,
    split: str,
    image_root: Path | None = None,
    captions_json: Path | None = None,
    blip_captions_json: Path | None = None,
    blip_decoding: BlipDecoding | None = None,
    rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
    overwrite: bool = False,
) -> IngestSummary:
    """Ingest a COCO-format instances file (COCO or Objects365), with optional human captions
    and the paper's BLIP captions (``blip_decoding``: by default what the file's name says)."""
    if blip_captions_json is not None and blip_decoding is None:
        blip_decoding = blip_decoding_of(blip_captions_json)

    def read(output: StagedDatasetOutput, rejects: RejectLog, counts: IngestCounts) -> None:
        images = ingest_coco_format(
            instances_json,
            dataset=dataset,
            split=split,
            image_root=image_root,
            output=output,
            rejects=rejects,
            counts=counts,
        )
        if captions_json is not None:
            ingest_caption_file(
                captions_json, images=images, output=output, rejects=rejects, counts=counts
            )
        if blip_captions_json is not None:
            ingest_blip_caption_file(
                blip_captions_json, method=blip_decoding, images=images, output=output,
                rejects=rejects, counts=counts,
            )

    sources = DatasetSources(
        instances=instances_json,
        captions=captions_json,
        blip_captions=blip_captions_json,
        image_root=image_root,
    )
    return run_ingest(read, sources, out_dir, dataset, split, rows_per_shard, overwrite)


def ingest_visual_genome_dataset(
    image_data_json: Path,
    *,
    relationships_json: Path,
    out_dir: Path,
    dataset: str,
    split: str,
    objects_json: Path | None = None,
    image_root: Path | None = None,
    rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
    overwrite: bool = False,
) -> IngestSummary:
    """Ingest Visual Genome files, and assemble their human scene graphs."""

    def read(output: StagedDatasetOutput, rejects: RejectLog, counts: IngestCounts) -> None:
        ingest_visual_genome(
            image_data_json,
            objects_json=objects_json,
            relationships_json=relationships_json,
            dataset=dataset,
            split=split,
            image_root=image_root,
            output=output,
            rejects=rejects,
            counts=counts,
        )
        write_scene_graphs(output, counts)

    sources = DatasetSources(
        image_data=image_data_json,
        objects=objects_json,
        relationships=relationships_json,
        image_root=image_root,
    )
    return run_ingest(read, sources, out_dir, dataset, split, rows_per_shard, overwrite)


def ingest_scene_graph_json_dataset(
    scene_graphs_json: Path,
    *,
    image_root: Path,
    out_dir: Path,
    dataset: str,
    split: str,
    image_paths_json: Path | None = None,
    rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
    overwrite: bool = False,
) -> IngestSummary:
    """Ingest scene graphs in the paper's JSON (released pseudo-labels, VG's
    ``scene_graphs_after_preprocessing.json``), confidences kept; rows keep each record's
    dataset and image folder, ``dataset`` and ``split`` name the whole in the manifest."""

    def read(output: StagedDatasetOutput, rejects: RejectLog, counts: IngestCounts) -> None:
        ingest_scene_graph_json(
            scene_graphs_json,
            image_root=image_root,
            image_paths_json=image_paths_json,
            dataset=dataset,
            output=output,
            rejects=rejects,
            counts=counts,
        )
        write_scene_graphs(output, counts)

    sources = DatasetSources(
        annotations=scene_graphs_json, image_paths=image_paths_json, image_root=image_root
    )
    return run_ingest(read, sources, out_dir, dataset, split, rows_per_shard, overwrite)


def ingest_label_studio_dataset(
    export_json: Path,
    *,
    out_dir: Path,
    dataset: str,
    split: str,
    image_root: Path | None = None,
    rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
    overwrite: bool = False,
) -> IngestSummary:
    """Ingest a Label Studio export of reviewed tasks as human scene graphs, with the review's
    outcomes (boxes and relations accepted, corrected, added, deleted) in the counts."""

    def read(output: StagedDatasetOutput, rejects: RejectLog, counts: IngestCounts) -> None:
        ingest_label_studio_review(
            export_json, image_root=image_root, dataset=dataset, output=output, rejects=rejects,
            counts=counts,
        )
        write_scene_graphs(output, counts)

    sources = DatasetSources(annotations=export_json, image_root=image_root)
    return run_ingest(read, sources, out_dir, dataset, split, rows_per_shard, overwrite)


def write_scene_graphs(output: StagedDatasetOutput, counts: IngestCounts) -> None:
    """Close the ``images``, ``entities`` and ``relations`` tables of ``output`` and join them
    into its ``scene_graphs`` table (human relations: what training reads)."""
    for spec in (IMAGES, ENTITIES, RELATIONS):
        output.close_writer(spec)
    scene_graphs = output.writer(SCENE_GRAPHS)
    for row in assemble_scene_graphs(
        read_table(output.table_dir(IMAGES), IMAGES),
        read_table(output.table_dir(ENTITIES), ENTITIES),
        read_table(output.table_dir(RELATIONS), RELATIONS),
    ):
        scene_graphs.append(row)
        counts.scene_graphs += 1


def run_ingest(
    read: Callable[[StagedDatasetOutput, RejectLog, IngestCounts], None],
    sources: DatasetSources,
    out_dir: Path,
    dataset: str,
    split: str,
    rows_per_shard: int,
    overwrite: bool,
) -> IngestSummary:
    """Stage ``out_dir``, let ``read`` fill its tables and rejects, then commit it with a
    manifest of the sources, counts and rejects."""
    started = time.perf_counter()
    counts = IngestCounts()
    with StagedDatasetOutput(out_dir, rows_per_shard=rows_per_shard, overwrite=overwrite) as output:
        rejects = RejectLog(output.writer(REJECTS), stage="ingest")
        read(output, rejects, counts)
        summary = IngestSummary(
            out_dir=out_dir,
            dataset=dataset,
            split=split,
            counts=counts,
            rejects=dict(rejects.counts),
            seconds=time.perf_counter() - started,
        )
        output.commit(
            DatasetManifest(
                dataset=dataset,
                split=split,
                sources=sources,
                counts=counts.as_dict(),
                rejects={reason.value: count for reason, count in rejects.counts.items()},
            )
        )
    return summary

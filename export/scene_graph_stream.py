"""The scene graphs an export writes: read shard by shard, cut at a confidence."""

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import keeps_relationship
from data_schemas.scene_graphs import SCENE_GRAPHS, SceneGraphRecord
from inspection.located_output import locate_output
from inspection.table_files import TableFiles

_BATCH_ROWS = 1024


def locate_scene_graphs(path: Path) -> TableFiles:
    """The ``scene_graphs`` table of ``path``: a run or dataset directory that has one, the
    table's directory, or one of its shard files.

    Raises:
        RLIPv2InputError: ``path`` is not an rlipv2 output, or is or holds no scene_graphs table
            (e.g. a candidates run: tag it first).
    """
    located = locate_output(path)
    for table in located.tables:
        if table.spec.name == SCENE_GRAPHS.name:
            return table
    names = ", ".join(table.spec.name for table in located.tables)
    raise RLIPv2InputError(
        f"{path} has no {SCENE_GRAPHS.name!r} table (it has {names}); exports read the scene "
        "graphs that tagging (rlipv2 tag, or the label flow) writes, or a Visual Genome ingest"
    )


def iter_scene_graphs(table: TableFiles) -> Iterator[SceneGraphRecord]:
    """Every scene graph of ``table`` (validated), shard by shard, a batch of rows at a time."""
    for file in table.files:
        for batch in pq.ParquetFile(file, page_checksum_verification=True).iter_batches(
            batch_size=_BATCH_ROWS
        ):
            for row in batch.to_pylist():
                yield SceneGraphRecord.model_validate(row)


def keep_confident(scene_graph: SceneGraphRecord, min_confidence: float) -> SceneGraphRecord:
    """``scene_graph`` with only the relationships kept at ``min_confidence`` (human relations,
    with no confidence, always); objects are all kept."""
    kept = [
        relationship
        for relationship in scene_graph.relationships
        if keeps_relationship(relationship.confidence, min_confidence)
    ]
    return scene_graph.model_copy(update={"relationships": kept})

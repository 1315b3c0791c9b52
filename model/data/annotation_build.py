"""Building a ``scene_graphs`` table's annotation store: its Parquet batches read one at a time,
filtered, paired and appended as columns (:mod:`model.data.scene_graph_columns`), and its
malformed relationships written beside them as rejects."""

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from data_schemas.parquet_io import iter_table_batches, read_table, write_table_atomic
from data_schemas.rejects import (
    REJECTS,
    Rejection,
    RejectReason,
    RejectRecord,
    reserved_name_rejection,
)
from data_schemas.relation_confidence import check_relation_threshold
from data_schemas.scene_graphs import SCENE_GRAPHS
from model.data.annotation_store import AnnotationStoreWriter, TableCounts
from model.data.freed_memory import return_freed_memory
from model.data.scene_graph_columns import (
    OBJECT_MISSING,
    PROBLEM_NONE,
    SUBJECT_MISSING,
    SUBJECT_RESERVED,
    BatchColumns,
    RelationshipProblems,
    TextIndex,
    flatten_batch,
    pair_relations,
    relationship_problems,
    reserved_flags,
)
from model.data.training_rejects import training_reject

logger = logging.getLogger(__name__)

REJECTS_FILE = "rejects.parquet"
_BATCH_ROWS = 8192  # images per step: bounds the temporaries (and what the allocator keeps)

ImagesWithoutRelations = Literal["drop", "keep"]
"""What becomes of an image none of whose relationships is kept: RLIPv2's pre-training on
pseudo-labels drops it, its R-Tagger and its Visual-Genome-only pre-training keep it (the
entity slots still learn "no objects" from it)."""


@dataclass(frozen=True)
class ReadingSettings:
    """What decides which relationships and images of a table are kept."""

    relation_threshold: float
    images_without_relations: ImagesWithoutRelations = "drop"

    def __post_init__(self) -> None:
        check_relation_threshold(self.relation_threshold)
        if self.images_without_relations not in ("drop", "keep"):
            raise ValueError(
                "images_without_relations must be 'drop' or 'keep', "
                f"got {self.images_without_relations!r}"
            )


@dataclass(frozen=True)
class BuildTimes:
    """Seconds spent reading Parquet, and filtering, pairing and writing the columns."""

    read_seconds: float = 0.0
    pair_seconds: float = 0.0


def build_annotation_store(
    table: Path, directory: Path, settings: ReadingSettings
) -> BuildTimes:
    """Write the store of ``table`` (a shard directory or one file) into ``directory`` (new).

    Raises:
        RLIPv2InputError: a file of the table is missing, truncated or corrupt (named).
        SchemaMismatchError: a file is another table or schema version.
    """
    writer = AnnotationStoreWriter(directory)
    names, predicates, datasets = TextIndex(), TextIndex(), TextIndex()
    counts = TableCounts()
    rejects: list[RejectRecord] = []
    read_seconds = pair_seconds = 0.0
    reserved = np.zeros(0, dtype=bool)
    batches = iter_table_batches(table, SCENE_GRAPHS, batch_size=_BATCH_ROWS)
    while True:
        start = time.perf_counter()
        item = next(batches, None)
        read_seconds += time.perf_counter() - start
        if item is None:
            break
        start = time.perf_counter()
        columns = flatten_batch(item[1], names=names, predicates=predicates, datasets=datasets)
        reserved = reserved_flags(names, known=reserved)
        problems = relationship_problems(columns, reserved)
        paired = pair_relations(
            columns,
            problems,
            reserved=reserved,
            relation_threshold=settings.relation_threshold,
            keep_images_without_relations=settings.images_without_relations == "keep",
        )
        writer.append(columns, paired)
        malformed = int(np.count_nonzero(problems.codes != PROBLEM_NONE))
        counts += TableCounts(
            images_read=columns.num_images,
            images_without_relations=columns.num_images
            - int(np.count_nonzero(np.diff(paired.pair_offsets))),
            relations_read=len(problems.codes),
            relations_below_threshold=len(problems.codes) - malformed
            - int(paired.relations_kept.sum()),
            relations_malformed=malformed,
        )
        rejects += relationship_rejects(columns, problems, source_file=str(table))
        pair_seconds += time.perf_counter() - start
    writer.finish(entity_texts=names.texts, predicate_texts=predicates.texts,
                  dataset_texts=datasets.texts, counts=counts)
    write_table_atomic(REJECTS.to_arrow(rejects), directory / REJECTS_FILE, REJECTS)
    pa.default_memory_pool().release_unused()  # Arrow keeps freed batches for reuse otherwise
    return_freed_memory()
    return BuildTimes(read_seconds=read_seconds, pair_seconds=pair_seconds)


def relationship_rejects(
    columns: BatchColumns, problems: RelationshipProblems, *, source_file: str
) -> list[RejectRecord]:
    """A reject for each malformed relationship of the batch, in table order."""
    images = np.repeat(columns.image_ids, np.diff(columns.relationship_offsets))
    rejects = []
    for index in np.flatnonzero(problems.codes != PROBLEM_NONE).tolist():
        code = int(problems.codes[index])
        role = "subject" if code in (SUBJECT_MISSING, SUBJECT_RESERVED) else "object"
        entity_id = int((columns.subject_entity_ids if role == "subject"
                         else columns.object_entity_ids)[index])
        if code in (SUBJECT_MISSING, OBJECT_MISSING):
            problem = Rejection(
                RejectReason.UNKNOWN_ENTITY,
                f"its {role} is entity {entity_id}, which is not among the image's objects",
            )
        else:
            problem = reserved_name_rejection(f"its {role} (entity {entity_id})")
        rejects.append(training_reject(
            source_file, "relationship", int(columns.relationship_ids[index]),
            int(images[index]), problem,
        ))
    return rejects


def read_rejects(directory: Path) -> tuple[RejectRecord, ...]:
    """The rejects :func:`build_annotation_store` wrote into ``directory``."""
    return tuple(REJECTS.to_records(read_table(directory / REJECTS_FILE, REJECTS)))

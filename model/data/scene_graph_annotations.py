"""Relation annotations read from ``scene_graphs`` tables: filtered by confidence, grouped by pair.

Human annotations (``confidence`` None) and pseudo-labels share the table; a relationship is kept
iff ``confidence is None or confidence >= relation_threshold`` (RLIPv2 pre-trains with 0.20).
Kept relationships are grouped into unique ordered (subject, object) pairs, each with the set of
its predicates. An image left without any pair is dropped, or kept when the reading settings
say so (see :data:`~model.data.annotation_build.ImagesWithoutRelations`). The image's other
objects are kept as its unrelated entities (the R-Tagger's negatives).

The table is read into an annotation store (numpy columns, memory-mapped, shared by the ranks of
a host and reused by later runs: :mod:`model.data.annotation_cache`); items are decoded from it
on access (:class:`~model.data.training_annotations.TrainingAnnotations`).

Bad input is set aside, not trained on and not fatal: a relationship naming an entity the image
lacks, or an entity called "no objects" (in any case: the text the model keeps for unmatched
slots), and an image whose file is missing, outside its root, unreadable or of another size
than the table's, each become a :class:`~data_schemas.rejects.RejectRecord` (stage
:data:`~model.data.training_rejects.STAGE`), counted and logged. Image headers are checked at
every start, so a file that went missing since the last run is set aside, not trained on. A
source none of whose images can be used is an error: its ``image_root`` is most likely wrong.
A truncated or corrupt table file is an error naming the file.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_schemas.errors import RLIPv2InputError
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import Rejection, RejectRecord
from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD
from model.data.annotation_build import (
    ImagesWithoutRelations,
    ReadingSettings,
    read_rejects,
)
from model.data.annotation_cache import shared_annotation_store
from model.data.annotation_store import AnnotationStore
from model.data.fieldwise_sum import FieldwiseSum
from model.data.freed_memory import return_freed_memory
from model.data.image_files import image_file_problems
from model.data.training_annotations import StoreSelection, TrainingAnnotations
from model.data.training_rejects import training_reject
from model.distributed import computed_on_rank_zero

logger = logging.getLogger(__name__)

_HEADER_CHUNK = 4096  # image headers checked per step (bounds the paths held at once)
_PROGRESS_SECONDS = 10.0


@dataclass(frozen=True)
class SceneGraphSource:
    """A ``scene_graphs`` table (shard directory) and the root its ``file_name``s are under."""

    scene_graphs_dir: Path
    image_root: Path


@dataclass(frozen=True)
class RelationFilterCounts(FieldwiseSum):
    """What reading kept, dropped and rejected (relationships are counted before pairing).

    ``images_read = images_kept + images_dropped + images_rejected``, where dropped images kept
    no relation (when such images are dropped) and rejected ones have an unusable file;
    ``images_without_relations`` of the kept images have no relation (when such images are
    kept). ``relations_read = relations_kept + relations_below_threshold +
    relations_rejected``, where rejected relations are malformed or were kept by the threshold
    in a rejected image.
    """

    images_read: int = 0
    images_kept: int = 0
    images_dropped: int = 0
    images_rejected: int = 0
    images_without_relations: int = 0
    relations_read: int = 0
    relations_kept: int = 0
    relations_below_threshold: int = 0
    relations_rejected: int = 0
    pairs_kept: int = 0


@dataclass(frozen=True)
class StartupTimes(FieldwiseSum):
    """Seconds of a reading: Parquet, filtering and pairing (both none when the annotation
    store was found), and the image header checks."""

    read_seconds: float = 0.0
    pair_seconds: float = 0.0
    header_check_seconds: float = 0.0


@dataclass(frozen=True)
class AnnotationReading(FieldwiseSum):
    """The images to train on, what reading counted, what it set aside, and what it cost;
    readings of several sources add up."""

    annotations: TrainingAnnotations
    counts: RelationFilterCounts
    rejects: tuple[RejectRecord, ...]
    times: StartupTimes = StartupTimes()


def image_file_rejections(
    store: AnnotationStore, image_root: Path
) -> list[tuple[int, Rejection]]:
    """The store's images whose file cannot be trained on (see
    :func:`~model.data.image_files.image_file_problem`), as (store index, why)."""
    rejections = []
    last_report = time.monotonic()
    for start in range(0, len(store), _HEADER_CHUNK):
        indices = range(start, min(start + _HEADER_CHUNK, len(store)))
        files = [(image_root / store.file_name(index), store.image_size(index))
                 for index in indices]
        problems = image_file_problems(files, image_root=image_root)
        rejections += [(index, problem) for index, problem in zip(indices, problems, strict=True)
                       if problem is not None]
        if time.monotonic() - last_report > _PROGRESS_SECONDS:
            logger.info("checked %d of %d image headers under %s", indices.stop, len(store),
                        image_root)
            last_report = time.monotonic()
    return_freed_memory()  # what the checking threads allocated
    return rejections


def read_scene_graph_annotations(
    source: SceneGraphSource,
    *,
    relation_threshold: float = DEFAULT_RELATION_THRESHOLD,
    images_without_relations: ImagesWithoutRelations = "drop",
    cache_dir: Path | None = None,
) -> AnnotationReading:
    """Read one ``scene_graphs`` table (a shard directory or one file), filter it, and set aside
    malformed relationships and unusable image files.

    ``cache_dir`` keeps the table's annotation store for the host's other ranks and for later
    runs (see :mod:`model.data.annotation_cache`); None builds a private one.

    Raises:
        RLIPv2InputError: the table is missing, truncated or corrupt, or another table or
            schema version; or the image root is not a directory, or no image with a kept
            relation can be used.
    """
    source_file = str(source.scene_graphs_dir)
    if not source.image_root.is_dir():
        raise RLIPv2InputError(
            f"image_root {source.image_root} of {source_file} is not a directory"
        )
    settings = ReadingSettings(relation_threshold, images_without_relations)
    cached = shared_annotation_store(source.scene_graphs_dir, settings, cache_dir)
    store = cached.store
    start = time.perf_counter()
    logger.info("reading the headers of %d image files under %s", len(store), source.image_root)
    rejections = computed_on_rank_zero(lambda: image_file_rejections(store, source.image_root))
    header_check_seconds = time.perf_counter() - start
    rejected = np.array([index for index, _ in rejections], dtype=np.int64)
    selection = StoreSelection(store=store, image_root=source.image_root, rejected=rejected)
    image_rejects = tuple(
        training_reject(source_file, "image", image_id, image_id, problem)
        for image_id, problem in (
            (int(store.columns["image_ids"][index]), problem) for index, problem in rejections
        )
    )
    reading = AnnotationReading(
        annotations=TrainingAnnotations([selection]),
        counts=_counts(selection, keep_without_relations=images_without_relations == "keep"),
        rejects=read_rejects(store.directory) + image_rejects,
        times=StartupTimes(
            read_seconds=cached.times.read_seconds,
            pair_seconds=cached.times.pair_seconds,
            header_check_seconds=header_check_seconds,
        ),
    )
    _log_reading(reading, source, relation_threshold)
    counts = reading.counts
    if counts.images_rejected and not reading.annotations:
        reasons = Counter(reject.reason.value for reject in reading.rejects
                          if reject.record_kind == "image")
        raise RLIPv2InputError(
            f"none of the {counts.images_rejected} images of {source_file} that keep a relation "
            f"can be used ({', '.join(f'{n} {reason}' for reason, n in reasons.items())}); is "
            f"image_root {source.image_root} right?"
        )
    return reading


def _counts(selection: StoreSelection, *, keep_without_relations: bool) -> RelationFilterCounts:
    store, kept = selection.store, selection.kept()
    table = store.counts
    relations_kept = store.columns["relations_kept"]
    kept_relations = int(relations_kept[kept].sum())
    pairs = store.pairs_per_image()
    return RelationFilterCounts(
        images_read=table.images_read,
        images_kept=len(selection),
        images_dropped=0 if keep_without_relations else table.images_without_relations,
        images_rejected=len(selection.rejected),
        images_without_relations=int(np.count_nonzero(pairs[kept] == 0)),
        relations_read=table.relations_read,
        relations_kept=kept_relations,
        relations_below_threshold=table.relations_below_threshold,
        relations_rejected=table.relations_malformed + int(relations_kept.sum()) - kept_relations,
        pairs_kept=int(pairs[kept].sum()),
    )


def _log_reading(
    reading: AnnotationReading, source: SceneGraphSource, relation_threshold: float
) -> None:
    counts, times = reading.counts, reading.times
    logger.info(
        "%s: kept %d of %d images (%d with relations, %d without; %d dropped without "
        "relations, %d rejected), %d of %d relations (%d below confidence %.2f, %d rejected), "
        "%d pairs; read %.1fs, filtered and paired %.1fs, headers checked %.1fs",
        source.scene_graphs_dir,
        counts.images_kept,
        counts.images_read,
        counts.images_kept - counts.images_without_relations,
        counts.images_without_relations,
        counts.images_dropped,
        counts.images_rejected,
        counts.relations_kept,
        counts.relations_read,
        counts.relations_below_threshold,
        relation_threshold,
        counts.relations_rejected,
        counts.pairs_kept,
        times.read_seconds,
        times.pair_seconds,
        times.header_check_seconds,
    )
    warnings = RejectWarnings(logger)
    for reject in reading.rejects:
        warnings.warn(reject)

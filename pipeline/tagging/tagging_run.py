"""The tagging run of one dataset: candidates -> tagged relations -> pseudo-labelled scene graphs.

Reads an ingested dataset (``images``, ``entities`` tables) and a candidate run's ``candidates``
table, tags image by image with a :class:`~pipeline.tagging.relation_scorer.RelationScorer` and
writes one directory::

    OUT/manifest.json          options, tagger id, counts, kept relations by threshold, predicates
    OUT/tagged_relations/…     every (pair, text) scored at or above the save threshold
    OUT/scene_graphs/…         one scene graph per tagged image: all its entities, and its tagged
                               relations with confidence = score (the table pre-training reads)
    OUT/rejects/…              images the scorer could not use

Relationship ids count from 1 over the run: images by ascending id, then the order of
:func:`~pipeline.tagging.tag_candidates.tag_image` (pair first-seen, then text first-seen), so
the same inputs and scores give the same ids.
"""

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from data_schemas.candidates import CANDIDATES, CandidateRecord
from data_schemas.entities import ENTITIES, EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.parquet_io import read_table
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import REJECTS, RejectReason, RejectRecord
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.tagged_relations import TAGGED_RELATIONS, TaggedRelationRecord
from model.data.image_files import ImageFileError
from pipeline.image_groups import ImageGroupCursor, table_rows
from pipeline.staged_output import StagedDatasetOutput
from pipeline.tagging.relation_scorer import (
    RelationScorer,
    dataset_category_names,
    scorer_for_categories,
)
from pipeline.tagging.tag_candidates import (
    candidate_pairs_and_texts,
    check_scorer_max_pairs,
    check_tagging_options,
    tag_image,
)
from pipeline.tagging.tagged_scene_graph import tagged_scene_graph

logger = logging.getLogger(__name__)

STAGE = "tag"
REPORTED_THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
"""Relations kept at these confidences are counted (RLIPv2 pre-trains at 0.20)."""
TOP_PREDICATES = 20


@dataclass
class TaggingCounts:
    """Counts of a tagging run, accumulated image by image.

    ``images`` and ``images_with_candidates`` count every image read, the rest only the images
    tagged (not rejected).
    """

    images: int = 0
    images_with_candidates: int = 0
    images_rejected: int = 0
    pairs_scored: int = 0
    pair_texts_scored: int = 0
    relations_kept: int = 0
    relations_at_threshold: Counter[float] = field(default_factory=Counter)
    predicates: Counter[str] = field(default_factory=Counter)

    def totals(self) -> dict[str, int]:
        """The scalar counts by name."""
        return {
            "images": self.images,
            "images_with_candidates": self.images_with_candidates,
            "images_rejected": self.images_rejected,
            "pairs_scored": self.pairs_scored,
            "pair_texts_scored": self.pair_texts_scored,
            "relations_kept": self.relations_kept,
        }

    def add_tagged_image(
        self, candidates: list[CandidateRecord], relations: list[TaggedRelationRecord]
    ) -> None:
        pairs, texts = candidate_pairs_and_texts(candidates)
        self.pairs_scored += len(pairs)
        self.pair_texts_scored += len(pairs) * len(texts)
        self.relations_kept += len(relations)
        self.predicates.update(relation.relation for relation in relations)
        for threshold in REPORTED_THRESHOLDS:
            self.relations_at_threshold[threshold] += sum(
                relation.score >= threshold for relation in relations
            )


@dataclass(frozen=True)
class TaggingSummary:
    """What a tagging run scored, kept and rejected."""

    out_dir: Path
    tagger_id: str
    save_threshold: float
    top_k_per_pair: int | None
    counts: TaggingCounts
    seconds: float

    def _reported_thresholds(self) -> list[float]:
        """The thresholds of :data:`REPORTED_THRESHOLDS` this run's save threshold can tell."""
        return [threshold for threshold in REPORTED_THRESHOLDS if threshold >= self.save_threshold]

    def format(self) -> str:
        counts = self.counts
        lines = [
            f"tagged relations written to {self.out_dir} in {self.seconds:.1f}s",
            f"  tagger              {self.tagger_id}",
            f"  images              {counts.images:>10,}",
            f"  with candidates     {counts.images_with_candidates:>10,}",
            f"  rejected images     {counts.images_rejected:>10,}",
            f"  pairs scored        {counts.pairs_scored:>10,}",
            f"  (pair, text) scored {counts.pair_texts_scored:>10,}",
            f"  relations kept      {counts.relations_kept:>10,} (score >= {self.save_threshold:g}"
            + ("" if self.top_k_per_pair is None else f", top {self.top_k_per_pair} per pair")
            + ")",
        ]
        lines += [
            f"    score >= {threshold:<8g} {counts.relations_at_threshold[threshold]:>10,}"
            for threshold in self._reported_thresholds()
        ]
        top = counts.predicates.most_common(5)
        if top:
            lines.append(
                "  top predicates      " + ", ".join(f"{text} ({count:,})" for text, count in top)
            )
        return "\n".join(lines)

    def manifest(self) -> dict:
        counts = self.counts
        return {
            "tagger_id": self.tagger_id,
            "save_threshold": self.save_threshold,
            "top_k_per_pair": self.top_k_per_pair,
            **counts.totals(),
            "relations_at_threshold": {
                f"{threshold:g}": counts.relations_at_threshold[threshold]
                for threshold in self._reported_thresholds()
            },
            "predicate_kinds": len(counts.predicates),
            "top_predicates": dict(counts.predicates.most_common(TOP_PREDICATES)),
        }


def run_tagging(
    dataset_dir: Path,
    candidates_dir: Path,
    out_dir: Path,
    *,
    scorer: RelationScorer,
    image_root: Path,
    save_threshold: float,
    top_k_per_pair: int | None,
    rows_per_shard: int,
    overwrite: bool,
) -> TaggingSummary:
    """Tag the candidates of ``candidates_dir`` (a candidate run's output directory) over the
    images and entities of ``dataset_dir``, whose files are under ``image_root``.

    Options as in :func:`~pipeline.tagging.tag_candidates.tag_image`. An image the scorer raises
    :class:`RLIPv2InputError` for is written to ``rejects`` and gets no scene graph; every other
    image gets one, with no relationships when it has no candidates (such an image is never
    opened, so a bad file without candidates is not rejected). The output directory appears
    only once complete.

    Raises:
        RLIPv2InputError: a table is missing or of another schema, or the candidates name images
            or entities ``dataset_dir`` does not have (built from another dataset).
        ValueError: bad options, a scorer's ``max_pairs`` below 1, or the scorer broke its
            contract.
    """
    check_tagging_options(save_threshold=save_threshold, top_k_per_pair=top_k_per_pair)
    check_scorer_max_pairs(scorer)
    scorer = scorer_for_categories(scorer, dataset_category_names(dataset_dir))
    started = time.perf_counter()
    images = read_table(dataset_dir / IMAGES.name, IMAGES)
    entities = read_table(dataset_dir / ENTITIES.name, ENTITIES)
    candidates = read_table(candidates_dir / CANDIDATES.name, CANDIDATES)
    _check_candidate_images(candidates, images, candidates_dir, dataset_dir)
    counts = TaggingCounts()
    next_relationship_id = 1
    with StagedDatasetOutput(out_dir, rows_per_shard=rows_per_shard, overwrite=overwrite) as output:
        relation_writer = output.writer(TAGGED_RELATIONS)
        scene_graph_writer = output.writer(SCENE_GRAPHS)
        reject_writer = output.writer(REJECTS)
        tagged = tag_images(
            images,
            entities,
            candidates,
            scorer,
            image_root=image_root,
            save_threshold=save_threshold,
            top_k_per_pair=top_k_per_pair,
            counts=counts,
            candidates_source=candidates_dir,
        )
        for item in tqdm(tagged, total=images.num_rows, desc="tag", unit="image", disable=None):
            if isinstance(item, RejectRecord):
                reject_writer.append(item.model_dump(mode="json"))
                continue
            for relation in item.relations:
                relation_writer.append(relation.model_dump())
            scene_graph = tagged_scene_graph(
                item.image,
                item.entities,
                item.relations,
                first_relationship_id=next_relationship_id,
            )
            next_relationship_id += len(item.relations)
            scene_graph_writer.append(scene_graph.model_dump())
        summary = TaggingSummary(
            out_dir=out_dir,
            tagger_id=scorer.tagger_id,
            save_threshold=save_threshold,
            top_k_per_pair=top_k_per_pair,
            counts=counts,
            seconds=time.perf_counter() - started,
        )
        output.commit(
            {"dataset": str(dataset_dir), "candidates": str(candidates_dir), **summary.manifest()}
        )
    return summary


@dataclass(frozen=True)
class TaggedImage:
    """One image's entities and the relations kept for it."""

    image: ImageRecord
    entities: list[EntityRecord]
    relations: list[TaggedRelationRecord]


def tag_images(
    images: pa.Table,
    entities: pa.Table,
    candidates: pa.Table,
    scorer: RelationScorer,
    *,
    image_root: Path,
    save_threshold: float,
    top_k_per_pair: int | None,
    counts: TaggingCounts,
    candidates_source: Path,
) -> Iterator[TaggedImage | RejectRecord]:
    """Tag every image of ``images`` by ascending id: a :class:`TaggedImage`, or a reject when
    the scorer raises :class:`RLIPv2InputError` for it (its reason from an
    :class:`ImageFileError`, else ``unreadable_image``). ``entities`` and ``candidates`` are
    sorted by image id; counts are added to ``counts``.

    Raises:
        RLIPv2InputError: candidates name entities the image does not have (built from another
            dataset; ``candidates_source`` is named in the message).
    """
    image_entities = ImageGroupCursor(entities)
    image_candidates = ImageGroupCursor(candidates)
    warnings = RejectWarnings(logger)
    for row in table_rows(images.sort_by("image_id")):
        image = ImageRecord.model_validate(row)
        entity_records = [
            EntityRecord.model_validate(entity_row)
            for entity_row in image_entities.rows_of(image.image_id)
        ]
        candidate_records = [
            CandidateRecord.model_validate(candidate_row)
            for candidate_row in image_candidates.rows_of(image.image_id)
        ]
        _check_candidate_entities(image, entity_records, candidate_records, candidates_source)
        counts.images += 1
        counts.images_with_candidates += bool(candidate_records)
        try:
            relations = tag_image(
                image,
                entity_records,
                candidate_records,
                scorer,
                image_root=image_root,
                save_threshold=save_threshold,
                top_k_per_pair=top_k_per_pair,
            )
        except RLIPv2InputError as error:
            counts.images_rejected += 1
            reject = _unusable_image(image, error)
            warnings.warn(reject)
            yield reject
            continue
        counts.add_tagged_image(candidate_records, relations)
        yield TaggedImage(image=image, entities=entity_records, relations=relations)


def _unusable_image(image: ImageRecord, error: RLIPv2InputError) -> RejectRecord:
    """The reject of an image the scorer raised ``error`` for: an :class:`ImageFileError` says
    why (a missing file, a wrong size, ...); any other error is an unreadable image."""
    if isinstance(error, ImageFileError):
        reason = error.reason
    else:
        reason = RejectReason.UNREADABLE_IMAGE
    return RejectRecord(
        stage=STAGE,
        source_file=image.file_name,
        record_kind="image",
        record_id=str(image.image_id),
        image_id=image.image_id,
        reason=reason,
        detail=str(error),
    )


def _check_candidate_images(
    candidates: pa.Table, images: pa.Table, candidates_dir: Path, dataset_dir: Path
) -> None:
    candidate_image_ids = candidates["image_id"]
    known = pc.is_in(candidate_image_ids, value_set=images["image_id"].combine_chunks())
    unknown = pc.unique(candidate_image_ids.filter(pc.invert(known)))
    if len(unknown):
        raise RLIPv2InputError(
            f"{candidates_dir} has candidates of {len(unknown)} image(s) that {dataset_dir} does "
            f"not have (e.g. image {unknown[0].as_py()}); tag candidates with the dataset they "
            "were built from"
        )


def _check_candidate_entities(
    image: ImageRecord,
    entities: list[EntityRecord],
    candidates: list[CandidateRecord],
    candidates_dir: Path,
) -> None:
    entity_ids = {entity.entity_id for entity in entities}
    named = {
        entity_id
        for candidate in candidates
        for entity_id in (candidate.subject_entity_id, candidate.object_entity_id)
    }
    unknown = sorted(named - entity_ids)
    if unknown:
        raise RLIPv2InputError(
            f"{candidates_dir}: candidates of image {image.image_id} name entities {unknown} that "
            "the dataset does not have for that image; tag candidates with the dataset they were "
            "built from"
        )

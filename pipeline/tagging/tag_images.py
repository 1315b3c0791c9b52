"""The tagging of a table of images: each image's candidates scored by the R-Tagger
(:func:`~pipeline.tagging.tag_candidates.tag_image`), an image the scorer cannot use rejected,
and what was scored and kept counted.

Relationship ids of the scene graphs built from the result count in image order, then in the
order of ``tag_image`` (pair first-seen, then text first-seen), so the same inputs and scores
give the same ids.
"""

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from data_schemas.candidates import CandidateRecord, MatchEvidence
from data_schemas.entities import EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.image_groups import ImageGroupCursor, table_rows
from data_schemas.images import ImageRecord
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import RejectRecord
from data_schemas.tagged_relations import TaggedRelationRecord
from pipeline.tagging.batch_scorer import ScoreCall, batch_scorer
from pipeline.tagging.relation_scorer import RelationScorer, ScoreMatrix, checked_scores
from pipeline.tagging.score_loader import PreparationFailure, scored_calls
from pipeline.tagging.tag_candidates import (
    candidate_evidence,
    candidate_pairs_and_texts,
    check_scorer_max_pairs,
    kept_relations,
    score_chunks,
)

logger = logging.getLogger(__name__)

TAG_STAGE = "tag"
"""The stage named in the tagging rejects (and the tag shards of a labelling run)."""
REPORTED_THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
"""Relations kept at these confidences are counted (RLIPv2 pre-trains at 0.20)."""


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
class TaggedImage:
    """One image's entities and the relations kept for it."""

    image: ImageRecord
    entities: list[EntityRecord]
    relations: list[TaggedRelationRecord]


@dataclass(frozen=True)
class _PlannedImage:
    """One image's records and the indices of its score calls."""

    image: ImageRecord
    entities: list[EntityRecord]
    candidates: list[CandidateRecord]
    evidence: dict[tuple[int, int, str], list[MatchEvidence]]
    calls: range


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
    batch_size: int = 1,
    workers: int = 0,
) -> Iterator[TaggedImage | RejectRecord]:
    """Tag every image of ``images`` by ascending id: a :class:`TaggedImage`, or a reject when
    the scorer raises :class:`RLIPv2InputError` for it (its reason from an
    :class:`ImageFileError`, else ``unreadable_image``). ``entities`` and ``candidates`` are
    sorted by image id; counts are added to ``counts``.

    The score calls of :func:`tag_image` (an image's pairs in chunks of ``max_pairs``) are
    scored ``batch_size`` at a time by a :class:`BatchRelationScorer` (any other scorer call
    by call), their inputs prepared by ``workers`` DataLoader processes (0: in this one).
    Neither changes a score: a batch holds only calls of one batch key.

    Raises:
        RLIPv2InputError: candidates name entities the image does not have (built from another
            dataset; ``candidates_source`` is named in the message), before anything is scored;
            or ``image_root`` is gone when an image cannot be read (every later image would
            be rejected for it, and the shard kept so).
        ValueError: as :func:`tag_image`.
    """
    scorer = batch_scorer(scorer)
    check_scorer_max_pairs(scorer)
    planned, calls = _plan_calls(
        images, entities, candidates, scorer.max_pairs, candidates_source, image_root
    )
    warnings = RejectWarnings(logger)
    results: dict[int, ScoreMatrix | PreparationFailure] = {}
    next_image = 0

    def finished_images() -> Iterator[TaggedImage | RejectRecord]:
        """The images, in order, from the next one on, whose calls all have results."""
        nonlocal next_image
        while next_image < len(planned) and all(i in results for i in planned[next_image].calls):
            plan = planned[next_image]
            next_image += 1
            item = _tagged_or_rejected(
                plan,
                [results.pop(i) for i in plan.calls],
                calls,
                tagger_id=scorer.tagger_id,
                save_threshold=save_threshold,
                top_k_per_pair=top_k_per_pair,
                counts=counts,
            )
            if isinstance(item, RejectRecord):
                warnings.warn(item)
            yield item

    yield from finished_images()
    for index, result in scored_calls(scorer, calls, batch_size=batch_size, workers=workers):
        if isinstance(result, PreparationFailure) and not image_root.is_dir():
            raise RLIPv2InputError(
                f"image root {image_root} disappeared during tagging ({result.detail}); "
                "restore it and run again: finished shards are kept"
            )
        results[index] = result
        yield from finished_images()


def _plan_calls(
    images: pa.Table,
    entities: pa.Table,
    candidates: pa.Table,
    max_pairs: int,
    candidates_source: Path,
    image_root: Path,
) -> tuple[list[_PlannedImage], list[ScoreCall]]:
    """Every image's records, checked, and the score calls of all of them in image order."""
    image_entities = ImageGroupCursor(entities)
    image_candidates = ImageGroupCursor(candidates)
    planned: list[_PlannedImage] = []
    calls: list[ScoreCall] = []
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
        evidence = candidate_evidence(image, entity_records, candidate_records)
        chunks, texts = score_chunks(candidate_records, max_pairs)
        planned.append(
            _PlannedImage(
                image, entity_records, candidate_records, evidence,
                range(len(calls), len(calls) + len(chunks)),
            )
        )
        calls += [
            ScoreCall(image, image_root, tuple(entity_records), tuple(chunk), tuple(texts))
            for chunk in chunks
        ]
    return planned, calls


def _tagged_or_rejected(
    plan: _PlannedImage,
    results: list["ScoreMatrix | PreparationFailure"],
    calls: list[ScoreCall],
    *,
    tagger_id: str,
    save_threshold: float,
    top_k_per_pair: int | None,
    counts: TaggingCounts,
) -> TaggedImage | RejectRecord:
    """The image of ``plan`` tagged from its calls' ``results``, or rejected for the first
    failure among them; counted in ``counts``."""
    counts.images += 1
    counts.images_with_candidates += bool(plan.candidates)
    failure = next((result for result in results if isinstance(result, PreparationFailure)), None)
    if failure is not None:
        counts.images_rejected += 1
        return _unusable_image(plan.image, failure)
    scores = [
        checked_scores(
            result,
            num_pairs=len(calls[index].pairs),
            num_texts=len(calls[index].relation_texts),
        )
        for index, result in zip(plan.calls, results, strict=True)
    ]
    relations = kept_relations(
        plan.image,
        plan.candidates,
        scores,
        evidence=plan.evidence,
        tagger_id=tagger_id,
        save_threshold=save_threshold,
        top_k_per_pair=top_k_per_pair,
    )
    counts.add_tagged_image(plan.candidates, relations)
    return TaggedImage(image=plan.image, entities=plan.entities, relations=relations)


def _unusable_image(image: ImageRecord, failure: PreparationFailure) -> RejectRecord:
    """The reject of an image whose call could not be prepared (a missing file, a wrong size,
    an unreadable file, ...)."""
    return RejectRecord(
        stage=TAG_STAGE,
        source_file=image.file_name,
        record_kind="image",
        record_id=str(image.image_id),
        image_id=image.image_id,
        reason=failure.reason,
        detail=failure.detail,
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

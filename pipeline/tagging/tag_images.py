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

from data_schemas.candidates import CandidateRecord
from data_schemas.entities import EntityRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.image_groups import ImageGroupCursor, table_rows
from data_schemas.images import ImageRecord
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import RejectReason, RejectRecord
from data_schemas.tagged_relations import TaggedRelationRecord
from model.data.image_files import ImageFileError
from pipeline.tagging.relation_scorer import RelationScorer
from pipeline.tagging.tag_candidates import candidate_pairs_and_texts, tag_image

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
        stage=TAG_STAGE,
        source_file=image.file_name,
        record_kind="image",
        record_id=str(image.image_id),
        image_id=image.image_id,
        reason=reason,
        detail=str(error),
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

"""Candidate relations of one image: matched triplets -> ordered entity pairs + relation text.

For each parsed triplet whose subject and object both match categories annotated in the image,
every ordered pair of distinct entities of those categories becomes a candidate for the
triplet's relation text: the pairs P and texts T of the paper, without enumerating all pairs
of the image. The R-Tagger later decides which of these pairs the caption meant.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from data_schemas.candidates import CandidateRecord, MatchEvidence
from data_schemas.entities import EntityRecord
from data_schemas.triplets import TripletRecord
from pipeline.matching.phrase_matcher import NoMatch, PhraseMatcher


class DroppedTriplet(StrEnum):
    """Why a parsed triplet produced no candidate. Subject reasons are checked first."""

    SUBJECT_PRONOUN = "subject_pronoun"
    SUBJECT_NO_SYNONYM = "subject_no_synonym"
    SUBJECT_CATEGORY_NOT_IN_IMAGE = "subject_category_not_in_image"
    SUBJECT_AMBIGUOUS = "subject_ambiguous"
    OBJECT_PRONOUN = "object_pronoun"
    OBJECT_NO_SYNONYM = "object_no_synonym"
    OBJECT_CATEGORY_NOT_IN_IMAGE = "object_category_not_in_image"
    OBJECT_AMBIGUOUS = "object_ambiguous"
    SUBJECT_IS_OBJECT = "subject_is_object"
    TOO_MANY_PAIRS = "too_many_pairs"


@dataclass
class CandidateStats:
    """Counts of one or more images' candidate generation."""

    triplets: int = 0
    matched_triplets: int = 0
    candidates: int = 0
    dropped: Counter[DroppedTriplet] = field(default_factory=Counter)
    candidates_per_image: Counter[int] = field(default_factory=Counter)

    def add(self, other: "CandidateStats") -> None:
        self.triplets += other.triplets
        self.matched_triplets += other.matched_triplets
        self.candidates += other.candidates
        self.dropped.update(other.dropped)
        self.candidates_per_image.update(other.candidates_per_image)


def build_candidates(
    image_id: int,
    entities: Sequence[EntityRecord],
    triplets: Sequence[TripletRecord],
    matcher: PhraseMatcher,
    *,
    max_pairs_per_triplet: int | None = None,
) -> tuple[list[CandidateRecord], CandidateStats]:
    """Candidates of image ``image_id`` from its annotated ``entities`` and parsed ``triplets``.

    One candidate per unique (subject entity, object entity, relation text), with the evidence
    of every triplet that produced it. A triplet whose pairs would exceed
    ``max_pairs_per_triplet`` (13 people -> 156 ordered pairs) is dropped and counted.
    Candidates come in a deterministic order: by first producing triplet, then entity order.
    """
    entities_by_category: defaultdict[str, list[int]] = defaultdict(list)
    for entity in entities:
        entities_by_category[entity.category_name].append(entity.entity_id)
    present = entities_by_category.keys()
    stats = CandidateStats(triplets=len(triplets))
    evidence: dict[tuple[int, int, str], list[MatchEvidence]] = {}
    for triplet in triplets:
        subject = matcher.match(triplet.subject, present)
        object_ = matcher.match(triplet.object, present)
        if isinstance(subject, NoMatch) or isinstance(object_, NoMatch):
            role, failed = (
                ("subject", subject) if isinstance(subject, NoMatch) else ("object", object_)
            )
            stats.dropped[DroppedTriplet(f"{role}_{failed.reason.value}")] += 1
            continue
        pairs = [
            (subject_id, object_id)
            for subject_id in entities_by_category[subject.category]
            for object_id in entities_by_category[object_.category]
            if subject_id != object_id
        ]
        if not pairs:
            stats.dropped[DroppedTriplet.SUBJECT_IS_OBJECT] += 1
            continue
        if max_pairs_per_triplet is not None and len(pairs) > max_pairs_per_triplet:
            stats.dropped[DroppedTriplet.TOO_MANY_PAIRS] += 1
            continue
        stats.matched_triplets += 1
        relation = " ".join(triplet.relation.lower().split())
        match_evidence = MatchEvidence(
            caption_index=triplet.caption_index,
            triplet_index=triplet.triplet_index,
            subject_words=subject.words,
            subject_synonym=subject.synonym,
            object_words=object_.words,
            object_synonym=object_.synonym,
        )
        for subject_id, object_id in pairs:
            evidence.setdefault((subject_id, object_id, relation), []).append(match_evidence)
    candidates = [
        CandidateRecord(
            image_id=image_id,
            subject_entity_id=subject_id,
            object_entity_id=object_id,
            relation=relation,
            provenance=provenance,
        )
        for (subject_id, object_id, relation), provenance in evidence.items()
    ]
    stats.candidates = len(candidates)
    stats.candidates_per_image[len(candidates)] += 1
    return candidates, stats

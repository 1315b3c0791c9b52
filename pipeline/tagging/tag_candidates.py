"""The tagging stage of one image: score every candidate pair against every relation text.

As in RLIPv2 (``verb_tagger_with_text``), the texts of an image are pooled and every pair is
scored against all of them, so the tagger may assign a text to a pair it was not parsed for.
A (pair, text) is kept iff ``score >= save_threshold``. The paper saves ``score > 0.05`` and
pre-trains on ``confidence >= 0.20``; using ``>=`` here too makes the two filters compose: the
relations kept at a threshold are the same whether it is applied at save or at load time.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data_schemas.candidates import CandidateRecord, MatchEvidence
from data_schemas.entities import EntityRecord
from data_schemas.images import ImageRecord
from data_schemas.tagged_relations import TaggedRelationRecord
from pipeline.tagging.relation_scorer import RelationScorer, checked_scores

DEFAULT_SAVE_THRESHOLD = 0.05

Pair = tuple[int, int]
"""(subject_entity_id, object_entity_id)."""


def check_scorer_max_pairs(scorer: RelationScorer) -> None:
    """Raises ValueError unless ``scorer`` takes at least one pair per call."""
    if scorer.max_pairs < 1:
        raise ValueError(
            f"scorer {scorer.tagger_id} has max_pairs={scorer.max_pairs}; it must be >= 1"
        )


def candidate_pairs_and_texts(
    candidates: Sequence[CandidateRecord],
) -> tuple[list[Pair], list[str]]:
    """The unique (subject, object) pairs and the unique relation texts of ``candidates``, each in
    first-seen order: the sets P and T of the paper."""
    pairs = {
        (candidate.subject_entity_id, candidate.object_entity_id): None for candidate in candidates
    }
    texts = {candidate.relation: None for candidate in candidates}
    return list(pairs), list(texts)


def tag_image(
    image: ImageRecord,
    entities: Sequence[EntityRecord],
    candidates: Sequence[CandidateRecord],
    scorer: RelationScorer,
    *,
    image_root: Path,
    save_threshold: float = DEFAULT_SAVE_THRESHOLD,
    top_k_per_pair: int | None = None,
) -> list[TaggedRelationRecord]:
    """Score the candidates of ``image`` and keep (pair, text) with ``score >= save_threshold``.

    ``entities`` are all the image's entities, ``candidates`` its candidates (unique (pair, text)),
    ``image_root`` the directory ``image.file_name`` is under (passed on to the scorer).
    Pairs are scored in consecutive chunks of ``scorer.max_pairs`` (first-seen order), each call
    against all the image's texts (:func:`score_chunks`); the records are
    :func:`kept_relations`'s. An image without candidates gives [] without a call to the scorer.

    Raises:
        ValueError: a scorer's ``max_pairs`` below 1, candidates not of this image
            or naming unknown entities, duplicate candidates, or scores breaking the scorer
            contract.
        RLIPv2InputError: from the scorer, when it cannot use this image.
    """
    check_scorer_max_pairs(scorer)
    evidence = candidate_evidence(image, entities, candidates)
    chunks, texts = score_chunks(candidates, scorer.max_pairs)
    scores = [
        checked_scores(
            scorer.score(image, image_root, entities, chunk, texts),
            num_pairs=len(chunk),
            num_texts=len(texts),
        )
        for chunk in chunks
    ]
    return kept_relations(
        image,
        candidates,
        scores,
        evidence=evidence,
        tagger_id=scorer.tagger_id,
        save_threshold=save_threshold,
        top_k_per_pair=top_k_per_pair,
    )


def score_chunks(
    candidates: Sequence[CandidateRecord], max_pairs: int
) -> tuple[list[list[Pair]], list[str]]:
    """The score calls of an image's candidates: its unique pairs in consecutive chunks of at
    most ``max_pairs`` (first-seen order; none without candidates), and the texts every chunk
    is scored against (all the image's, first-seen order)."""
    pairs, texts = candidate_pairs_and_texts(candidates)
    return [pairs[start : start + max_pairs] for start in range(0, len(pairs), max_pairs)], texts


def kept_relations(
    image: ImageRecord,
    candidates: Sequence[CandidateRecord],
    chunk_scores: Sequence[np.ndarray],
    *,
    evidence: dict[tuple[int, int, str], list[MatchEvidence]],
    tagger_id: str,
    save_threshold: float,
    top_k_per_pair: int | None,
) -> list[TaggedRelationRecord]:
    """The relations kept of an image whose :func:`score_chunks` got ``chunk_scores`` (one
    checked ``(len(chunk), len(texts))`` array per chunk).

    A (pair, text) is kept iff its score is at least ``save_threshold``; ``top_k_per_pair``
    keeps at most that many texts of a pair (the highest-scoring, ties to the earlier text),
    after the threshold. Records come pair by pair (first-seen order), the texts of a pair in
    first-seen order; a record's provenance is the candidate's ``evidence`` (of
    :func:`candidate_evidence`) when the (pair, text) was a candidate, else empty. The options
    are those of the labelling settings, which bound them (``save_threshold`` in [0, 1],
    ``top_k_per_pair`` >= 1).
    """
    pairs, texts = candidate_pairs_and_texts(candidates)
    records: list[TaggedRelationRecord] = []
    for (subject_id, object_id), pair_scores in zip(
        pairs, (row for scores in chunk_scores for row in scores), strict=True
    ):
        for text_index in _kept_text_indices(pair_scores, save_threshold, top_k_per_pair):
            text = texts[text_index]
            records.append(
                TaggedRelationRecord(
                    image_id=image.image_id,
                    subject_entity_id=subject_id,
                    object_entity_id=object_id,
                    relation=text,
                    score=float(pair_scores[text_index]),
                    tagger_id=tagger_id,
                    provenance=evidence.get((subject_id, object_id, text), []),
                )
            )
    return records


def candidate_evidence(
    image: ImageRecord, entities: Sequence[EntityRecord], candidates: Sequence[CandidateRecord]
) -> dict[tuple[int, int, str], list[MatchEvidence]]:
    """The provenance of each (subject, object, text) candidate of ``image``.

    Raises:
        ValueError: a candidate of another image, naming entities ``image`` does not have, or
            given twice.
    """
    entity_ids = {entity.entity_id for entity in entities}
    evidence: dict[tuple[int, int, str], list[MatchEvidence]] = {}
    for candidate in candidates:
        key = (candidate.subject_entity_id, candidate.object_entity_id, candidate.relation)
        if candidate.image_id != image.image_id:
            raise ValueError(
                f"candidate {key} is of image {candidate.image_id}, not {image.image_id}"
            )
        unknown = {key[0], key[1]} - entity_ids
        if unknown:
            raise ValueError(
                f"candidate {key} of image {image.image_id} names entities {sorted(unknown)} "
                "that are not among the image's entities"
            )
        if key in evidence:
            raise ValueError(f"candidate {key} of image {image.image_id} appears twice")
        evidence[key] = candidate.provenance
    return evidence


def _kept_text_indices(
    pair_scores: np.ndarray, save_threshold: float, top_k_per_pair: int | None
) -> list[int]:
    """Indices of the texts kept for one pair, ascending. ``pair_scores``: ``(num_texts,)``."""
    kept = np.flatnonzero(pair_scores >= save_threshold)
    if top_k_per_pair is not None and len(kept) > top_k_per_pair:
        best_first = np.argsort(-pair_scores[kept], kind="stable")
        kept = np.sort(kept[best_first[:top_k_per_pair]])
    return kept.tolist()

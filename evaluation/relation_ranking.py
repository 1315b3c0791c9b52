"""Scored relation predictions of one image, and their official ranking with a top-k cut."""

from dataclasses import dataclass

import numpy as np

from evaluation.detections import ImageDetections


@dataclass(frozen=True)
class RankedRelations:
    """One image's relation predictions, one row per (pair, verb), in a stated order.

    Attributes:
        subject_index: ``(num_relations,)`` int64 row of the detections' boxes (the subject).
        object_index: ``(num_relations,)`` int64 row of the detections' boxes (the object).
        verb: ``(num_relations,)`` int64 verb index.
        score: ``(num_relations,)`` float32.
    """

    subject_index: np.ndarray
    object_index: np.ndarray
    verb: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    def take(self, rows: np.ndarray) -> "RankedRelations":
        """The relations at ``rows``, in that order."""
        return RankedRelations(
            subject_index=self.subject_index[rows],
            object_index=self.object_index[rows],
            verb=self.verb[rows],
            score=self.score[rows],
        )

    def by_score(self) -> "RankedRelations":
        """Sorted by descending score; ties keep their current order (a stable sort, as the
        official evaluators' ``list.sort(key=score, reverse=True)``)."""
        return self.take(np.argsort(-self.score, kind="stable"))


def top_relations(
    detections: ImageDetections,
    *,
    top_k: int | None,
    combination_mask: np.ndarray | None = None,
) -> RankedRelations:
    """Every (pair, verb) of ``detections`` scored, ranked, and cut to the ``top_k`` best.

    Follows the official evaluators: the pairs x verbs scores are read pair by pair, a score
    whose (verb, object label) is not a valid combination becomes 0 (it stays in the ranking),
    then a stable sort by descending score keeps the first ``top_k``.

    Args:
        detections: one image's post-processor output.
        top_k: how many relations to keep (``None``: all).
        combination_mask: ``(num_verbs, num_object_labels)`` bool, True where the verb may take
            an object of that label (HICO-DET's ``corre_hico.npy``); ``None``: no mask.
    """
    num_pairs, num_verbs = detections.num_pairs, detections.num_verbs
    if num_pairs == 0:
        empty = np.zeros(0, dtype=np.int64)
        return RankedRelations(empty, empty, empty, np.zeros(0, dtype=np.float32))
    # (num_pairs, num_verbs) -> pair-major rows: pair p, verb v is row p * num_verbs + v.
    subject_index = np.repeat(detections.subject_index, num_verbs)
    object_index = np.repeat(detections.object_index, num_verbs)
    verb = np.tile(np.arange(num_verbs, dtype=np.int64), num_pairs)
    score = detections.verb_scores.reshape(-1)
    if combination_mask is not None:
        valid = np.asarray(combination_mask, dtype=bool)[verb, detections.labels[object_index]]
        score = np.where(valid, score, np.float32(0))
    ranked = RankedRelations(subject_index, object_index, verb, score.astype(np.float32)).by_score()
    return ranked if top_k is None else ranked.take(np.arange(min(top_k, len(ranked))))

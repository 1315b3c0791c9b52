"""Non-maximum suppression as the official evaluators apply it: of box pairs, and of boxes.

Both suppress within a class only (a relation triplet, or a phrase triplet), visit the classes
in the order they first appear, and return the kept rows class by class, each class in the
order its survivors were kept (highest score first; ties keep their given order). The official
evaluators leave that order as it is: whoever consumes it re-sorts by score.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.box_overlap import clamped_iou
from evaluation.relation_ranking import RankedRelations


@dataclass(frozen=True)
class PairNms:
    """Pair NMS: a relation is dropped when a better one of the same triplet overlaps it by
    more than ``threshold``, overlap being ``IoU(subjects) ** subject_exponent * IoU(objects) **
    object_exponent`` (the official defaults: 0.7, 1 and 0.5)."""

    threshold: float = 0.7
    subject_exponent: float = 1.0
    object_exponent: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"pair NMS threshold must be in (0, 1], got {self.threshold}")
        if self.subject_exponent < 0 or self.object_exponent < 0:
            raise ValueError("pair NMS exponents must be >= 0")


def suppress_pairs(
    ranked: RankedRelations, boxes: np.ndarray, labels: np.ndarray, nms: PairNms
) -> RankedRelations:
    """The relations of ``ranked`` that survive pair NMS, grouped by triplet (module doc).

    Args:
        ranked: one image's relations (rows of ``boxes`` for subjects and objects).
        boxes: ``(num_boxes, 4)`` the image's detected boxes, xyxy absolute pixels.
        labels: ``(num_boxes,)`` their object labels.
    """
    triplets = list(
        zip(
            labels[ranked.subject_index].tolist(),
            labels[ranked.object_index].tolist(),
            ranked.verb.tolist(),
        )
    )
    kept = []
    for rows in _rows_by_class(triplets):
        subjects = boxes[ranked.subject_index[rows]]
        objects = boxes[ranked.object_index[rows]]

        def overlap(best: int, others: np.ndarray) -> np.ndarray:
            subject_iou = clamped_iou(subjects[others], subjects[best])
            object_iou = clamped_iou(objects[others], objects[best])
            return np.power(subject_iou, nms.subject_exponent) * np.power(
                object_iou, nms.object_exponent
            )

        kept.append(rows[_greedy_keep(ranked.score[rows], overlap, nms.threshold)])
    return ranked.take(np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64))


def suppress_boxes(
    boxes: np.ndarray, scores: np.ndarray, classes: Sequence[Hashable], threshold: float
) -> np.ndarray:
    """Rows of ``boxes`` (``(n, 4)``) that survive per-class box NMS, grouped by class.

    ``classes`` gives each box's class key (phrase triplets for Open Images phrases).
    """
    kept = []
    for rows in _rows_by_class(classes):
        group = boxes[rows]

        def overlap(best: int, others: np.ndarray) -> np.ndarray:
            return clamped_iou(group[others], group[best])

        kept.append(rows[_greedy_keep(scores[rows], overlap, threshold)])
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)


def _rows_by_class(classes: Sequence[Hashable]) -> list[np.ndarray]:
    rows: dict[Hashable, list[int]] = {}
    for row, key in enumerate(classes):
        rows.setdefault(key, []).append(row)
    return [np.asarray(group, dtype=np.int64) for group in rows.values()]


def _greedy_keep(
    scores: np.ndarray, overlap: Callable[[int, np.ndarray], np.ndarray], threshold: float
) -> np.ndarray:
    """Greedy NMS over one class: ``overlap(best, others)`` gives the overlap of row ``best``
    with rows ``others``; rows overlapping a kept row by more than ``threshold`` go."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best, order = order[0], order[1:]
        keep.append(best)
        if order.size:  # most classes of an image hold one relation: nothing to compare
            order = order[overlap(best, order) <= threshold]
    return np.asarray(keep, dtype=np.int64)

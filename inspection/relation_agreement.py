"""How far two scene graphs of one image agree: their relations and box pairs matched one to one.

Two relations match when their predicates are equal and their subjects and their objects are
boxes of the same category that overlap by at least an IoU threshold (continuous xyxy pixel
boxes, area ``(x2 - x1) * (y2 - y1)``). Entity ids are not compared, so scene graphs of other
tools (the paper's released labels, a reviewer's new boxes) match rlipv2's. A pair (subject,
object) matches the same way, whatever its predicates.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_MATCH_IOU = 0.5


@dataclass(frozen=True)
class GraphRelation:
    """A relation with its boxes: ``subject_box`` / ``object_box`` xyxy in absolute pixels."""

    predicate: str
    subject_category: str
    subject_box: tuple[float, float, float, float]
    object_category: str
    object_box: tuple[float, float, float, float]
    confidence: float | None


@dataclass
class AgreementCounts:
    """Relations and pairs of the compared graph (A) and the reference (B), and those matched;
    per predicate: ``(in A, in B, matched)``."""

    relations_a: int = 0
    relations_b: int = 0
    relations_matched: int = 0
    pairs_a: int = 0
    pairs_b: int = 0
    pairs_matched: int = 0
    images_with_relations_a: int = 0
    images_with_relations_b: int = 0
    predicates_a: Counter[str] = field(default_factory=Counter)
    predicates_b: Counter[str] = field(default_factory=Counter)
    predicates_matched: Counter[str] = field(default_factory=Counter)

    def add_image(
        self, relations_a: Sequence[GraphRelation], relations_b: Sequence[GraphRelation],
        *, iou_threshold: float,
    ) -> None:
        """Count one image's relations (already cut at the confidence) into the totals."""
        self.relations_a += len(relations_a)
        self.relations_b += len(relations_b)
        self.images_with_relations_a += bool(relations_a)
        self.images_with_relations_b += bool(relations_b)
        self.predicates_a.update(relation.predicate for relation in relations_a)
        self.predicates_b.update(relation.predicate for relation in relations_b)
        matched = match_relations(relations_a, relations_b, iou_threshold=iou_threshold)
        self.relations_matched += len(matched)
        self.predicates_matched.update(relations_a[index].predicate for index, _ in matched)
        pairs_a, pairs_b = _pairs(relations_a), _pairs(relations_b)
        self.pairs_a += len(pairs_a)
        self.pairs_b += len(pairs_b)
        self.pairs_matched += len(match_relations(pairs_a, pairs_b, iou_threshold=iou_threshold))


def match_relations(
    relations_a: Sequence[GraphRelation],
    relations_b: Sequence[GraphRelation],
    *,
    iou_threshold: float,
) -> list[tuple[int, int]]:
    """One-to-one matches ``(index in A, index in B)``: A's relations in order of confidence
    (human ones first), each taking the unmatched relation of B with its predicate and
    categories whose smaller box IoU is largest and at least ``iou_threshold``."""
    if not relations_a or not relations_b:
        return []
    overlap = np.minimum(
        box_iou([r.subject_box for r in relations_a], [r.subject_box for r in relations_b]),
        box_iou([r.object_box for r in relations_a], [r.object_box for r in relations_b]),
    )
    keys_b = [_match_key(relation) for relation in relations_b]
    order = sorted(range(len(relations_a)), key=lambda index: -_rank(relations_a[index].confidence))
    taken: set[int] = set()
    matches = []
    for index in order:
        key = _match_key(relations_a[index])
        candidates = [
            other for other, other_key in enumerate(keys_b)
            if other_key == key and other not in taken and overlap[index, other] >= iou_threshold
        ]
        if candidates:
            best = max(candidates, key=lambda other: overlap[index, other])
            taken.add(best)
            matches.append((index, best))
    return matches


def box_iou(boxes_a: Sequence[Sequence[float]], boxes_b: Sequence[Sequence[float]]) -> np.ndarray:
    """``(len(boxes_a), len(boxes_b))`` IoU of xyxy boxes (continuous; empty boxes give 0)."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(1, -1, 4)
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    intersection = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - intersection
    return np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)


def _match_key(relation: GraphRelation) -> tuple[str, str, str]:
    return relation.predicate, relation.subject_category, relation.object_category


def _pairs(relations: Sequence[GraphRelation]) -> list[GraphRelation]:
    """Each distinct (subject, object) box pair once, as a relation without predicate or score
    (human relations of a pair make it human, else its best confidence)."""
    pairs: dict[tuple, GraphRelation] = {}
    for relation in relations:
        key = (relation.subject_category, relation.subject_box, relation.object_category,
               relation.object_box)
        known = pairs.get(key)
        if known is None or _rank(relation.confidence) > _rank(known.confidence):
            pairs[key] = GraphRelation("", *key, relation.confidence)
    return list(pairs.values())


def _rank(confidence: float | None) -> float:
    """Human relations (no confidence) rank above every score."""
    return 2.0 if confidence is None else confidence

"""Open Images v6 relation detection: R@50, wmAP_rel, wmAP_phr and score_wtd, as the official
RLIPv2 evaluator (``datasets/oi_sgg_eval.py``, run by ``engine.evaluate_sgg_with_text``)
computes them."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from evaluation.box_overlap import class_iou_matrix
from evaluation.detections import ImageDetections, align_detections
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_matching import first_claims
from evaluation.relation_outcomes import evaluated_relations, relation_outcomes, skips_relations
from evaluation.relation_ranking import RankedRelations
from evaluation.relation_truth import ImageRelationTruth, RelationTruth, Triplet
from evaluation.suppression import PairNms, suppress_boxes
from evaluation.triplet_outcomes import TripletOutcomes

SCORE_WEIGHTS = (0.2, 0.4, 0.4)
"""score_wtd = 0.2 R@50 + 0.4 wmAP_rel + 0.4 wmAP_phr."""


@dataclass(frozen=True)
class OpenImagesSettings:
    """How detections are cut and matched; the defaults are the paper's (``--use_nms_filter``,
    ``--thres_nms_phr 0.5``).

    Attributes:
        map_top_k: relations kept per image for wmAP_rel and wmAP_phr.
        recall_top_k: relations kept per image for the recall (50: R@50).
        pair_nms: pair NMS after each top-k cut; ``None`` turns it off.
        phrase_nms_threshold: IoU above which a phrase box (the union of subject and object)
            of the same triplet is suppressed; ``None`` turns phrase NMS off.
        iou_threshold: a box (or phrase box) matches at this IoU or more.
        protocol: reproduce the official faults, or correct them (:class:`EvaluationProtocol`).
    """

    map_top_k: int = 100
    recall_top_k: int = 50
    pair_nms: PairNms | None = field(default_factory=PairNms)
    phrase_nms_threshold: float | None = 0.5
    iou_threshold: float = 0.5
    protocol: EvaluationProtocol = EvaluationProtocol.OFFICIAL

    def __post_init__(self) -> None:
        if self.map_top_k < 1 or self.recall_top_k < 1:
            raise ValueError("map_top_k and recall_top_k must be >= 1")
        for name in ("phrase_nms_threshold", "iou_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")


@dataclass(frozen=True)
class OpenImagesMetrics:
    """Open Images results, each in [0, 1].

    Attributes:
        recall: share of annotated relations detected within each image's top
            ``recall_top_k`` relations (R@50 by default).
        weighted_map_relation: wmAP_rel, the AP of each annotated triplet weighted by its share
            of the annotated relations (the official triplet weighting).
        weighted_map_phrase: wmAP_phr, the same for phrases (one box around subject and object).
        score_wtd: ``0.2 recall + 0.4 wmAP_rel + 0.4 wmAP_phr``.
        relation_triplet_ap: relation AP of each annotated triplet.
        phrase_triplet_ap: phrase AP of each annotated triplet.
    """

    recall: float
    weighted_map_relation: float
    weighted_map_phrase: float
    score_wtd: float
    relation_triplet_ap: dict[Triplet, float]
    phrase_triplet_ap: dict[Triplet, float]


def evaluate_open_images(
    truth: RelationTruth,
    detections: Mapping[int, ImageDetections],
    *,
    settings: OpenImagesSettings = OpenImagesSettings(),
) -> OpenImagesMetrics:
    """Score scene-graph detections against Open Images-style ground truth.

    Per image, as the official evaluator: every (pair, verb) is scored (no combination mask),
    the top k are kept, pair NMS thins them, and each relation is matched both as a relation
    (subject and object boxes, :func:`match_relations`) and as a phrase (the box around both,
    after phrase NMS). Triplets are (subject label, object label, predicate); the APs are
    11-point VOC APs per annotated triplet.

    Raises:
        RLIPv2InputError: when the detections do not fit the ground truth.
        ValueError: when the ground truth has no relation.
    """
    truth_counts = truth.triplet_counts()
    total = sum(truth_counts.values())
    if total == 0:
        raise ValueError("the ground truth has no relation to detect")
    aligned = align_detections(
        detections,
        [image.image_id for image in truth.images],
        num_object_labels=truth.num_object_classes,
        num_verbs=truth.num_verbs,
    )
    relations, phrases = _pooled_outcomes(truth, aligned, settings.map_top_k, settings)
    recall_relations, _ = _pooled_outcomes(truth, aligned, settings.recall_top_k, settings)
    relation_ap = relations.average_precisions(truth_counts, settings.protocol)
    phrase_ap = phrases.average_precisions(truth_counts, settings.protocol)
    recall = float(recall_relations.is_true_positive.sum()) / total
    weighted_relation = _weighted_mean(relation_ap, truth_counts, total)
    weighted_phrase = _weighted_mean(phrase_ap, truth_counts, total)
    recall_weight, relation_weight, phrase_weight = SCORE_WEIGHTS
    return OpenImagesMetrics(
        recall=recall,
        weighted_map_relation=weighted_relation,
        weighted_map_phrase=weighted_phrase,
        score_wtd=recall_weight * recall
        + relation_weight * weighted_relation
        + phrase_weight * weighted_phrase,
        relation_triplet_ap=relation_ap,
        phrase_triplet_ap=phrase_ap,
    )


def _pooled_outcomes(
    truth: RelationTruth,
    detections: list[ImageDetections],
    top_k: int,
    settings: OpenImagesSettings,
) -> tuple[TripletOutcomes, TripletOutcomes]:
    annotated = set(truth.triplet_counts())
    relation_parts, phrase_parts = [], []
    for position, (image, image_detections) in enumerate(zip(truth.images, detections)):
        relations = evaluated_relations(image_detections, top_k=top_k, pair_nms=settings.pair_nms)
        if not skips_relations(image, settings.protocol):
            relation_parts.append(
                relation_outcomes(
                    position,
                    image,
                    image_detections,
                    relations,
                    iou_threshold=settings.iou_threshold,
                )
            )
        phrase_parts.append(
            _phrase_outcomes(position, image, image_detections, relations, annotated, settings)
        )
    return TripletOutcomes.concatenate(relation_parts), TripletOutcomes.concatenate(phrase_parts)


def _phrase_outcomes(
    position: int,
    truth: ImageRelationTruth,
    detections: ImageDetections,
    relations: RankedRelations,
    annotated: set[Triplet],
    settings: OpenImagesSettings,
) -> TripletOutcomes:
    """The image's phrases matched to its annotated phrases, best first; only phrases of
    annotated triplets are recorded."""
    boxes, triplets, scores = _detected_phrases(
        detections, relations, settings.phrase_nms_threshold
    )
    order = np.argsort(-scores, kind="stable")
    # The official code reads the overlaps of the phrase at the same position before sorting.
    overlap_columns = (
        np.arange(len(order)) if settings.protocol is EvaluationProtocol.OFFICIAL else order
    )
    is_annotated = np.array([tuple(row) in annotated for row in triplets.tolist()], dtype=bool)
    rows = order[is_annotated[order]]
    is_true_positive = _first_matches(
        truth, boxes, triplets, overlap_columns[is_annotated[order]], settings.iou_threshold
    )
    return TripletOutcomes(
        triplets=triplets[rows].reshape(-1, 3),
        image_position=np.full(len(rows), position, dtype=np.int64),
        score=scores[rows],
        is_true_positive=is_true_positive,
    )


def _detected_phrases(
    detections: ImageDetections, relations: RankedRelations, nms_threshold: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes ``(n, 4)``, triplets ``(n, 3)`` and scores ``(n,)`` of one phrase per relation, in
    the relations' order, thinned by phrase NMS (then grouped by triplet, as it leaves them)."""
    labels = detections.labels
    boxes = _union_boxes(
        detections.boxes[relations.subject_index], detections.boxes[relations.object_index]
    )
    triplets = np.stack(
        [labels[relations.subject_index], labels[relations.object_index], relations.verb], axis=1
    )
    if nms_threshold is None:
        return boxes, triplets, relations.score
    keep = suppress_boxes(
        boxes, relations.score, list(map(tuple, triplets.tolist())), nms_threshold
    )
    return boxes[keep], triplets[keep], relations.score[keep]


def _first_matches(
    truth: ImageRelationTruth,
    boxes: np.ndarray,
    triplets: np.ndarray,
    overlap_columns: np.ndarray,
    iou_threshold: float,
) -> np.ndarray:
    """True-positive flag of each visit to the phrases whose overlaps are in column
    ``overlap_columns`` of ``boxes``, in that order (:func:`first_claims`; the best candidate is
    the most overlapped annotated phrase of the same class, the first on ties)."""
    if len(truth.relations) == 0:
        return np.zeros(len(overlap_columns), dtype=bool)
    truth_triplets = np.asarray(truth.triplets(), dtype=np.int64).reshape(-1, 3)
    truth_boxes = _union_boxes(
        truth.boxes[truth.relations[:, 0]], truth.boxes[truth.relations[:, 1]]
    )
    keys = _triplet_keys(truth_triplets, triplets)
    iou = class_iou_matrix(
        truth_boxes, keys[: len(truth_triplets)], boxes, keys[len(truth_triplets) :]
    )
    # (num_annotated, num_visits): the overlaps each visit reads.
    overlaps = iou[:, overlap_columns]
    candidate = overlaps >= iou_threshold
    best = np.where(candidate, overlaps, -1.0).argmax(axis=0)
    return first_claims(best, candidate.any(axis=0))


def _union_boxes(subjects: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """``(n, 4)`` smallest boxes holding each subject and object box."""
    return np.concatenate(
        [np.minimum(subjects[:, :2], objects[:, :2]), np.maximum(subjects[:, 2:], objects[:, 2:])],
        axis=1,
    ).reshape(-1, 4)


def _triplet_keys(*triplet_arrays: np.ndarray) -> np.ndarray:
    """One integer per triplet row, equal for equal triplets, over all arrays concatenated."""
    rows = np.concatenate([array.reshape(-1, 3) for array in triplet_arrays])
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)


def _weighted_mean(
    triplet_ap: dict[Triplet, float], counts: Mapping[Triplet, int], total: int
) -> float:
    return float(sum(ap * counts[triplet] / total for triplet, ap in triplet_ap.items()))

"""Which of one image's ranked relation predictions are true positives (HICO-DET, Open Images)."""

import numpy as np

from evaluation.box_overlap import class_iou_matrix
from evaluation.relation_ranking import RankedRelations
from evaluation.relation_truth import ImageRelationTruth


def match_relations(
    ranked: RankedRelations,
    boxes: np.ndarray,
    labels: np.ndarray,
    truth: ImageRelationTruth,
    *,
    iou_threshold: float = 0.5,
) -> np.ndarray:
    """True-positive flag of each prediction, visiting them in the given (score) order.

    A prediction matches an annotated relation with its verb when its subject and object boxes
    each overlap that relation's boxes by ``iou_threshold`` or more with the same class. Among
    the relations it matches it takes the one with the largest smaller-of-two overlap (the
    first on ties); it is a true positive if no earlier prediction took that relation, and a
    false positive otherwise, as in the official evaluators and HICO-DET's own.

    Args:
        ranked: the image's predictions, highest score first.
        boxes: ``(num_boxes, 4)`` detected boxes; labels: ``(num_boxes,)`` their classes.
        truth: the image's annotation.

    Returns:
        ``(len(ranked),)`` bool.
    """
    if len(ranked) == 0 or len(truth.relations) == 0:
        return np.zeros(len(ranked), dtype=bool)
    iou = class_iou_matrix(truth.boxes, truth.labels, boxes, labels)
    truth_subject, truth_object, truth_verb = truth.relations.T
    # (num_relations, num_predictions): each annotated relation against each prediction.
    subject_iou = iou[truth_subject[:, None], ranked.subject_index[None, :]]
    object_iou = iou[truth_object[:, None], ranked.object_index[None, :]]
    candidate = (
        (subject_iou >= iou_threshold)
        & (object_iou >= iou_threshold)
        & (truth_verb[:, None] == ranked.verb[None, :])
    )
    best = np.where(candidate, np.minimum(subject_iou, object_iou), -1.0).argmax(axis=0)
    return first_claims(best, candidate.any(axis=0))


def first_claims(best: np.ndarray, has_candidate: np.ndarray) -> np.ndarray:
    """The greedy rule of every official evaluator: visiting detections in order, each one with
    a candidate annotation goes for its best candidate ``best[i]``, taken or not, and is a true
    positive only if no earlier detection took it.

    Args:
        best: ``(num_detections,)`` int, the best candidate annotation of each detection.
        has_candidate: ``(num_detections,)`` bool.

    Returns:
        ``(num_detections,)`` bool.
    """
    is_true_positive = np.zeros(len(best), dtype=bool)
    _, first = np.unique(best[has_candidate], return_index=True)
    is_true_positive[np.flatnonzero(has_candidate)[first]] = True
    return is_true_positive

"""Average precision of a ranked list of detections: PASCAL VOC's 11-point and all-point forms."""

import numpy as np

from evaluation.protocol import EvaluationProtocol

_OFFICIAL_THRESHOLDS = np.arange(0.0, 1.1, 0.1)
"""The official recall thresholds: float error makes 0.3, 0.6 and 0.7 a little larger."""
_EXACT_THRESHOLDS = np.arange(11) / 10


def eleven_point_ap(
    recall: np.ndarray, precision: np.ndarray, protocol: EvaluationProtocol
) -> float:
    """VOC2007 11-point AP: the mean over thresholds t of the best precision at recall >= t.

    Args:
        recall, precision: ``(num_detections,)`` float64, after each ranked detection.
        protocol: ``OFFICIAL`` uses the official thresholds (``np.arange(0, 1.1, 0.1)``),
            ``CORRECTED`` exact tenths.
    """
    thresholds = (
        _OFFICIAL_THRESHOLDS if protocol is EvaluationProtocol.OFFICIAL else _EXACT_THRESHOLDS
    )
    total = 0.0
    for threshold in thresholds:
        reached = recall >= threshold
        total += (precision[reached].max() if reached.any() else 0.0) / 11.0
    return float(total)


def all_point_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010 AP: the area under the precision envelope (precision made non-increasing).

    Args:
        recall, precision: ``(num_detections,)`` after each ranked detection.
    """
    recall = np.concatenate(([0.0], recall, [1.0]))
    envelope = np.maximum.accumulate(np.concatenate(([0.0], precision, [0.0]))[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1])
    return float(np.sum((recall[steps + 1] - recall[steps]) * envelope[steps + 1]))


def ranked_eleven_point_ap(
    scores: np.ndarray, is_true_positive: np.ndarray, num_truth: int, protocol: EvaluationProtocol
) -> float:
    """11-point AP of detections of one class, ranked by score (ties keep their given order).

    Args:
        scores: ``(num_detections,)`` confidence of each detection, in accumulation order.
        is_true_positive: ``(num_detections,)`` bool.
        num_truth: annotated instances of the class (> 0).
    """
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    true_positives = np.cumsum(np.asarray(is_true_positive)[order], dtype=np.int64)
    ranks = np.arange(1, len(order) + 1)
    return eleven_point_ap(true_positives / num_truth, true_positives / ranks, protocol)

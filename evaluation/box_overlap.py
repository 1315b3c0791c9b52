"""Box overlaps with the official evaluators' pixel conventions, computed in float32.

Both count pixels inclusively (a box from x1 to x2 is ``x2 - x1 + 1`` wide), as the official
HICO-DET, V-COCO and Open Images evaluators do, and both compute in float32 like them (their
boxes arrive as float32 tensors), so a threshold decides the same way to the last bit. Boxes
are xyxy in absolute pixels.
"""

import numpy as np


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0] + 1) * (boxes[..., 3] - boxes[..., 1] + 1)


def class_iou_matrix(
    truth_boxes: np.ndarray,
    truth_labels: np.ndarray,
    boxes: np.ndarray,
    labels: np.ndarray,
) -> np.ndarray:
    """IoU of every ground-truth box with every detected box of the same class.

    The relation evaluators' rule (``compute_IOU`` of the official HICO-DET and Open Images
    code): boxes of different classes overlap 0, and so do boxes whose intersection has no
    positive extent (``max(x1) >= min(x2)`` or ``max(y1) >= min(y2)``), even though the
    inclusive convention would give them one pixel.

    Args:
        truth_boxes: ``(num_truth, 4)``; truth_labels: ``(num_truth,)``; ``labels`` may hold
            any hashable class keys comparable with ``==`` (ints, or triplet codes for phrases).
        boxes: ``(num_detected, 4)``; labels: ``(num_detected,)``.

    Returns:
        ``(num_truth, num_detected)`` float32.
    """
    truth = np.asarray(truth_boxes, dtype=np.float32)[:, None, :]
    detected = np.asarray(boxes, dtype=np.float32)[None, :, :]
    left = np.maximum(truth[..., 1], detected[..., 1])
    right = np.minimum(truth[..., 3], detected[..., 3])
    top = np.maximum(truth[..., 0], detected[..., 0])
    bottom = np.minimum(truth[..., 2], detected[..., 2])
    intersection = (right - left + 1) * (bottom - top + 1)
    union = (_area(truth) + _area(detected)) - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = intersection / union
    same_class = np.asarray(truth_labels)[:, None] == np.asarray(labels)[None, :]
    overlapping = (left < right) & (top < bottom)
    return np.where(same_class & overlapping, iou, np.float32(0)).astype(np.float32)


def clamped_iou(boxes: np.ndarray, other_boxes: np.ndarray) -> np.ndarray:
    """IoU of ``boxes`` (``(..., 4)``) with ``other_boxes`` (``(..., 4)``), broadcast over the
    leading dimensions, as float32 (one box against many: ``(n, 4)`` with ``(4,)``).

    The rule of V-COCO's ``get_overlap`` and of the official NMS: the intersection's width and
    height are clamped at 0 after adding the inclusive pixel, so touching boxes overlap a
    little. A NaN coordinate gives NaN.
    """
    boxes = np.asarray(boxes, dtype=np.float32)
    other = np.asarray(other_boxes, dtype=np.float32)
    width = np.maximum(
        np.minimum(boxes[..., 2], other[..., 2]) - np.maximum(boxes[..., 0], other[..., 0]) + 1, 0
    )
    height = np.maximum(
        np.minimum(boxes[..., 3], other[..., 3]) - np.maximum(boxes[..., 1], other[..., 1]) + 1, 0
    )
    intersection = width * height
    with np.errstate(invalid="ignore", divide="ignore"):
        return (intersection / ((_area(other) + _area(boxes)) - intersection)).astype(np.float32)

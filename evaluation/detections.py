"""One image's relation detections: what the official HOI/SGG post-processor returns."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from data_schemas.errors import RLIPv2InputError


@dataclass(frozen=True)
class ImageDetections:
    """Detected boxes of one image and the subject-object pairs scored over every verb.

    This is the output of the official post-processor (``PostProcessHOI`` / ``PostProcessSGG``)
    for one image, before any correct-combination mask, top-k cut or pair NMS.

    Attributes:
        image_id: the image, as the ground truth names it.
        boxes: ``(num_boxes, 4)`` float32, xyxy in absolute pixels of the original image
            (x right, y down), ``x2 >= x1`` and ``y2 >= y1``.
        labels: ``(num_boxes,)`` int64 object-class index of each box, in the dataset's
            object vocabulary.
        subject_index: ``(num_pairs,)`` int64 row of ``boxes`` holding each pair's subject.
        object_index: ``(num_pairs,)`` int64 row of ``boxes`` holding each pair's object.
        verb_scores: ``(num_pairs, num_verbs)`` float32 score in [0, 1] of each verb for each
            pair (the official post-processor already multiplied in the object score).

    Raises:
        ValueError: on a wrong shape, a non-finite or out-of-range value, a box with
            ``x2 < x1`` or ``y2 < y1``, or a pair index outside ``boxes``.
    """

    image_id: int
    boxes: np.ndarray
    labels: np.ndarray
    subject_index: np.ndarray
    object_index: np.ndarray
    verb_scores: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _array(self.boxes, np.float32, "boxes").reshape(-1, 4))
        for name in ("labels", "subject_index", "object_index"):
            object.__setattr__(self, name, _array(getattr(self, name), np.int64, name))
        scores = _array(self.verb_scores, np.float32, "verb_scores")
        if scores.ndim != 2:
            if scores.size:
                raise ValueError(f"verb_scores must be (num_pairs, num_verbs), got {scores.shape}")
            scores = scores.reshape(0, 0)
        object.__setattr__(self, "verb_scores", scores)
        self._check()

    @property
    def num_pairs(self) -> int:
        return len(self.subject_index)

    @property
    def num_verbs(self) -> int:
        return self.verb_scores.shape[1]

    def _check(self) -> None:
        num_boxes = len(self.boxes)
        if len(self.labels) != num_boxes:
            raise ValueError(f"{len(self.labels)} labels for {num_boxes} boxes")
        if not np.isfinite(self.boxes).all():
            raise ValueError("a box has a non-finite coordinate")
        inverted = (self.boxes[:, 2] < self.boxes[:, 0]) | (self.boxes[:, 3] < self.boxes[:, 1])
        if inverted.any():
            row = int(np.flatnonzero(inverted)[0])
            raise ValueError(
                f"box {row} {self.boxes[row].tolist()} has x2 < x1 or y2 < y1 (boxes are xyxy)"
            )
        if (self.labels < 0).any():
            raise ValueError("a box label is negative")
        if len(self.object_index) != self.num_pairs or len(self.verb_scores) != self.num_pairs:
            raise ValueError(
                f"{self.num_pairs} subject indices, {len(self.object_index)} object indices and "
                f"{len(self.verb_scores)} verb-score rows: one of each per pair"
            )
        for name in ("subject_index", "object_index"):
            indices = getattr(self, name)
            if ((indices < 0) | (indices >= num_boxes)).any():
                raise ValueError(f"a pair's {name} is outside the image's {num_boxes} boxes")
        if np.isnan(self.verb_scores).any():
            raise ValueError("a verb score is NaN")
        if ((self.verb_scores < 0) | (self.verb_scores > 1)).any():
            raise ValueError("a verb score is outside [0, 1]")


def _array(values: object, dtype: type, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size and not np.can_cast(array.dtype, dtype, casting="same_kind"):
        raise ValueError(
            f"{name} must be numbers of kind {np.dtype(dtype).name}, got {array.dtype}"
        )
    return np.ascontiguousarray(array, dtype=dtype)


def align_detections(
    detections: Mapping[int, ImageDetections],
    image_ids: Sequence[int],
    *,
    num_object_labels: int,
    num_verbs: int,
) -> list[ImageDetections]:
    """The detections of each ground-truth image, in ``image_ids`` order, after checking that
    they fit the ground truth: no unknown or missing image, no unknown class, and one score per
    verb. A metric never silently skips or invents an image.

    Args:
        detections: by image id.
        image_ids: the ground truth's images, in evaluation order.
        num_object_labels: box labels must be below this.
        num_verbs: the dataset's verb count.

    Raises:
        RLIPv2InputError: naming the first offending image.
    """
    known = set(image_ids)
    unknown = sorted(set(detections) - known)
    if unknown:
        raise RLIPv2InputError(
            f"detections name {len(unknown)} image(s) that the ground truth lacks "
            f"(first: {unknown[0]}); are they of another dataset or split?"
        )
    missing = [image_id for image_id in image_ids if image_id not in detections]
    if missing:
        raise RLIPv2InputError(
            f"detections lack {len(missing)} of the {len(image_ids)} ground-truth images "
            f"(first: {missing[0]}); an image where nothing was detected needs an entry with "
            "no pairs"
        )
    for image_id in image_ids:
        image = detections[image_id]
        if len(image.labels) and image.labels.max() >= num_object_labels:
            raise RLIPv2InputError(
                f"detections of image {image_id}: box label {int(image.labels.max())} is not "
                f"among the dataset's {num_object_labels} object labels"
            )
        if image.num_pairs and image.num_verbs != num_verbs:
            raise RLIPv2InputError(
                f"detections of image {image_id}: {image.num_verbs} verb scores per pair, but "
                f"the dataset has {num_verbs} verbs"
            )
    return [_with_verb_count(detections[image_id], num_verbs) for image_id in image_ids]


def _with_verb_count(image: ImageDetections, num_verbs: int) -> ImageDetections:
    """``image`` with ``(0, num_verbs)`` verb scores when it has no pair (a file cannot say)."""
    if image.num_pairs or image.num_verbs == num_verbs:
        return image
    return replace(image, verb_scores=np.zeros((0, num_verbs), dtype=np.float32))

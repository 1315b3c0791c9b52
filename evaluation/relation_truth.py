"""Ground truth of relation detection (HICO-DET, Open Images): boxes and (subject, object, verb)."""

from dataclasses import dataclass

import numpy as np

Triplet = tuple[int, int, int]
"""A relation class: (subject label, object label, verb)."""


@dataclass(frozen=True)
class ImageRelationTruth:
    """The annotated boxes and relations of one image.

    Attributes:
        image_id: the image.
        boxes: ``(num_boxes, 4)`` float32 xyxy in absolute pixels, as the annotation gives them
            (the official evaluators hold them as float32 too).
        labels: ``(num_boxes,)`` int64 object-class index of each box.
        relations: ``(num_relations, 3)`` int64 rows ``(subject box, object box, verb)``.
    """

    image_id: int
    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray

    def __post_init__(self) -> None:
        boxes = np.ascontiguousarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        labels = np.ascontiguousarray(self.labels, dtype=np.int64).reshape(-1)
        relations = np.ascontiguousarray(self.relations, dtype=np.int64).reshape(-1, 3)
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "relations", relations)
        if len(labels) != len(boxes):
            raise ValueError(f"image {self.image_id}: {len(labels)} labels for {len(boxes)} boxes")
        if not np.isfinite(boxes).all():
            raise ValueError(f"image {self.image_id}: a box has a non-finite coordinate")
        box_rows = relations[:, :2]
        if ((box_rows < 0) | (box_rows >= len(boxes))).any():
            raise ValueError(f"image {self.image_id}: a relation names a box it does not have")

    def triplets(self) -> list[Triplet]:
        """The class of each relation, in annotation order."""
        return [
            (int(self.labels[subject]), int(self.labels[object_]), int(verb))
            for subject, object_, verb in self.relations
        ]


@dataclass(frozen=True)
class RelationTruth:
    """The ground truth of a test set and its label space.

    Attributes:
        images: every test image, in evaluation order (image ids are unique).
        num_object_classes: size of the object vocabulary (labels are ``0..n-1``).
        num_verbs: size of the verb (predicate) vocabulary.
    """

    images: tuple[ImageRelationTruth, ...]
    num_object_classes: int
    num_verbs: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", tuple(self.images))
        ids = [image.image_id for image in self.images]
        if len(set(ids)) != len(ids):
            raise ValueError("ground truth names an image twice")
        for image in self.images:
            if (
                len(image.labels)
                and not 0 <= image.labels.min() <= image.labels.max() < self.num_object_classes
            ):
                raise ValueError(
                    f"image {image.image_id}: a box label is outside the "
                    f"{self.num_object_classes} object classes"
                )
            verbs = image.relations[:, 2]
            if len(verbs) and not 0 <= verbs.min() <= verbs.max() < self.num_verbs:
                raise ValueError(
                    f"image {image.image_id}: a verb is outside the {self.num_verbs} verbs"
                )

    def triplet_counts(self) -> dict[Triplet, int]:
        """How many annotated relations each relation class has, in first-seen order (on a
        training split: the counts that decide which classes are rare)."""
        counts: dict[Triplet, int] = {}
        for image in self.images:
            for triplet in image.triplets():
                counts[triplet] = counts.get(triplet, 0) + 1
        return counts

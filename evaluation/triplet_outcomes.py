"""Detection outcomes pooled over a test set, and the average precision of each triplet."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.average_precision import ranked_eleven_point_ap
from evaluation.protocol import EvaluationProtocol
from evaluation.relation_truth import Triplet


@dataclass(frozen=True)
class TripletOutcomes:
    """Scored detections of a test set, one row each, in accumulation order (image by image,
    each image's detections highest score first), which decides the order of tied scores.

    Attributes:
        triplets: ``(num_rows, 3)`` int64 (subject label, object label, verb) of each row.
        image_position: ``(num_rows,)`` int64 position of the row's image in the ground truth.
        score: ``(num_rows,)`` float32.
        is_true_positive: ``(num_rows,)`` bool.
    """

    triplets: np.ndarray
    image_position: np.ndarray
    score: np.ndarray
    is_true_positive: np.ndarray

    @classmethod
    def concatenate(cls, parts: Sequence["TripletOutcomes"]) -> "TripletOutcomes":
        if not parts:
            return cls(
                np.zeros((0, 3), dtype=np.int64),
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.float32),
                np.zeros(0, dtype=bool),
            )
        return cls(
            np.concatenate([part.triplets for part in parts]).reshape(-1, 3),
            np.concatenate([part.image_position for part in parts]),
            np.concatenate([part.score for part in parts]),
            np.concatenate([part.is_true_positive for part in parts]),
        )

    def where(self, keep: np.ndarray) -> "TripletOutcomes":
        """The rows where ``keep`` (``(num_rows,)`` bool) holds."""
        return TripletOutcomes(
            self.triplets[keep],
            self.image_position[keep],
            self.score[keep],
            self.is_true_positive[keep],
        )

    def rows_by_triplet(self) -> dict[Triplet, np.ndarray]:
        """Each triplet's rows, in accumulation order."""
        if len(self.triplets) == 0:
            return {}
        unique, inverse = np.unique(self.triplets, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(inverse, kind="stable")
        groups = np.split(order, np.cumsum(np.bincount(inverse))[:-1])
        return {
            tuple(int(value) for value in triplet): rows for triplet, rows in zip(unique, groups)
        }

    def average_precisions(
        self, truth_counts: Mapping[Triplet, int], protocol: EvaluationProtocol
    ) -> dict[Triplet, float]:
        """11-point AP of every annotated triplet (0 for one that nothing detected).

        Args:
            truth_counts: annotated instances of each triplet in the test set.
        """
        rows = self.rows_by_triplet()
        empty = np.zeros(0, dtype=np.int64)
        return {
            triplet: ranked_eleven_point_ap(
                self.score[rows.get(triplet, empty)],
                self.is_true_positive[rows.get(triplet, empty)],
                count,
                protocol,
            )
            for triplet, count in truth_counts.items()
        }

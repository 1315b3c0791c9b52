"""Count distributions and confidence histograms, as summaries report them."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

CONFIDENCE_BINS = 10
"""Equal-width confidence bins over [0, 1]; the last one includes 1.0."""


@dataclass(frozen=True)
class CountDistribution:
    """How many images have each number of items: ``images_with[k]`` images have ``counts[k]``.

    ``counts`` is strictly increasing.
    """

    counts: tuple[int, ...]
    images_with: tuple[int, ...]

    @classmethod
    def of(cls, per_image: Sequence[int] | np.ndarray) -> "CountDistribution":
        """The distribution of ``per_image`` (one item count per image)."""
        values, images = np.unique(np.asarray(per_image, dtype=np.int64), return_counts=True)
        return cls(counts=tuple(values.tolist()), images_with=tuple(images.tolist()))

    @property
    def images(self) -> int:
        return sum(self.images_with)

    @property
    def total(self) -> int:
        return sum(count * images for count, images in zip(self.counts, self.images_with))

    @property
    def mean(self) -> float:
        return self.total / self.images if self.images else math.nan

    def quantile(self, fraction: float) -> int:
        """The smallest count at or below which ``fraction`` of the images lie (0 if empty)."""
        if not self.images:
            return 0
        needed = max(1, math.ceil(fraction * self.images))
        cumulative = np.cumsum(self.images_with)
        return self.counts[int(np.searchsorted(cumulative, needed))]

    def as_dict(self) -> dict:
        return {
            "images": self.images,
            "total": self.total,
            "min": self.counts[0] if self.counts else 0,
            "median": self.quantile(0.5),
            "p90": self.quantile(0.9),
            "max": self.counts[-1] if self.counts else 0,
            "mean": None if not self.images else round(self.mean, 4),
            "histogram": {
                str(count): images for count, images in zip(self.counts, self.images_with)
            },
        }


@dataclass(frozen=True)
class ConfidenceHistogram:
    """Confidences in :data:`CONFIDENCE_BINS` equal bins over [0, 1], and how many had none.

    Bin ``i`` holds ``bin_edges[i] <= confidence < bin_edges[i + 1]`` (the last bin includes 1).
    ``unscored`` counts relations with no confidence (human annotation).
    """

    bin_edges: tuple[float, ...]
    counts: tuple[int, ...]
    unscored: int

    @classmethod
    def of(cls, confidences: pa.Array | pa.ChunkedArray) -> "ConfidenceHistogram":
        """The histogram of a float column; nulls are ``unscored``."""
        values = confidences.drop_null().to_numpy()
        counts, edges = np.histogram(values, bins=CONFIDENCE_BINS, range=(0.0, 1.0))
        return cls(
            bin_edges=tuple(round(edge, 6) for edge in edges.tolist()),
            counts=tuple(counts.tolist()),
            unscored=confidences.null_count,
        )

    @property
    def scored(self) -> int:
        return sum(self.counts)

    def bins(self) -> list[tuple[float, float, int]]:
        """``(low, high, count)`` per bin."""
        return [
            (low, high, count)
            for low, high, count in zip(self.bin_edges, self.bin_edges[1:], self.counts)
        ]

    def as_dict(self) -> dict:
        return {
            "bins": [
                {"low": low, "high": high, "count": count} for low, high, count in self.bins()
            ],
            "unscored": self.unscored,
        }

"""The images a training run reads: annotation stores less the images whose files were set
aside, as one sequence of :class:`~model.data.image_annotation.ImageAnnotation` decoded on
access.

Besides its stores (memory-mapped, pickled as paths), a selection holds only the sorted indices
of the images set aside, so a DataLoader worker receives a few bytes per rejected image, not a
copy of the annotations.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.data.annotation_store import AnnotationStore
from model.data.image_annotation import ImageAnnotation


@dataclass(frozen=True)
class StoreSelection:
    """A store's images under ``image_root``, less ``rejected`` (sorted store indices)."""

    store: AnnotationStore
    image_root: Path
    rejected: np.ndarray

    def __post_init__(self) -> None:
        # Store image j is the (j - rejected images before j)-th selected one: the k-th
        # rejected image has rejected[k] - k selected ones before it.
        object.__setattr__(self, "_selected_before", self.rejected - np.arange(len(self.rejected)))

    def __len__(self) -> int:
        return len(self.store) - len(self.rejected)

    def store_index(self, index: int) -> int:
        """The store index of the selection's ``index``-th image (0 <= index < len)."""
        return index + int(np.searchsorted(self._selected_before, index, side="right"))

    def kept(self) -> np.ndarray:
        """(num store images,) bool: the image is selected."""
        kept = np.ones(len(self.store), dtype=bool)
        kept[self.rejected] = False
        return kept


class TrainingAnnotations(Sequence[ImageAnnotation]):
    """Several selections in turn, as one sequence."""

    def __init__(self, selections: Sequence[StoreSelection]) -> None:
        self.selections = tuple(selections)
        self._ends = np.cumsum([len(selection) for selection in self.selections]).tolist()

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: int) -> ImageAnnotation:  # type: ignore[override]
        if not isinstance(index, int | np.integer):
            raise TypeError(f"TrainingAnnotations indices must be integers, not {index!r}")
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"image {index} of {len(self)}")
        part = bisect_right(self._ends, index)
        selection = self.selections[part]
        first = self._ends[part - 1] if part else 0
        return selection.store.annotation(selection.store_index(index - first),
                                          selection.image_root)

    def __add__(self, other: "TrainingAnnotations") -> "TrainingAnnotations":
        return TrainingAnnotations(self.selections + other.selections)

    def related_counts(self) -> tuple[Counter[str], Counter[str]]:
        """How many related entities bear each name (distinct name and box per image), and how
        many pairs each predicate labels, over every selected image."""
        entities: Counter[str] = Counter()
        predicates: Counter[str] = Counter()
        for selection in self.selections:
            name_counts, predicate_counts = selection.store.related_counts(selection.kept())
            for counter, texts, counts in (
                (entities, selection.store.entity_texts, name_counts),
                (predicates, selection.store.predicate_texts, predicate_counts),
            ):
                for position in np.flatnonzero(counts).tolist():
                    counter[texts[position]] += int(counts[position])
        return entities, predicates

"""Which relation classes count as rare (or unseen) and which as non-rare (or seen)."""

from collections.abc import Mapping
from dataclasses import dataclass

from evaluation.relation_truth import Triplet

RARE_BELOW = 10
"""HICO-DET's rule: a class with fewer than 10 training instances is rare."""


@dataclass(frozen=True)
class TripletSplit:
    """Two disjoint sets of relation classes, each reported as its own mean AP.

    For the default HICO-DET setting they are the rare and non-rare classes; for the zero-shot
    settings (UC-RF, UC-NF) the unseen and seen ones. A test class in neither set counts in
    the Full mean only, as in the official code.
    """

    rare: frozenset[Triplet]
    non_rare: frozenset[Triplet]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rare", frozenset(self.rare))
        object.__setattr__(self, "non_rare", frozenset(self.non_rare))
        both = self.rare & self.non_rare
        if both:
            raise ValueError(f"triplet {min(both)} is both rare and non-rare")

    @classmethod
    def from_training_counts(
        cls, counts: Mapping[Triplet, int], *, rare_below: int = RARE_BELOW
    ) -> "TripletSplit":
        """Rare: the training classes with fewer than ``rare_below`` instances; non-rare: the
        others. A class absent from training is in neither (the official ``set_rare_hois``)."""
        return cls(
            rare=frozenset(triplet for triplet, count in counts.items() if count < rare_below),
            non_rare=frozenset(triplet for triplet, count in counts.items() if count >= rare_below),
        )

"""The table of plausible (subject category, predicate, object category) triplets.

The scene sampler draws a predicate uniformly, then one of its triplets uniformly. The same category
pair may appear under several predicates ("cup" on / under "bench"; "person" next to / in front of
"car"), so the relation is not implied by the categories alone. "feeding" and "petting" have the
same pairs and the same placement rule.
"""

from dataclasses import dataclass

from demo_world.vocabulary import DEMO_CATEGORIES, DEMO_PREDICATES


@dataclass(frozen=True)
class DemoTriplet:
    """A (subject category, predicate, object category) combination the sampler may draw."""

    subject_name: str
    predicate_name: str
    object_name: str


def _triplets(predicate_name: str, pairs: tuple[tuple[str, str], ...]) -> tuple[DemoTriplet, ...]:
    return tuple(DemoTriplet(subject, predicate_name, object_) for subject, object_ in pairs)


_ANIMALS = (("person", "dog"), ("person", "horse"))

DEMO_TRIPLETS: tuple[DemoTriplet, ...] = (
    *_triplets(
        "on",
        (
            ("cup", "dining table"),
            ("bottle", "dining table"),
            ("sports ball", "dining table"),
            ("teddy bear", "dining table"),
            ("teddy bear", "bench"),
            ("cup", "bench"),
            ("dog", "bench"),
        ),
    ),
    *_triplets(
        "under",
        (
            ("dog", "dining table"),
            ("sports ball", "dining table"),
            ("teddy bear", "dining table"),
            ("bottle", "dining table"),
            ("sports ball", "bench"),
            ("cup", "bench"),
        ),
    ),
    *_triplets(
        "next to",
        (
            ("person", "car"),
            ("person", "bicycle"),
            ("dog", "person"),
            ("bench", "traffic light"),
            ("car", "traffic light"),
            ("bicycle", "bench"),
            ("person", "traffic light"),
            ("dog", "bicycle"),
        ),
    ),
    *_triplets(
        "above",
        (
            ("kite", "car"),
            ("kite", "horse"),
            ("kite", "dog"),
            ("kite", "bench"),
            ("umbrella", "dining table"),
            ("umbrella", "bench"),
            ("sports ball", "person"),
            ("sports ball", "dog"),
        ),
    ),
    *_triplets(
        "in front of",
        (
            ("person", "car"),
            ("bicycle", "car"),
            ("dog", "bench"),
            ("dog", "car"),
            ("person", "bench"),
            ("person", "traffic light"),
        ),
    ),
    *_triplets("riding", (("person", "horse"), ("person", "bicycle"))),
    *_triplets(
        "holding",
        (
            ("person", "cup"),
            ("person", "umbrella"),
            ("person", "sports ball"),
            ("person", "teddy bear"),
            ("person", "bottle"),
        ),
    ),
    *_triplets("sitting on", (("person", "bench"),)),
    *_triplets("flying", (("person", "kite"),)),
    *_triplets("feeding", _ANIMALS),
    *_triplets("petting", _ANIMALS),
)


def check_triplets(triplets: tuple[DemoTriplet, ...]) -> None:
    """Raise ``ValueError`` when a triplet names an unknown category or predicate."""
    category_names = {category.name for category in DEMO_CATEGORIES}
    predicate_names = {predicate.name for predicate in DEMO_PREDICATES}
    for triplet in triplets:
        if {triplet.subject_name, triplet.object_name} - category_names:
            known = sorted(category_names)
            raise ValueError(f"triplet {triplet} names an unknown category; known: {known}")
        if triplet.predicate_name not in predicate_names:
            known = sorted(predicate_names)
            raise ValueError(f"triplet {triplet} names an unknown predicate; known: {known}")

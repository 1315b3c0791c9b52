"""The demo world's vocabulary: object categories with their caption synonyms, and predicates.

Other stages import this module: the matching stage reads :func:`category_synonym_table`, the
relation-tagger benchmark reads :data:`DEMO_PREDICATES` (plausible triplets are in ``triplets.py``).

Sizes are in absolute pixels for an object at scale 1.0; scenes are 224..320 pixels wide and
192..256 pixels high, and the scene sampler scales objects by 0.85 (far) .. 1.25 (near) times
``image height / 224``.
"""

from dataclasses import dataclass
from enum import Enum


class PlacementRule(Enum):
    """How a relation's subject box is placed relative to its object box (see ``layout.py``)."""

    RESTING_ON = "resting_on"  # subject's bottom edge on the object's support surface
    BENEATH = "beneath"  # subject on the ground, inside the object's footprint, below its surface
    BESIDE = "beside"  # both on one ground line, separated by a small horizontal gap
    ABOVE = "above"  # subject floats clear above the object, roughly centred over it
    IN_FRONT = "in_front"  # subject overlaps the object, standing on a nearer (lower) ground line
    MOUNTED = "mounted"  # person's lower body overlaps the object's upper half
    IN_HAND = "in_hand"  # the object's grip point lies on the person's hand
    TENDING = "tending"  # person stands at the animal's head, the two boxes slightly overlapping
    SEATED = "seated"  # person's hips on the seat, feet on the ground
    TETHERED = "tethered"  # object high up beside the person, joined to the hand by a string


class PredicateKind(Enum):
    """Whether a predicate is decidable from the two boxes or needs the image."""

    SPATIAL = "spatial"  # the boxes alone decide it
    INTERACTION = "interaction"  # a geometry of its own; the boxes usually decide it
    VISUAL_CUE = "visual_cue"  # shares its geometry with another predicate; only pixels decide it


@dataclass(frozen=True)
class DemoCategory:
    """One object category; ``synonyms[i]`` is the singular of ``plural_synonyms[i]``.

    ``synonyms[0]`` is ``name``. Multi-word names list their head noun among the synonyms
    ("dining table" -> "table"). ``typical_width`` x ``typical_height`` is the box size in
    pixels at scale 1.0; ``airborne`` categories are placed in the sky, not on the ground.
    """

    category_id: int
    name: str
    supercategory: str
    synonyms: tuple[str, ...]
    plural_synonyms: tuple[str, ...]
    typical_width: float
    typical_height: float
    airborne: bool = False

    def __post_init__(self) -> None:
        if self.category_id < 1:
            raise ValueError(
                f"category {self.name!r}: category_id must be >= 1, got {self.category_id}"
            )
        if not self.synonyms or self.synonyms[0] != self.name:
            raise ValueError(f"category {self.name!r}: synonyms must start with the name itself")
        if len(self.synonyms) != len(self.plural_synonyms):
            raise ValueError(f"category {self.name!r}: every synonym needs exactly one plural")
        if self.typical_width <= 0 or self.typical_height <= 0:
            raise ValueError(f"category {self.name!r}: typical size must be positive")


@dataclass(frozen=True)
class DemoPredicate:
    """One predicate; ``caption_phrases`` are the words a caption may put between the two nouns."""

    name: str
    kind: PredicateKind
    placement: PlacementRule
    caption_phrases: tuple[str, ...]
    visual_cue: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is PredicateKind.VISUAL_CUE) != (self.visual_cue is not None):
            raise ValueError(
                f"predicate {self.name!r}: exactly the visual-cue predicates describe a cue"
            )
        if not self.caption_phrases or self.caption_phrases[0] != self.name:
            raise ValueError(
                f"predicate {self.name!r}: caption phrases must start with the name itself"
            )

    @property
    def is_spatial(self) -> bool:
        return self.kind is PredicateKind.SPATIAL


def _category(
    category_id: int,
    supercategory: str,
    size: tuple[float, float],
    *nouns: tuple[str, str],
    airborne: bool = False,
) -> DemoCategory:
    """``nouns`` are (singular, plural) pairs, the category name first."""
    return DemoCategory(
        category_id=category_id,
        name=nouns[0][0],
        supercategory=supercategory,
        synonyms=tuple(singular for singular, _ in nouns),
        plural_synonyms=tuple(plural for _, plural in nouns),
        typical_width=size[0],
        typical_height=size[1],
        airborne=airborne,
    )


DEMO_CATEGORIES: tuple[DemoCategory, ...] = (
    _category(
        1,
        "person",
        (24, 60),
        ("person", "people"),
        ("man", "men"),
        ("woman", "women"),
        ("boy", "boys"),
        ("girl", "girls"),
        ("lady", "ladies"),
        ("child", "children"),
        ("kid", "kids"),
        ("guy", "guys"),
        ("rider", "riders"),
    ),
    _category(2, "animal", (76, 54), ("horse", "horses"), ("pony", "ponies")),
    _category(3, "animal", (38, 26), ("dog", "dogs"), ("puppy", "puppies"), ("pup", "pups")),
    _category(
        4, "vehicle", (52, 34), ("bicycle", "bicycles"), ("bike", "bikes"), ("cycle", "cycles")
    ),
    _category(
        5,
        "vehicle",
        (84, 40),
        ("car", "cars"),
        ("vehicle", "vehicles"),
        ("automobile", "automobiles"),
        ("sedan", "sedans"),
    ),
    _category(6, "outdoor", (70, 36), ("bench", "benches"), ("park bench", "park benches")),
    _category(
        7,
        "furniture",
        (72, 38),
        ("dining table", "dining tables"),
        ("table", "tables"),
        ("kitchen table", "kitchen tables"),
    ),
    _category(
        8, "kitchen", (12, 13), ("cup", "cups"), ("mug", "mugs"), ("coffee cup", "coffee cups")
    ),
    _category(9, "kitchen", (9, 23), ("bottle", "bottles"), ("water bottle", "water bottles")),
    _category(10, "accessory", (44, 36), ("umbrella", "umbrellas"), ("parasol", "parasols")),
    _category(
        11,
        "sports",
        (13, 13),
        ("sports ball", "sports balls"),
        ("ball", "balls"),
        ("football", "footballs"),
        ("soccer ball", "soccer balls"),
    ),
    _category(12, "sports", (26, 34), ("kite", "kites"), airborne=True),
    _category(
        13,
        "indoor",
        (20, 24),
        ("teddy bear", "teddy bears"),
        ("teddy", "teddies"),
        ("bear", "bears"),
        ("stuffed bear", "stuffed bears"),
    ),
    _category(
        14,
        "outdoor",
        (12, 54),
        ("traffic light", "traffic lights"),
        ("light", "lights"),
        ("stoplight", "stoplights"),
        ("traffic signal", "traffic signals"),
    ),
)

_SPATIAL, _INTERACTION, _VISUAL_CUE = (
    PredicateKind.SPATIAL,
    PredicateKind.INTERACTION,
    PredicateKind.VISUAL_CUE,
)

# "feeding" and "petting" share the TENDING placement and the same (person, animal) triplets,
# so their boxes follow one distribution; only the drawn cue tells them apart.
DEMO_PREDICATES: tuple[DemoPredicate, ...] = (
    DemoPredicate("on", _SPATIAL, PlacementRule.RESTING_ON, ("on", "on top of")),
    DemoPredicate("under", _SPATIAL, PlacementRule.BENEATH, ("under", "underneath", "beneath")),
    DemoPredicate("next to", _SPATIAL, PlacementRule.BESIDE, ("next to", "beside")),
    DemoPredicate("above", _SPATIAL, PlacementRule.ABOVE, ("above", "over")),
    DemoPredicate("in front of", _SPATIAL, PlacementRule.IN_FRONT, ("in front of",)),
    DemoPredicate("riding", _INTERACTION, PlacementRule.MOUNTED, ("riding",)),
    DemoPredicate("holding", _INTERACTION, PlacementRule.IN_HAND, ("holding", "carrying")),
    DemoPredicate("sitting on", _INTERACTION, PlacementRule.SEATED, ("sitting on", "seated on")),
    DemoPredicate("flying", _INTERACTION, PlacementRule.TETHERED, ("flying",)),
    DemoPredicate(
        "feeding",
        _VISUAL_CUE,
        PlacementRule.TENDING,
        ("feeding",),
        visual_cue="a red apple with a green leaf in the hand, held at the animal's mouth",
    ),
    DemoPredicate(
        "petting",
        _VISUAL_CUE,
        PlacementRule.TENDING,
        ("petting", "stroking"),
        visual_cue="an arm reaching over onto the animal's back, the hand resting on it",
    ),
)

_CATEGORIES_BY_NAME = {category.name: category for category in DEMO_CATEGORIES}
_PREDICATES_BY_NAME = {predicate.name: predicate for predicate in DEMO_PREDICATES}


def category_by_name(name: str) -> DemoCategory:
    """The demo category called ``name``; raises ``KeyError`` naming the known ones otherwise."""
    try:
        return _CATEGORIES_BY_NAME[name]
    except KeyError:
        known = sorted(_CATEGORIES_BY_NAME)
        raise KeyError(f"unknown demo category {name!r}; known: {known}") from None


def predicate_by_name(name: str) -> DemoPredicate:
    """The demo predicate called ``name``; raises ``KeyError`` naming the known ones otherwise."""
    try:
        return _PREDICATES_BY_NAME[name]
    except KeyError:
        known = sorted(_PREDICATES_BY_NAME)
        raise KeyError(f"unknown demo predicate {name!r}; known: {known}") from None


def category_synonym_table() -> dict[str, list[str]]:
    """Category name -> every word a caption may use for it: singulars first, then plurals."""
    return {
        category.name: list(dict.fromkeys(category.synonyms + category.plural_synonyms))
        for category in DEMO_CATEGORIES
    }


def demo_label_texts() -> list[str]:
    """Every label text the demo world's annotations use: category names, then every phrase of
    every predicate (its Visual Genome relations are written with all of them)."""
    return [category.name for category in DEMO_CATEGORIES] + [
        phrase for predicate in DEMO_PREDICATES for phrase in predicate.caption_phrases
    ]

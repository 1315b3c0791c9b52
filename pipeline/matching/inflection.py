"""English noun inflection for matching: singular synonym -> the forms a caption may use."""

import re

_IRREGULAR_PLURALS: dict[str, tuple[str, ...]] = {
    "man": ("men",),
    "woman": ("women",),
    "person": ("people", "persons"),
    "child": ("children",),
    "foot": ("feet",),
    "tooth": ("teeth",),
    "mouse": ("mice",),
    "goose": ("geese",),
    "ox": ("oxen",),
    "louse": ("lice",),
    "die": ("dice",),
    "cactus": ("cacti", "cactuses"),
    "fungus": ("fungi",),
    "knife": ("knives",),
    "wife": ("wives",),
    "life": ("lives",),
    "leaf": ("leaves",),
    "loaf": ("loaves",),
    "shelf": ("shelves",),
    "wolf": ("wolves",),
    "calf": ("calves",),
    "half": ("halves",),
    "scarf": ("scarves", "scarfs"),
    "hoof": ("hooves", "hoofs"),
}
# Nouns whose plural is the same word (or that are already plural / mass nouns).
_UNCHANGED = frozenset(
    {"sheep", "deer", "fish", "aircraft", "cattle", "people", "skis", "glasses", "scissors",
     "pants", "jeans", "shorts", "trousers", "sunglasses", "headphones", "earphones", "tongs",
     "binoculars", "pliers", "series", "species", "broccoli", "luggage", "furniture"}
)
_SIBILANT_ENDING = re.compile(r"(s|x|z|ch|sh)$")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")


def plural_forms(word: str) -> tuple[str, ...]:
    """Plural forms of a lower-case singular noun, most common first.

    Rules plus a table of irregular nouns. Where usage varies ("potatoes"/"potatos") both
    forms are returned: matching a form nobody writes costs nothing.
    """
    if word in _UNCHANGED:
        return (word,)
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if _SIBILANT_ENDING.search(word):
        return (word + "es",)
    if _CONSONANT_Y.search(word):
        return (word[:-1] + "ies",)
    if word.endswith("o"):
        return (word + "s", word + "es")
    return (word + "s",)


def phrase_forms(phrase: str) -> tuple[str, ...]:
    """A phrase and its plurals (inflecting its last word): "hot dog" -> "hot dogs"."""
    *modifiers, last = phrase.split(" ")
    plurals = tuple(" ".join([*modifiers, plural]) for plural in plural_forms(last))
    return tuple(dict.fromkeys((phrase, *plurals)))

"""Lemmas of relation phrases ("riding" -> "ride", "sitting on" -> "sit on").

spaCy's rule lemmatizer strips "-ing"/"-ed" and, when several stems are English verbs, keeps the
last rule's: "riding" -> "rid" (not "ride"), "taping" -> "tap", "staring" -> "star",
"scared" -> "scar". English spelling says which is right: a one-syllable stem ending in
consonant-vowel-consonant doubles its last consonant before "-ing"/"-ed" ("rid" -> "ridding",
"tap" -> "tapping"), so an undoubled "riding" cannot come from "rid". When spaCy's lemma is such a
stem, the lemmatizer's next candidate ("ride") is used instead.
"""

import re
from collections.abc import Sequence

from spacy.pipeline import Lemmatizer
from spacy.tokens import Token

_VERB_POS = frozenset({"VERB", "AUX"})
_INFLECTION_SUFFIXES = ("ing", "ed")
# One vowel between consonants, the last not w, x or y (which never double: "showing", "fixed").
_DOUBLING_STEM = re.compile(r"[^aeiou]*[aeiou][^aeiouwxy]")


def _is_undoubled_stem(word: str, stem: str) -> bool:
    """Whether ``stem`` + suffix = ``word`` although the stem would double ("rid" for "riding")."""
    return any(
        word == stem + suffix and _DOUBLING_STEM.fullmatch(stem) is not None
        for suffix in _INFLECTION_SUFFIXES
    )


class RelationLemmatizer:
    """Lower-case lemma of each word of a relation phrase, joined by single spaces.

    Verbs take spaCy's lemma, corrected as the module docstring says; other words (prepositions,
    adverbs, "front" in "in front of") take spaCy's lemma lower-cased, so "in front of" stays
    "in front of".
    """

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        self._lemmatizer = lemmatizer

    def lemmatize(self, tokens: Sequence[Token]) -> str:
        """The lemma of the phrase made of ``tokens`` (tokens of a lemmatised spaCy doc)."""
        return " ".join(self._token_lemma(token) for token in tokens)

    def _token_lemma(self, token: Token) -> str:
        lemma = token.lemma_.lower()
        if token.pos_ not in _VERB_POS or not _is_undoubled_stem(token.lower_, lemma):
            return lemma
        alternatives = [
            form
            for form in self._lemmatizer.rule_lemmatize(token)
            if not _is_undoubled_stem(token.lower_, form)
        ]
        return alternatives[0] if alternatives else lemma

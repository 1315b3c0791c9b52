"""Match a caption's noun phrase to one of the categories annotated in the image.

Unlike the paper's substring test ("hand" in "handle", "cat" in "catcher"), matching works on
whole words: a synonym matches a run of the phrase's words (or of their lemmas), and the run
must contain the phrase's head noun, so a modifier never decides ("pizza box" is a box, not a
pizza). Among matching runs the longest wins ("teddy bear" over "bear"), then a category's own
name over another category's synonym; a remaining tie between categories is ambiguous.
"""

import logging
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from data_schemas.triplets import PhraseMention
from pipeline.matching.inflection import phrase_forms
from pipeline.matching.synonym_table import BuiltinVocabulary, SynonymTable, synonym_table

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_PRONOUNS = frozenset(
    {"he", "she", "it", "they", "him", "her", "them", "i", "you", "we", "us", "me", "this",
     "that", "these", "those", "someone", "somebody", "something", "one", "anyone", "anything",
     "everyone", "everything", "who", "which", "what", "himself", "herself", "itself",
     "themselves"}
)
# "a group of people", "a herd of cattle": the category is in the "of" phrase.
_COLLECTIVE_NOUNS = frozenset(
    {"group", "groups", "herd", "herds", "flock", "flocks", "pair", "pairs", "bunch", "bunches",
     "couple", "crowd", "team", "teams", "set", "pack", "row", "rows", "line", "stack", "pile",
     "lot", "lots", "number", "bundle", "collection", "fleet", "swarm", "school", "family"}
)


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case word tokens of ``text`` ("T-shirt's" stays one word)."""
    return tuple(_WORD.findall(text.lower()))


class NoMatchReason(StrEnum):
    """Why a phrase matched no category of the image."""

    PRONOUN = "pronoun"
    NO_SYNONYM = "no_synonym"
    CATEGORY_NOT_IN_IMAGE = "category_not_in_image"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class PhraseMatch:
    """``words`` of the caption matched ``synonym``, a synonym of ``category``."""

    category: str
    synonym: str
    words: str


@dataclass(frozen=True)
class NoMatch:
    reason: NoMatchReason
    detail: str


@dataclass(frozen=True)
class _Hit:
    category: str
    synonym: str
    words: tuple[str, ...]


class PhraseMatcher:
    """Matches phrases against a synonym table (index of every synonym's word forms)."""

    def __init__(self, table: SynonymTable) -> None:
        self._table = table
        index: defaultdict[tuple[str, ...], dict[str, str]] = defaultdict(dict)
        for category, synonyms in table.synonyms.items():
            for synonym in synonyms:
                if not words_of(synonym):
                    logger.warning(
                        "synonym %r of %r has no word a caption phrase could contain (letters "
                        "a-z or digits); it never matches",
                        synonym,
                        category,
                    )
                for form in phrase_forms(synonym):
                    index[words_of(form)].setdefault(category, synonym)
        self._index = dict(index)
        self._longest = max((len(words) for words in self._index), default=1)

    def match(self, phrase: PhraseMention, present: Collection[str]) -> PhraseMatch | NoMatch:
        """Match ``phrase`` to one of the ``present`` categories (names as in the table)."""
        surface, lemmas, head_position = _head_phrase(phrase)
        if not surface:
            return NoMatch(NoMatchReason.NO_SYNONYM, f"{phrase.span!r} has no words")
        if surface[head_position] in _PRONOUNS:
            return NoMatch(NoMatchReason.PRONOUN, f"{phrase.span!r} is a pronoun")
        hits = self._hits(surface, head_position) + self._hits(lemmas, head_position)
        if not hits:
            return NoMatch(NoMatchReason.NO_SYNONYM, f"{phrase.span!r} matches no synonym")
        present_hits = [hit for hit in hits if hit.category in present]
        if not present_hits:
            categories = sorted({hit.category for hit in hits})
            return NoMatch(
                NoMatchReason.CATEGORY_NOT_IN_IMAGE,
                f"{phrase.span!r} names {', '.join(categories)}, not annotated in the image",
            )
        return self._most_specific(present_hits, phrase)

    def _hits(self, words: tuple[str, ...], head_position: int) -> list[_Hit]:
        """Synonym matches among runs of ``words`` that contain the head word."""
        hits = []
        if head_position >= len(words):
            return hits
        for start in range(max(0, head_position - self._longest + 1), head_position + 1):
            for end in range(head_position + 1, min(len(words), start + self._longest) + 1):
                run = words[start:end]
                for category, synonym in self._index.get(run, {}).items():
                    hits.append(_Hit(category=category, synonym=synonym, words=run))
        return hits

    def _most_specific(self, hits: list[_Hit], phrase: PhraseMention) -> PhraseMatch | NoMatch:
        longest = max(len(hit.words) for hit in hits)
        best = [hit for hit in hits if len(hit.words) == longest]
        own_names = [hit for hit in best if hit.synonym == hit.category.lower()]
        best = own_names or best
        categories = sorted({hit.category for hit in best})
        if len(categories) > 1:
            return NoMatch(
                NoMatchReason.AMBIGUOUS,
                f"{phrase.span!r} could be any of {', '.join(categories)}",
            )
        hit = best[0]
        return PhraseMatch(category=hit.category, synonym=hit.synonym, words=" ".join(hit.words))


def _head_phrase(phrase: PhraseMention) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """(surface words, lemma words, index of the head word), with collective nouns resolved.

    For "a group of people" the words after "of" are used and their last word is the head.
    """
    surface, lemmas = words_of(phrase.span), words_of(phrase.lemma_span)
    if len(lemmas) != len(surface):
        lemmas = surface
    for position, word in enumerate(surface[:-1]):
        if word == "of" and position > 0 and surface[position - 1] in _COLLECTIVE_NOUNS:
            return surface[position + 1 :], lemmas[position + 1 :], len(surface) - position - 2
    head_words = words_of(phrase.head)
    head = head_words[-1] if head_words else (surface[-1] if surface else "")
    positions = [index for index, word in enumerate(surface) if word == head]
    return surface, lemmas, positions[-1] if positions else len(surface) - 1


def build_phrase_matcher(
    vocabulary: BuiltinVocabulary, synonyms_file: Path | None
) -> PhraseMatcher:
    """The matcher of the built-in synonym table ``vocabulary`` extended with ``synonyms_file``.

    Raises:
        RLIPv2InputError: the synonym file cannot be read.
    """
    return PhraseMatcher(synonym_table(vocabulary, synonyms_file))

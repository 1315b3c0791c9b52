"""Widen a synonym table with WordNet: each category's sense, its other words, and the words of
its hyponyms ("lady" under woman under person; "puppy" under dog).

The result is a file for review, not a silent fallback: WordNet is broad, and a word it lists
under a category may mean something else in captions. Three rules keep the additions safe:

- the category's sense is the sense of its name (or, where WordNet lacks the name, of its first
  synonym WordNet has) whose word family (its words and its hyponyms') holds the most of the
  category's synonyms: COCO's "potted plant" (synonyms "houseplant", "fern", "cactus") is the
  organism, not the factory. Where several senses hold equally many ("mouse", "kite": the
  table has only the name), the category is reported ambiguous and gets nothing until a sense
  is chosen (``senses={"mouse": 4}``: the word's 4th sense, as WordNet numbers them);
- a word is added only where that sense or hyponym is the word's most frequent noun sense
  ("head" is a person under leader, but mostly the body part: not added), and it is a common
  noun (lower-case letters, spaces, hyphens, apostrophes);
- a word any other category already has, or that WordNet offers to two categories, is left out.
"""

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from nltk.corpus.reader.wordnet import NOUN, Synset, WordNetCorpusReader

from data_schemas.errors import RLIPv2InputError
from pipeline.matching.synonym_table import SynonymTable

DEFAULT_HYPONYM_DEPTH = 2
"""Hyponym levels searched below each category's sense (woman -> lady: 1; person -> lady: 2)."""

_COMMON_NOUN = re.compile(r"[a-z][a-z' -]*[a-z]")


@dataclass(frozen=True)
class CategoryWidening:
    """What WordNet adds to one category: the word whose senses were weighed (its name, or its
    first synonym WordNet has; None where it has none), the sense chosen (None where none was),
    the senses it could not choose between (with their numbers among the word's senses), and
    the new synonyms, in WordNet's order."""

    category: str
    word: str | None
    sense: Synset | None
    ambiguous: tuple[tuple[int, Synset], ...]
    added: tuple[str, ...]


def widen_with_wordnet(
    table: SynonymTable,
    wordnet: WordNetCorpusReader,
    depth: int = DEFAULT_HYPONYM_DEPTH,
    senses: Mapping[str, int] | None = None,
) -> list[CategoryWidening]:
    """Every category of ``table`` with the synonyms WordNet adds to it (see the module rules);
    ``senses`` chooses a category's sense by its number among its word's senses (1 = most
    frequent).

    Raises:
        RLIPv2InputError: ``senses`` names a category the table lacks, or a sense its word lacks.
    """
    senses = dict(senses or {})
    unknown = sorted(set(senses) - set(table.synonyms))
    if unknown:
        raise RLIPv2InputError(f"--sense for categories the table lacks: {', '.join(unknown)}")
    choices = {
        category: _category_sense(category, words, wordnet, depth, senses.get(category))
        for category, words in table.synonyms.items()
    }
    proposed = {
        category: _sense_words(choice.sense, wordnet, depth) if choice.sense is not None else []
        for category, choice in choices.items()
    }
    known = {word for words in table.synonyms.values() for word in words}
    offered = Counter(word for words in proposed.values() for word in set(words))
    return [
        replace(
            choices[category],
            added=tuple(word for word in words if word not in known and offered[word] == 1),
        )
        for category, words in proposed.items()
    ]


def widening_document(widenings: list[CategoryWidening], dataset: str, source: str) -> dict:
    """The additions as a synonym file for review, in the built-in format (``--synonyms`` reads
    it): each category's ``synonyms`` are its added words, ``wordnet_sense`` says which sense
    they come from; ``ambiguous`` lists the categories left out, with their numbered senses."""
    return {
        "dataset": dataset,
        "version": 1,
        "source": source,
        "categories": [
            {"name": widening.category, "wordnet_sense": _describe(widening.sense),
             "synonyms": list(widening.added)}
            for widening in widenings
            if widening.sense is not None
        ],
        "ambiguous": [
            {"name": widening.category, "word": widening.word,
             "senses": [f"{number}: {_describe(sense)}" for number, sense in widening.ambiguous]}
            for widening in widenings
            if widening.ambiguous
        ],
    }


def noun_senses(wordnet: WordNetCorpusReader, word: str) -> list[Synset]:
    """The noun senses of ``word`` itself (any case; spaces or underscores), most frequent
    first: nltk's ``synsets`` also gives the senses of the word's base forms ("glasses" ->
    glass), which are left out."""
    lemma = "_".join(word.lower().split())
    return list(dict.fromkeys(
        synset for synset in wordnet.synsets(lemma, NOUN)
        if lemma in (name.lower() for name in synset.lemma_names())
    ))


def synset_words(synset: Synset) -> tuple[str, ...]:
    """The words of ``synset`` in WordNet's order and case, spaces for underscores."""
    return tuple(name.replace("_", " ") for name in synset.lemma_names())


def gloss(synset: Synset) -> str:
    """WordNet's gloss of ``synset``: its definition, then its examples in quotes."""
    return "; ".join([synset.definition(), *(f'"{example}"' for example in synset.examples())])


def _describe(sense: Synset) -> str:
    return f"{', '.join(synset_words(sense))}: {gloss(sense)}"


def _category_sense(
    category: str,
    words: tuple[str, ...],
    wordnet: WordNetCorpusReader,
    depth: int,
    chosen: int | None,
) -> CategoryWidening:
    """The category with its sense and nothing added yet: the ``chosen``-th sense of the first
    of ``words`` (the name first) WordNet has, else the sense of that word whose word family
    holds the most of ``words`` (ambiguous when several hold equally many)."""
    word, candidates = next(
        ((word, senses) for word in words if (senses := noun_senses(wordnet, word))),
        (None, []),
    )
    if word is None:
        return CategoryWidening(category=category, word=None, sense=None, ambiguous=(), added=())
    if chosen is not None:
        if not 1 <= chosen <= len(candidates):
            raise RLIPv2InputError(
                f"--sense {category}={chosen}: WordNet has {len(candidates)} noun senses "
                f"of {word!r}"
            )
        sense = candidates[chosen - 1]
        return CategoryWidening(category=category, word=word, sense=sense, ambiguous=(), added=())
    synonyms = set(words)
    held = [len(synonyms & set(_family_words(sense, depth))) for sense in candidates]
    best = [
        (number, sense)
        for number, (sense, count) in enumerate(zip(candidates, held), start=1)
        if count == max(held)
    ]
    if len(best) != 1:
        return CategoryWidening(
            category=category, word=word, sense=None, ambiguous=tuple(best), added=()
        )
    return CategoryWidening(category=category, word=word, sense=best[0][1], ambiguous=(), added=())


def _family(sense: Synset, depth: int) -> Iterator[Synset]:
    """``sense``, then its (class, not instance) hyponyms down to ``depth`` levels, each once,
    breadth first; a synset's hyponyms in the order of their names (nltk keeps a synset's
    pointers in a set, whose order changes from run to run)."""
    yield sense
    seen = {sense}
    level = [sense]
    for _ in range(depth):
        below = []
        for parent in level:
            for hyponym in sorted(parent.hyponyms()):
                if hyponym not in seen:
                    seen.add(hyponym)
                    below.append(hyponym)
        yield from below
        level = below


def _family_words(sense: Synset, depth: int) -> Iterator[str]:
    """The lower-cased words of ``sense``'s family."""
    for member in _family(sense, depth):
        for word in synset_words(member):
            yield word.lower()


def _sense_words(sense: Synset, wordnet: WordNetCorpusReader, depth: int) -> list[str]:
    """The common-noun words of ``sense`` and of its hyponyms that mainly mean that synset."""
    words = []
    for member in _family(sense, depth):
        for word in synset_words(member):
            if not _COMMON_NOUN.fullmatch(word):
                continue
            main_sense = next(iter(noun_senses(wordnet, word)), None)
            if main_sense == member:
                words.append(word)
    return list(dict.fromkeys(words))

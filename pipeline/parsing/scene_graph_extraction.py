"""A spaCy doc -> its scene graph, by SceneGraphParser's rules, on a doc parsed elsewhere.

``sng_parser`` 0.1.0 has no doc-to-graph function: ``SpacyParser.parse(sentence)`` calls
``self.nlp(sentence)`` itself, one sentence at a time. This module applies the same rules
(``sng_parser/backends/spacy_parser.py``) to a doc from ``nlp.pipe``, so captions are parsed in
batches. For the same doc the graph equals ``sng_parser``'s output field for field (a test checks
this on real sentences); ``sng_parser``'s word lists (phrasal verbs, phrasal prepositions, scene
nouns) are used directly.

Two lines of ``sng_parser`` that can never fire under spaCy 3 are left out: the pronoun filter
(``lemma_ == '-PRON-'``; spaCy 3 lemmatises "he" as "he", so pronouns are entities) and a branch
testing ``dep_ == 'VERB'`` (no dependency label is a part of speech).

``sng_parser`` was written for spaCy 2, which tagged the copula "is" a ``VERB``; spaCy 3 tags it
``AUX``, and ``sng_parser`` then finds no relation in "a cat is on a couch" or "a man is next to
a bus". The default rules (``"corrected"``) add three corrections; ``"sng_parser"`` leaves them
out and gives ``sng_parser``'s graph (the test oracle):

- a preposition (or adjective/adverb + preposition) governed by an ``AUX`` with a subject
  relates that subject: "a [cat] is on a [couch]", "a [man] is next to a [bus]";
- a phrasal preposition after a verb relates the verb's subject: "a [man] standing in front of a
  [bus]" (``sng_parser`` takes the verb itself, which is no entity, and drops the relation);
- the subject of a relative clause is the noun it modifies, not the pronoun: "a [man] who is
  riding a [horse]" (``sng_parser``: "who" riding a horse).

The rules, in three steps:

1. Entities are the doc's noun chunks, with their determiners, numbers and adjectives as
   modifiers, and compounds prefixed to the head ("park bench").
2. Each verb gets a subject: its ``nsubj``; the noun an ``acl`` verb modifies ("a man [riding]");
   the agent of a passive ("played by a woman").
3. Each noun chunk that is a verb's object or a preposition's object becomes a relation's object,
   with the relation text taken from the verb ("riding"), a phrasal verb ("playing with"), the
   preposition ("on"), an adverb + preposition ("next to") or a phrasal preposition ("in front
   of"; its inner noun "front" is then dropped from the entities). Conjunctions fan out
   ("a woman and a man riding horses" -> two relations).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from sng_parser import database
from spacy.tokens import Doc, Span, Token

from pipeline.parsing.relation_lemmatizer import RelationLemmatizer
from pipeline.parsing.scene_graph import (
    EntityModifier,
    GraphEntity,
    GraphRelation,
    SceneGraph,
)


ParsingRules = Literal["corrected", "sng_parser"]
"""``"sng_parser"``: SceneGraphParser's rules as they run under spaCy 3; ``"corrected"``: those
plus the corrections listed in the module docstring."""

_RELATIVE_PRONOUN_TAGS = frozenset({"WP", "WDT"})  # who, that, which
_VERBAL = frozenset({"VERB", "AUX"})


@dataclass(frozen=True)
class _TokenRelation:
    """A relation between two tokens, before they are resolved to entities."""

    subject_token: int
    object_token: int
    relation: str
    lemma_relation: str
    relation_words: tuple[Token, ...]


def _conjuncts(token: Token) -> Iterator[Token]:
    """``token`` and its direct ``conj`` children ("a woman and a man" -> woman, man)."""
    yield token
    yield from (child for child in token.children if child.dep_ == "conj")


def _entity(chunk: Span) -> GraphEntity:
    root = chunk.root
    head, lemma_head = root.text, root.lemma_
    modifiers: list[EntityModifier] = []
    for child in root.children:
        if child.dep_ in ("det", "nummod"):
            modifiers.append(EntityModifier(child.dep_, child.text, child.lemma_))
        elif child.dep_ == "amod":
            modifiers.extend(
                EntityModifier(child.dep_, word.text, word.lemma_) for word in _conjuncts(child)
            )
        elif child.dep_ == "compound":
            head, lemma_head = f"{child.text} {head}", f"{child.lemma_} {lemma_head}"
    return GraphEntity(
        span=chunk.text,
        lemma_span=chunk.lemma_,
        head=head,
        lemma_head=lemma_head,
        span_bounds=(chunk.start, chunk.end),
        modifiers=tuple(modifiers),
        entity_type="scene" if database.is_scene_noun(lemma_head) else "unknown",
    )


def _verb_subjects(doc: Doc, *, corrected: bool) -> dict[int, int]:
    """Token index of a verb -> token index of its subject."""
    subjects: dict[int, int] = {}
    for token in doc:
        if token.dep_ == "nsubj":  # A [woman] is [playing] the piano.
            subjects[token.head.i] = token.i
            if (  # A [man] who is [riding] a horse.
                corrected
                and token.tag_ in _RELATIVE_PRONOUN_TAGS
                and token.head.dep_ == "relcl"
            ):
                subjects[token.head.i] = token.head.head.i
        elif token.dep_ == "acl":  # A [woman] [playing] the piano.
            subjects[token.i] = token.head.i
        elif (  # The piano is [played] by a [woman].
            token.dep_ == "pobj" and token.head.dep_ == "agent" and token.head.head.pos_ == "VERB"
        ):
            subjects[token.head.head.i] = token.i
    return subjects


def _words_relation(subject: int, root: Token, words: Sequence[Token]) -> _TokenRelation:
    """A relation whose text is ``words`` joined by spaces ("riding", "next to")."""
    return _TokenRelation(
        subject_token=subject,
        object_token=root.i,
        relation=" ".join(word.text for word in words),
        lemma_relation=" ".join(word.lemma_ for word in words),
        relation_words=tuple(words),
    )


def _prepositional_relation(
    root: Token, subjects: dict[int, int], fake_nouns: set[int], *, corrected: bool
) -> _TokenRelation | None:
    """The relation of which the noun chunk with ``root`` (a ``pobj``) is the object, if any."""
    doc = root.doc
    preposition = root.head
    governor = preposition.head
    verbal = _VERBAL if corrected else {"VERB"}
    if preposition.dep_ == "agent":  # The piano is played [by] a [woman]: handled by nsubjpass.
        return None
    if (  # A [woman] is playing with the piano in the [room].
        governor.pos_ == "VERB"
        and governor.i + 1 == preposition.i
        and database.is_phrasal_verb(f"{governor.lemma_} {preposition.lemma_}")
        and governor.i in subjects
    ):
        return _words_relation(subjects[governor.i], root, (governor, preposition))
    if (governor.pos_ in verbal or governor.dep_ == "acl") and governor.i in subjects:
        # A [woman] (is) playing the piano in the [room].
        return _words_relation(subjects[governor.i], root, (preposition,))
    if governor.dep_ == "pobj":
        phrase = doc[governor.head.i : preposition.i + 1]
        if database.is_phrasal_prep(phrase.text.lower()):
            # A [woman] in front of a [piano]: "front" is not an entity.
            fake_nouns.add(governor.i)
            subject = governor.head.head.i
            if corrected and subject in subjects:  # A [man] standing in front of a [bus].
                subject = subjects[subject]
            return _TokenRelation(
                subject_token=subject,
                object_token=root.i,
                relation=phrase.text,
                lemma_relation=doc[governor.head.i : preposition.i].lemma_,
                relation_words=tuple(phrase),
            )
    if governor.pos_ == "NOUN":  # A [piano] in the [room].
        return _words_relation(governor.i, root, (preposition,))
    # "acomp": a [man] is next to a [bus] ("next" complements the copula).
    if governor.dep_ in ("amod", "advmod") or (corrected and governor.dep_ == "acomp"):
        if governor.head.pos_ == "NOUN":  # A [piano] next to a [woman].
            return _words_relation(governor.head.i, root, (governor, preposition))
        if governor.head.pos_ in verbal and governor.head.i in subjects:
            # A [woman] standing next to a [piano].
            return _words_relation(subjects[governor.head.i], root, (governor, preposition))
    return None


def _token_relation(
    chunk: Span, subjects: dict[int, int], fake_nouns: set[int], *, corrected: bool
) -> _TokenRelation | None:
    """The relation of which ``chunk`` is the object, if any."""
    root = chunk.root
    if root.dep_ in ("dobj", "attr") and root.head.i in subjects:
        # A woman is [playing] the [piano]. The woman [is] a [pianist].
        return _words_relation(subjects[root.head.i], root, (root.head,))
    if root.dep_ == "pobj":
        return _prepositional_relation(root, subjects, fake_nouns, corrected=corrected)
    if root.dep_ == "nsubjpass" and root.head.i in subjects:
        # The [piano] is played by a [woman]: subject and object swap.
        return _words_relation(subjects[root.head.i], root, (root.head,))
    return None


def _chunk_containing(chunks: Sequence[Span], token_index: int) -> int | None:
    for position, chunk in enumerate(chunks):
        if chunk.start <= token_index < chunk.end:
            return position
    return None


def extract_scene_graph(
    doc: Doc, relation_lemmatizer: RelationLemmatizer, *, rules: ParsingRules = "corrected"
) -> SceneGraph:
    """The scene graph of ``doc``, a doc tagged, parsed and lemmatised by spaCy.

    Entities are in noun-chunk order; relations in the order of their object chunks, then of the
    subject's and the object's conjuncts, exactly as ``sng_parser`` orders them.
    """
    if rules not in get_args(ParsingRules):
        raise ValueError(f"rules must be one of {get_args(ParsingRules)}, got {rules!r}")
    corrected = rules == "corrected"
    chunks = list(doc.noun_chunks)
    subjects = _verb_subjects(doc, corrected=corrected)
    fake_nouns: set[int] = set()
    token_relations = [
        relation
        for chunk in chunks
        if (relation := _token_relation(chunk, subjects, fake_nouns, corrected=corrected))
        is not None
    ]
    kept_chunks = [chunk for chunk in chunks if chunk.root.i not in fake_nouns]
    relations: list[GraphRelation] = []
    for token_relation in token_relations:
        relation_lemma = relation_lemmatizer.lemmatize(token_relation.relation_words)
        for subject_token in _conjuncts(doc[token_relation.subject_token]):
            for object_token in _conjuncts(doc[token_relation.object_token]):
                subject = _chunk_containing(kept_chunks, subject_token.i)
                object_ = _chunk_containing(kept_chunks, object_token.i)
                if subject is not None and object_ is not None:
                    relations.append(
                        GraphRelation(
                            subject=subject,
                            object=object_,
                            relation=token_relation.relation,
                            lemma_relation=token_relation.lemma_relation,
                            relation_lemma=relation_lemma,
                        )
                    )
    return SceneGraph(
        entities=tuple(_entity(chunk) for chunk in kept_chunks), relations=tuple(relations)
    )

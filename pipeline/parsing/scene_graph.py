"""The scene graph of one caption, as SceneGraphParser (``sng_parser``) describes it, typed.

Field for field this is the dictionary that ``sng_parser.Parser('spacy').parse(text)`` returns
(``{'entities': [...], 'relations': [...]}``), plus one field of ours: ``relation_lemma``.
"""

from dataclasses import dataclass
from typing import Literal

EntityType = Literal["scene", "unknown"]


@dataclass(frozen=True)
class EntityModifier:
    """A determiner, number or adjective attached to an entity's head noun.

    ``dep`` is the spaCy dependency label (``det``, ``nummod`` or ``amod``).
    """

    dep: str
    span: str
    lemma_span: str


@dataclass(frozen=True)
class GraphEntity:
    """A noun chunk of the caption.

    ``span``/``lemma_span``: the chunk's text and lemmas, as written (not lower-cased).
    ``head``/``lemma_head``: the root noun with its compound modifiers ("park bench").
    ``span_bounds``: ``(start, end)`` token indices of the chunk in the spaCy doc, end exclusive.
    ``entity_type``: ``"scene"`` when the head is one of sng_parser's scene nouns ("street",
    "room"), else ``"unknown"`` (sng_parser's ``type`` key).
    """

    span: str
    lemma_span: str
    head: str
    lemma_head: str
    span_bounds: tuple[int, int]
    modifiers: tuple[EntityModifier, ...]
    entity_type: EntityType


@dataclass(frozen=True)
class GraphRelation:
    """``subject`` and ``object`` are indices into :attr:`SceneGraph.entities`.

    ``relation``: the surface text ("riding", "sitting on", "next to", "in front of").
    ``lemma_relation``: sng_parser's lemma, spaCy's lemma of each word ("rid" for "riding";
    "in front" for "in front of").
    ``relation_lemma``: ours, lower case, see
    :class:`~pipeline.parsing.relation_lemmatizer.RelationLemmatizer` ("ride", "in front of").
    """

    subject: int
    object: int
    relation: str
    lemma_relation: str
    relation_lemma: str


@dataclass(frozen=True)
class SceneGraph:
    """Entities and the relations between them; either may be empty."""

    entities: tuple[GraphEntity, ...]
    relations: tuple[GraphRelation, ...]


EMPTY_SCENE_GRAPH = SceneGraph(entities=(), relations=())

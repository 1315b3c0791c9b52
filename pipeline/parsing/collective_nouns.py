"""Collective and partitive nouns: "a group of people", "a herd of cattle", "a pair of skis".

SceneGraphParser makes "a group" and "people" two entities joined by a relation "of", and gives
the group any relation of the phrase: "a pair of skis on the snow" -> (a pair, of, skis),
(a pair, on, the snow). The category is in the "of" phrase, so a matcher that looks at
"a pair" finds nothing. Here the collective entity absorbs its "of" phrase: its span becomes
"a pair of skis", its head the member noun ("skis"), and the "of" relations that only said what
the group consists of are dropped: (a pair of skis, on, the snow).
"""

from dataclasses import replace

from pipeline.parsing.scene_graph import GraphEntity, GraphRelation, SceneGraph

# Lemmas of nouns that name a collection, a quantity or a part of what follows "of".
DEFAULT_COLLECTIVE_NOUNS = frozenset(
    {
        "array", "assortment", "bunch", "bundle", "cluster", "collection", "couple", "crowd",
        "dozen", "family", "fleet", "flock", "group", "handful", "herd", "kind", "line", "litter",
        "lot", "number", "pack", "pair", "piece", "pile", "row", "school", "set", "slice", "sort",
        "stack", "swarm", "team", "troop", "type", "variety",
    }
)  # fmt: skip

_PARTITIVE_RELATION = "of"


def _is_partitive(
    relation: GraphRelation, entities: tuple[GraphEntity, ...], collective_nouns: frozenset[str]
) -> bool:
    """Whether ``relation`` is "<collective noun> of <members>", the two phrases adjacent."""
    collective, members = entities[relation.subject], entities[relation.object]
    return (
        relation.relation.lower() == _PARTITIVE_RELATION
        and collective.lemma_head.lower().split(" ")[-1] in collective_nouns
        and collective.span_bounds[1] + 1 == members.span_bounds[0]
    )


def _absorb(collective: GraphEntity, members: GraphEntity) -> GraphEntity:
    """"a group" + "people" -> "a group of people", headed by the members' head."""
    return replace(
        collective,
        span=f"{collective.span} {_PARTITIVE_RELATION} {members.span}",
        lemma_span=f"{collective.lemma_span} {_PARTITIVE_RELATION} {members.lemma_span}",
        head=members.head,
        lemma_head=members.lemma_head,
        span_bounds=(collective.span_bounds[0], members.span_bounds[1]),
        entity_type=members.entity_type,
    )


def merge_collective_nouns(graph: SceneGraph, collective_nouns: frozenset[str]) -> SceneGraph:
    """``graph`` with each collective entity merged with its "of" phrase (module docstring).

    Entity indices do not change: the member entity stays (it may have relations of its own,
    as "people" in "a group of people standing next to a bench"). Every "of" relation from a
    merged entity is dropped. ``collective_nouns`` are lower-case lemmas; empty keeps the graph.
    """
    entities = list(graph.entities)
    merged: set[int] = set()
    for relation in graph.relations:
        if relation.subject not in merged and _is_partitive(
            relation, graph.entities, collective_nouns
        ):
            entities[relation.subject] = _absorb(
                graph.entities[relation.subject], graph.entities[relation.object]
            )
            merged.add(relation.subject)
    if not merged:
        return graph
    relations = tuple(
        relation
        for relation in graph.relations
        if not (
            relation.subject in merged and relation.relation.lower() == _PARTITIVE_RELATION
        )
    )
    return SceneGraph(entities=tuple(entities), relations=relations)

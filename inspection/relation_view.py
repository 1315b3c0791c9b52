"""The relations of any relation-bearing table, as one flat Arrow table to count over.

Triplets, candidates, tagged relations, relations and scene graphs store relations differently;
:func:`relation_view` turns each into the columns ``image_id, predicate, confidence,
subject_name, object_name``:

- ``predicate``: the relation text (triplets: as parsed; candidates, tagged relations: the
  normalised text; relations, scene graphs: the predicate);
- ``confidence``: the tagger's score, null for human relations and for tables without scores;
- ``subject_name``/``object_name``: the entities' category names (triplets: the parsed head
  nouns, lemmatised), null when no entities table is at hand to name them.
"""

import pyarrow as pa
import pyarrow.compute as pc

from data_schemas.candidates import CANDIDATES
from data_schemas.relations import RELATIONS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from data_schemas.triplets import TRIPLETS

RELATION_TABLES = frozenset(
    spec.name for spec in (TRIPLETS, CANDIDATES, TAGGED_RELATIONS, RELATIONS, SCENE_GRAPHS)
)
"""Tables whose rows (or, for scene graphs, list entries) are relations."""
SCORED_TABLES = frozenset(spec.name for spec in (TAGGED_RELATIONS, RELATIONS, SCENE_GRAPHS))
"""Relation tables with a confidence (null for human relations)."""
TABLES_NEEDING_ENTITIES = frozenset(
    spec.name for spec in (CANDIDATES, TAGGED_RELATIONS, RELATIONS)
)
"""Relation tables that name entities by id only."""


def relation_view(table: pa.Table, spec: TableSpec, *, entities: pa.Table | None) -> pa.Table:
    """The relations of ``table`` (of table ``spec``, one of :data:`RELATION_TABLES`).

    ``entities`` (an ``entities`` table, or None) names the subjects and objects of candidates,
    tagged relations and relations; the other tables name their own.
    """
    if spec.name == TRIPLETS.name:
        return pa.table(
            {
                "image_id": table["image_id"],
                "predicate": table["relation"],
                "confidence": pa.nulls(table.num_rows, pa.float64()),
                "subject_name": pc.struct_field(table["subject"], "lemma_head"),
                "object_name": pc.struct_field(table["object"], "lemma_head"),
            }
        )
    if spec.name == SCENE_GRAPHS.name:
        return _scene_graph_relations(table)
    if spec.name not in TABLES_NEEDING_ENTITIES:
        raise ValueError(f"table {spec.name!r} holds no relations")
    if spec.name == CANDIDATES.name:
        confidence = pa.nulls(table.num_rows, pa.float64())
    else:
        confidence = table["score" if spec.name == TAGGED_RELATIONS.name else "confidence"]
    pairs = pa.table(
        {
            "image_id": table["image_id"],
            "subject_entity_id": table["subject_entity_id"],
            "object_entity_id": table["object_entity_id"],
            "predicate": table["predicate" if spec.name == RELATIONS.name else "relation"],
            "confidence": confidence,
        }
    )
    return _named(pairs, entities)


def _scene_graph_relations(table: pa.Table) -> pa.Table:
    relationships = table["relationships"]
    objects = table["objects"]
    flat = pc.list_flatten(relationships)
    pairs = pa.table(
        {
            "image_id": pc.take(table["image_id"], pc.list_parent_indices(relationships)),
            "subject_entity_id": pc.struct_field(flat, "subject_entity_id"),
            "object_entity_id": pc.struct_field(flat, "object_entity_id"),
            "predicate": pc.struct_field(flat, "predicate"),
            "confidence": pc.struct_field(flat, "confidence"),
        }
    )
    flat_objects = pc.list_flatten(objects)
    entities = pa.table(
        {
            "image_id": pc.take(table["image_id"], pc.list_parent_indices(objects)),
            "entity_id": pc.struct_field(flat_objects, "entity_id"),
            "category_name": pc.struct_field(flat_objects, "category_name"),
        }
    )
    return _named(pairs, entities)


def _named(pairs: pa.Table, entities: pa.Table | None) -> pa.Table:
    """``pairs`` with the category names of its subject and object entities, by (image, id)."""
    if entities is None:
        names = pa.nulls(pairs.num_rows, pa.string())
        unnamed = pairs.drop_columns(["subject_entity_id", "object_entity_id"])
        return unnamed.append_column("subject_name", names).append_column("object_name", names)
    for role in ("subject", "object"):
        role_names = entities.select(["image_id", "entity_id", "category_name"]).rename_columns(
            ["image_id", f"{role}_entity_id", f"{role}_name"]
        )
        pairs = pairs.join(
            role_names, keys=["image_id", f"{role}_entity_id"], join_type="left outer"
        )
    return pairs.select(["image_id", "predicate", "confidence", "subject_name", "object_name"])

"""An image's pseudo-labelled scene graph: its entities and its tagged relations."""

from collections.abc import Sequence

from data_schemas.entities import EntityRecord
from data_schemas.images import ImageRecord
from data_schemas.scene_graphs import SceneGraphObject, SceneGraphRecord, SceneGraphRelationship
from data_schemas.tagged_relations import TaggedRelationRecord


def tagged_scene_graph(
    image: ImageRecord,
    entities: Sequence[EntityRecord],
    relations: Sequence[TaggedRelationRecord],
    *,
    first_relationship_id: int,
) -> SceneGraphRecord:
    """The scene graph of ``image``: every entity as an object, every relation as a relationship.

    Relationships keep the order of ``relations`` and are numbered ``first_relationship_id``,
    ``first_relationship_id + 1``, ...; ``confidence`` is the tagger's score (pre-training keeps
    those at or above its relation threshold).

    Raises:
        pydantic.ValidationError: a relation names an entity not in ``entities``.
    """
    objects = [
        SceneGraphObject(
            entity_id=entity.entity_id,
            category_id=entity.category_id,
            category_name=entity.category_name,
            x1=entity.x1,
            y1=entity.y1,
            x2=entity.x2,
            y2=entity.y2,
        )
        for entity in entities
    ]
    relationships = [
        SceneGraphRelationship(
            relationship_id=relationship_id,
            subject_entity_id=relation.subject_entity_id,
            object_entity_id=relation.object_entity_id,
            predicate=relation.relation,
            confidence=relation.score,
        )
        for relationship_id, relation in enumerate(relations, start=first_relationship_id)
    ]
    return SceneGraphRecord(**image.model_dump(), objects=objects, relationships=relationships)

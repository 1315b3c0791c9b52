"""The ``scene_graphs`` table: one record per image with its objects and relationships.

This is what the labelling pipeline finally writes and what pretraining reads; human
annotation and pseudo-labels share it (``confidence`` is None for human relations).
"""

import pyarrow as pa
from pydantic import Field, model_validator

from data_schemas.images import IMAGES, ImageRecord
from data_schemas.record import BOX_FIELDS, BoxedRecord, Record
from data_schemas.table_spec import TableSpec


class SceneGraphObject(BoxedRecord):
    """An object of a scene graph (an entity without its image id)."""

    entity_id: int = Field(description="source annotation id, unique within the dataset")
    category_id: int = Field(description="the box's class, a `category_id` of `categories`")
    category_name: str = Field(min_length=1, description="the class's `name`")


class SceneGraphRelationship(Record):
    """A relationship between two objects of the same scene graph."""

    relationship_id: int = Field(description="unique within the dataset or label run")
    subject_entity_id: int = Field(description="the subject's `entity_id` among `objects`")
    object_entity_id: int = Field(description="the object's `entity_id` among `objects`")
    predicate: str = Field(min_length=1, description="the relation text, e.g. 'riding'")
    confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="the tagger's score in [0, 1]; null = human"
    )


class SceneGraphRecord(ImageRecord):
    """An image (all :class:`ImageRecord` fields) with its objects and relationships."""

    objects: list[SceneGraphObject] = Field(description="every annotated box of the image")
    relationships: list[SceneGraphRelationship] = Field(
        description="relations between the image's objects (pseudo-labels: those kept at save)"
    )

    @model_validator(mode="after")
    def _relationships_reference_objects(self) -> "SceneGraphRecord":
        entity_ids = {scene_object.entity_id for scene_object in self.objects}
        if len(entity_ids) != len(self.objects):
            raise ValueError(f"image {self.image_id}: duplicate entity ids among objects")
        for relationship in self.relationships:
            for role, entity_id in (
                ("subject", relationship.subject_entity_id),
                ("object", relationship.object_entity_id),
            ):
                if entity_id not in entity_ids:
                    raise ValueError(
                        f"image {self.image_id}: relationship {relationship.relationship_id} "
                        f"{role} {entity_id} is not among the image's objects"
                    )
            if relationship.subject_entity_id == relationship.object_entity_id:
                raise ValueError(
                    f"image {self.image_id}: relationship {relationship.relationship_id} "
                    "relates an object to itself"
                )
        return self


SCENE_GRAPH_OBJECT_TYPE = pa.struct(
    [
        pa.field("entity_id", pa.int64(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("category_name", pa.string(), nullable=False),
        *BOX_FIELDS,
    ]
)
SCENE_GRAPH_RELATIONSHIP_TYPE = pa.struct(
    [
        pa.field("relationship_id", pa.int64(), nullable=False),
        pa.field("subject_entity_id", pa.int64(), nullable=False),
        pa.field("object_entity_id", pa.int64(), nullable=False),
        pa.field("predicate", pa.string(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=True),
    ]
)

SCENE_GRAPHS = TableSpec(
    name="scene_graphs",
    version=1,
    schema=pa.schema(
        [
            *IMAGES.schema,
            pa.field("objects", pa.list_(SCENE_GRAPH_OBJECT_TYPE), nullable=False),
            pa.field("relationships", pa.list_(SCENE_GRAPH_RELATIONSHIP_TYPE), nullable=False),
        ]
    ),
    record_type=SceneGraphRecord,
)

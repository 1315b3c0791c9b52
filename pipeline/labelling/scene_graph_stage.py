"""The scene-graph stage of one shard: its entities and tagged relations as scene graphs.

Relationship ids count from 1 over the run, shard by shard, so a shard's first id is one more
than the relations kept by all earlier shards; the same inputs give the same ids.
"""

from typing import Any, ClassVar

from data_schemas.entities import ENTITIES, EntityRecord
from data_schemas.image_groups import ImageGroupCursor, table_rows
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.rejects import REJECTS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.shard_manifest import ShardManifest
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS, TaggedRelationRecord
from pipeline.labelling.shard_store import ShardResult, ShardStore
from pipeline.labelling.stage_job import StageJob
from pipeline.labelling.stages import SCENE_GRAPH_STAGE
from pipeline.tagging import tagged_scene_graph


class SceneGraphJob(StageJob):
    """Assemble the scene graphs of one tagged shard."""

    STAGE: ClassVar[str] = SCENE_GRAPH_STAGE
    OUTPUTS: ClassVar[tuple[TableSpec, ...]] = (SCENE_GRAPHS,)

    split: ShardManifest
    tagged: ShardManifest
    first_relationship_id: int

    @property
    def shard_index(self) -> int:
        return self.split.shard_index

    def inputs(self) -> dict[str, Any]:
        return {
            "images": self.split.digest_of(IMAGES),
            "entities": self.split.digest_of(ENTITIES),
            "tagged": self.tagged.digest_of(TAGGED_RELATIONS),
            "rejects": self.tagged.digest_of(REJECTS),
            "first_relationship_id": self.first_relationship_id,
        }


def run_scene_graph_job(job: SceneGraphJob, store: ShardStore) -> ShardManifest:
    """The scene graphs of ``job``'s shard (see :func:`scene_graph_shard`)."""
    return job.run(store, lambda: scene_graph_shard(job))


def scene_graph_shard(job: SceneGraphJob) -> ShardResult:
    """One scene graph per image of the shard that the tagger did not reject."""
    rejected = set(job.tagged.read(REJECTS)["image_id"].to_pylist())
    entities = ImageGroupCursor(job.split.read(ENTITIES))
    relations = ImageGroupCursor(job.tagged.read(TAGGED_RELATIONS).sort_by("image_id"))
    next_relationship_id = job.first_relationship_id
    rows = []
    for row in table_rows(job.split.read(IMAGES)):
        image = ImageRecord.model_validate(row)
        image_entities = [EntityRecord.model_validate(e) for e in entities.rows_of(image.image_id)]
        image_relations = [
            TaggedRelationRecord.model_validate(r) for r in relations.rows_of(image.image_id)
        ]
        if image.image_id in rejected:
            continue
        graph = tagged_scene_graph(
            image, image_entities, image_relations, first_relationship_id=next_relationship_id
        )
        next_relationship_id += len(image_relations)
        rows.append(graph.model_dump())
    return ShardResult(
        tables={SCENE_GRAPHS.name: SCENE_GRAPHS.rows_to_arrow(rows)},
        counts={
            "scene_graphs": len(rows),
            "relationships": next_relationship_id - job.first_relationship_id,
        },
    )

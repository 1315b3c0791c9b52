"""Typed records and versioned Arrow/Parquet schemas shared by every rlipv2 stage.

Each table has one pydantic record (the typed contract at process boundaries) and one
:class:`~data_schemas.table_spec.TableSpec` (its Arrow schema, name and version). Parquet files
carry the table name and schema version in their metadata and are refused on read when either
does not match.
"""

from data_schemas.candidates import CANDIDATES, CandidateRecord, MatchEvidence
from data_schemas.captions import CAPTIONS, CaptionRecord, DecodingSettings
from data_schemas.categories import CATEGORIES, CategoryRecord
from data_schemas.entities import ENTITIES, EntityRecord
from data_schemas.errors import RLIPv2InputError, SchemaMismatchError
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.parquet_io import (
    ShardedTableWriter,
    iter_table_batches,
    read_table,
    shard_path,
    write_table_atomic,
)
from data_schemas.rejects import REJECTS, RejectReason, RejectRecord
from data_schemas.relations import RELATIONS, RelationRecord
from data_schemas.scene_graphs import (
    SCENE_GRAPHS,
    SceneGraphObject,
    SceneGraphRecord,
    SceneGraphRelationship,
)
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS, TaggedRelationRecord
from data_schemas.triplets import TRIPLETS, PhraseMention, TripletRecord

ALL_TABLES: tuple[TableSpec, ...] = (
    IMAGES,
    CATEGORIES,
    ENTITIES,
    CAPTIONS,
    TRIPLETS,
    CANDIDATES,
    TAGGED_RELATIONS,
    RELATIONS,
    SCENE_GRAPHS,
    REJECTS,
)

__all__ = [
    "ALL_TABLES",
    "CANDIDATES",
    "CAPTIONS",
    "CATEGORIES",
    "ENTITIES",
    "IMAGES",
    "REJECTS",
    "RELATIONS",
    "SCENE_GRAPHS",
    "TAGGED_RELATIONS",
    "TRIPLETS",
    "CandidateRecord",
    "CaptionRecord",
    "CategoryRecord",
    "DecodingSettings",
    "EntityRecord",
    "ImageRecord",
    "MatchEvidence",
    "PhraseMention",
    "RLIPv2InputError",
    "RejectReason",
    "RejectRecord",
    "RelationRecord",
    "SceneGraphObject",
    "SceneGraphRecord",
    "SceneGraphRelationship",
    "SchemaMismatchError",
    "ShardedTableWriter",
    "TableSpec",
    "TaggedRelationRecord",
    "TripletRecord",
    "iter_table_batches",
    "read_table",
    "shard_path",
    "write_table_atomic",
]

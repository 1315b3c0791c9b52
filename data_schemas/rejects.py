"""The ``rejects`` table (every input record a stage dropped, with the reason), and the
:class:`Rejection` that a check returns for one record."""

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa
from pydantic import Field

from data_schemas.categories import RESERVED_CATEGORY_NAME
from data_schemas.record import Record
from data_schemas.table_spec import TableSpec


class RejectReason(StrEnum):
    """Why a record was dropped. The values are stable: they are stored in Parquet."""

    MALFORMED_RECORD = "malformed_record"
    DUPLICATE_ID = "duplicate_id"
    PATH_ESCAPES_ROOT = "path_escapes_root"
    MISSING_IMAGE_FILE = "missing_image_file"
    UNKNOWN_IMAGE = "unknown_image"
    IMAGE_REJECTED = "image_rejected"
    UNKNOWN_CATEGORY = "unknown_category"
    NON_FINITE_BOX = "non_finite_box"
    DEGENERATE_BOX = "degenerate_box"
    CROWD = "crowd"
    EMPTY_TEXT = "empty_text"
    UNKNOWN_ENTITY = "unknown_entity"
    SELF_RELATION = "self_relation"
    UNREADABLE_IMAGE = "unreadable_image"
    RESERVED_NAME = "reserved_name"
    IMAGE_SIZE_MISMATCH = "image_size_mismatch"
    UNKNOWN_PREDICATE = "unknown_predicate"
    MISSING_OBJECT = "missing_object"


@dataclass(frozen=True)
class Rejection:
    """Why one input record cannot be used."""

    reason: RejectReason
    detail: str


def reserved_name_rejection(what: str) -> Rejection:
    """``what`` (e.g. "category 7") is called :data:`RESERVED_CATEGORY_NAME`, which the model
    keeps for its unmatched entity slots."""
    return Rejection(
        RejectReason.RESERVED_NAME,
        f"{what} is called {RESERVED_CATEGORY_NAME!r}, the label text the model keeps for "
        "unmatched entity slots; rename it to keep it",
    )


class RejectRecord(Record):
    """One dropped input record: where it came from, what it was, and why it was dropped."""

    stage: str = Field(min_length=1, description="the stage that dropped it, e.g. 'ingest'")
    source_file: str = Field(description="the input file the record came from")
    record_kind: str = Field(min_length=1, description="e.g. 'image', 'annotation'")
    record_id: str | None = Field(
        default=None, description="the record's id in its file, as text; null where it has none"
    )
    image_id: int | None = Field(
        default=None, description="the image it belongs to, null where unknown"
    )
    reason: RejectReason = Field(description="why it was dropped (stable machine-readable value)")
    detail: str = Field(description="the same, for a person, naming the offending value")


REJECTS = TableSpec(
    name="rejects",
    version=1,
    schema=pa.schema(
        [
            pa.field("stage", pa.string(), nullable=False),
            pa.field("source_file", pa.string(), nullable=False),
            pa.field("record_kind", pa.string(), nullable=False),
            pa.field("record_id", pa.string(), nullable=True),
            pa.field("image_id", pa.int64(), nullable=True),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("detail", pa.string(), nullable=False),
        ]
    ),
    record_type=RejectRecord,
)

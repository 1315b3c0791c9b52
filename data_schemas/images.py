"""The ``images`` table: one row per image of an ingested dataset."""

import posixpath

import pyarrow as pa
from pydantic import Field, field_validator

from data_schemas.record import Record
from data_schemas.table_spec import TableSpec


class ImageRecord(Record):
    """An image, its size, and where its file lies relative to the dataset's image root."""

    image_id: int = Field(description="the source dataset's image id, unique within the dataset")
    dataset: str = Field(min_length=1, description="dataset name given at ingest, e.g. 'coco'")
    split: str = Field(min_length=1, description="split name given at ingest, e.g. 'train2017'")
    file_name: str = Field(min_length=1, description="POSIX path relative to the image root")
    width: int = Field(gt=0, description="image width in pixels, as the image file has it")
    height: int = Field(gt=0, description="image height in pixels, as the image file has it")

    @field_validator("file_name")
    @classmethod
    def _stays_under_root(cls, file_name: str) -> str:
        normalised = posixpath.normpath(file_name)
        if posixpath.isabs(normalised) or normalised == ".." or normalised.startswith("../"):
            raise ValueError(f"file_name {file_name!r} is not a path under the image root")
        return file_name


IMAGES = TableSpec(
    name="images",
    version=1,
    schema=pa.schema(
        [
            pa.field("image_id", pa.int64(), nullable=False),
            pa.field("dataset", pa.string(), nullable=False),
            pa.field("split", pa.string(), nullable=False),
            pa.field("file_name", pa.string(), nullable=False),
            pa.field("width", pa.int32(), nullable=False),
            pa.field("height", pa.int32(), nullable=False),
        ]
    ),
    record_type=ImageRecord,
)

"""Captions already in a ``captions`` table (e.g. human COCO captions from ingest)."""

from collections.abc import Iterator
from pathlib import Path

from data_schemas.captions import CAPTIONS, CaptionRecord
from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import SHARD_GLOB, list_shards, read_table

_ROWS_PER_CHUNK = 4096


def read_existing_captions(table_dir: Path) -> Iterator[CaptionRecord]:
    """Stream the records of a ``captions`` table: a directory of shards, or one Parquet file.

    Lets users with their own captions skip BLIP: ``rlipv2 ingest --captions`` writes human
    captions to ``<dataset>/captions``, and the next stage reads them through the same
    ``CaptionRecord`` iterator as BLIP's. One shard is in memory at a time.

    Raises:
        RLIPv2InputError: ``table_dir`` does not exist or holds no shard (raised at once).
        SchemaMismatchError: a shard is not a ``captions`` table of this schema version.
    """
    if table_dir.is_dir():
        paths = list_shards(table_dir)
        if not paths:
            raise RLIPv2InputError(f"{table_dir} holds no {SHARD_GLOB} files of table 'captions'")
    elif table_dir.is_file():
        paths = [table_dir]
    else:
        raise RLIPv2InputError(f"{table_dir} does not exist (expected table 'captions')")
    return _stream_records(paths)


def _stream_records(paths: list[Path]) -> Iterator[CaptionRecord]:
    for path in paths:
        table = read_table(path, CAPTIONS)
        for chunk in table.to_batches(max_chunksize=_ROWS_PER_CHUNK):
            for row in chunk.to_pylist():
                yield CaptionRecord.model_validate(row)

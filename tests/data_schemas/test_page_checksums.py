"""Every data page rlipv2 writes carries a checksum, verified on every read: one flipped bit is
a one-line error naming the file, never a silently changed value."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from flows.cli import main

ROWS = [{"image_id": image_id, "dataset": "coco", "split": "train",
         "file_name": f"{image_id:06d}.jpg", "width": 640 + image_id, "height": 480}
        for image_id in range(2_000)]


def flip_a_bit_in_a_data_page(path: Path) -> None:
    """Flip one bit in the payload of the last data page of the ``width`` column (near the end
    of its column chunk, past the page headers)."""
    metadata = pq.ParquetFile(path).metadata
    names = [metadata.schema.column(index).name for index in range(metadata.num_columns)]
    chunk = metadata.row_group(0).column(names.index("width"))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    offset = start + chunk.total_compressed_size - 3
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x04
    path.write_bytes(bytes(data))


@pytest.fixture
def corrupted(tmp_path: Path) -> Path:
    table_dir = tmp_path / "images"
    path = ds.write_table_atomic(ds.IMAGES.rows_to_arrow(ROWS), ds.shard_path(table_dir, 0),
                                 ds.IMAGES)
    assert ds.read_table(table_dir, ds.IMAGES).to_pylist() == ROWS
    flip_a_bit_in_a_data_page(path)
    return path


def test_a_flipped_bit_is_an_error_naming_the_file_on_every_read(corrupted: Path) -> None:
    with pytest.raises(ds.RLIPv2InputError, match="checksum") as raised:
        ds.read_table(corrupted.parent, ds.IMAGES)
    assert str(corrupted) in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(ds.RLIPv2InputError, match="checksum") as raised:
        for _ in ds.iter_table_batches(corrupted.parent, ds.IMAGES):
            pass
    assert str(corrupted) in str(raised.value)


def test_the_cli_reports_a_flipped_bit_in_one_line(
    corrupted: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["inspect", str(corrupted.parent)]) != 0
    error = capsys.readouterr().err.strip()
    assert error.startswith("rlipv2: error: ") and "\n" not in error
    assert str(corrupted) in error and "checksum" in error

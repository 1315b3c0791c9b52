"""Nesting depth and record size limits of streamed JSON (:mod:`pipeline.ingest.json_limits`)."""

import io
import tracemalloc
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.ingest.json_limits import JsonLimitError, JsonLimitReader, JsonLimits
from pipeline.ingest.json_stream import stream_items


def read_all(data: bytes, limits: JsonLimits, chunk_bytes: int) -> bytes:
    reader = JsonLimitReader(io.BytesIO(data), limits, "f.json", chunk_bytes=chunk_bytes)
    chunks = iter(lambda: reader.read(2), b"")
    return b"".join(chunks)


def test_the_issues_200_kb_file_is_one_line_naming_the_byte_quickly_in_little_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(b'{"images":' + b"[" * 100000 + b"]" * 100000 + b"}")
    tracemalloc.start()
    try:
        code = main(["ingest", "coco", str(path), "--out", str(tmp_path / "o" / "d")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    error = capsys.readouterr().err
    assert error == (f"rlipv2: error: {path}: JSON nested deeper than 64 levels at byte 73; "
                     "no annotation format needs that\n")
    assert peak < 64 * 2**20  # without the limit: ~22 GB (the square of the depth)
    assert not (tmp_path / "o" / "d").exists()


@pytest.mark.parametrize("chunk_bytes", [1, 3, 1 << 16])
def test_brackets_and_escaped_quotes_inside_strings_do_not_count(chunk_bytes: int) -> None:
    text = '{"images": [{"file_name": "[[[[{{{{ \\\\", "c": "a \\"[[[[[[[[[[ quoted"}]}'
    data = text.replace("[[[[", "[" * 80).encode()
    assert read_all(data, JsonLimits(container_depth=2), chunk_bytes) == data


@pytest.mark.parametrize("chunk_bytes", [1, 7, 1 << 16])
def test_depth_beyond_the_limit_names_the_byte_of_the_first_bracket_too_deep(
    chunk_bytes: int,
) -> None:
    data = b'[{"a": [[[[1]]]]}]'
    read_all(data, JsonLimits(container_depth=1, max_depth=6), chunk_bytes)
    with pytest.raises(JsonLimitError, match="deeper than 5 levels at byte 10;"):
        read_all(data, JsonLimits(container_depth=1, max_depth=5), chunk_bytes)


@pytest.mark.parametrize("chunk_bytes", [1, 5, 1 << 16])
def test_a_record_or_a_string_over_the_size_limit_names_its_first_byte(chunk_bytes: int) -> None:
    limits = JsonLimits(container_depth=2, max_record_bytes=40)
    small = b'{"images": [{"id": 1}, {"id": 2}], "info": "' + b"x" * 38 + b'"}'
    assert read_all(small, limits, chunk_bytes) == small
    big_record = b'{"images": [{"id": 1}, {"file_name": "' + b"x" * 30 + b'"}]}'
    with pytest.raises(JsonLimitError, match="the record starting at byte 23 is larger than"):
        read_all(big_record, limits, chunk_bytes)
    big_string = b'{"info": "' + b"x" * 50 + b'", "images": []}'
    with pytest.raises(JsonLimitError, match="the string starting at byte 9 is larger than"):
        read_all(big_string, limits, chunk_bytes)


def test_an_unclosed_record_is_refused_once_it_passes_the_limit() -> None:
    data = b'[{"a": [' + b"1," * 1000
    with pytest.raises(JsonLimitError, match="record starting at byte 1"):
        read_all(data, JsonLimits(container_depth=1, max_record_bytes=100), 64)


def test_records_within_the_limits_stream_as_before(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"images": [{"id": 1, "tags": [[1, 2], {"k": "]"}]}, {"id": 2}]}')
    assert [item["id"] for item in stream_items(path, "images.item")] == [1, 2]

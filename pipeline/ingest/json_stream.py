"""Streaming JSON reading with bounded memory, and one clear error for malformed files."""

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from data_schemas.errors import RLIPv2InputError
from pipeline.ingest.json_limits import JsonLimitReader, JsonLimits
from pipeline.ingest.nonfinite_literals import (
    NonFiniteLiteralQuoter,
    may_contain_non_finite_literals,
)

logger = logging.getLogger(__name__)

# Below this size a malformed file is re-read with the standard json module to report the
# exact line and column; above it, the position is the end of the chunk being parsed.
_EXACT_POSITION_MAX_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
# A JSON string (skipped), or an integer literal (group 1) not part of a fraction or exponent.
_STRING_OR_INTEGER = re.compile(rb'"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?\d+)(?![\d.eE])')


class MalformedJsonError(RLIPv2InputError):
    """A JSON input file cannot be parsed; the message gives the position."""


class _CountingReader:
    """A binary file wrapper that counts the bytes handed to the parser."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.bytes_read += len(data)
        return data


def stream_items(path: Path, prefix: str) -> Iterator[Any]:
    """Yield, one at a time, each JSON value at ``prefix`` of the file at ``path``.

    ``prefix`` uses ijson's syntax: ``"images.item"`` is every element of the top-level
    ``images`` array, ``"item"`` every element of a top-level array. Numbers come back as
    int or float; the non-standard literals NaN/Infinity/-Infinity come back as the strings
    "NaN"/"Infinity"/"-Infinity" (for the caller to reject the record, not the file). Memory
    use is bounded by the largest single item, not the file size, and that by the limits of
    :mod:`pipeline.ingest.json_limits`.

    Raises:
        RLIPv2InputError: the file does not exist.
        MalformedJsonError: the file is not valid JSON (with line, column and byte offset).
        JsonLimitError: the file nests too deep or holds too large a record (with the offset).
    """
    yield from _stream(path, prefix, ijson.items, depth=len(prefix.split(".")))


def stream_key_values(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield each ``(key, value)`` of the file's top-level JSON object, one at a time, as
    :func:`stream_items` yields array elements (same errors and limits)."""
    yield from _stream(path, "", ijson.kvitems, depth=1)


def _stream(path: Path, prefix: str, parse: Callable, *, depth: int) -> Iterator[Any]:
    if not path.is_file():
        raise RLIPv2InputError(f"{path} does not exist or is not a file")
    with open(path, "rb") as raw:
        limits = JsonLimits(container_depth=depth)
        reader = _CountingReader(JsonLimitReader(raw, limits, str(path)))
        source = NonFiniteLiteralQuoter(reader) if may_contain_non_finite_literals(raw) else reader
        try:
            yield from parse(source, prefix, use_float=True)
        except ijson.JSONError as error:
            raise MalformedJsonError(_describe_failure(path, reader.bytes_read, error)) from None


def _describe_failure(path: Path, bytes_read: int, error: Exception) -> str:
    size = path.stat().st_size
    if size <= _EXACT_POSITION_MAX_BYTES:
        try:
            json.loads(path.read_bytes())
        except json.JSONDecodeError as exact:
            return (
                f"{path}: malformed JSON at line {exact.lineno}, column {exact.colno} "
                f"(byte {exact.pos}): {exact.msg}"
            )
        except UnicodeDecodeError as exact:
            return f"{path}: not UTF-8 text at byte {exact.start}: {exact.reason}"
        overflow = _first_integer_beyond_64_bits(path.read_bytes())
        if overflow is not None:  # valid JSON, but the streaming parser holds 64-bit integers
            line, column = _line_and_column(path, overflow)
            return (
                f"{path}: the integer at line {line}, column {column} (byte {overflow}) does "
                "not fit in 64 bits (the reader takes -(2^63 - 1) to 2^63 - 1)"
            )
    line, column = _line_and_column(path, bytes_read)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return (
        f"{path}: malformed JSON before line {line}, column {column} (byte {bytes_read} of "
        f"{size}): {reason}"
    )


def _first_integer_beyond_64_bits(data: bytes) -> int | None:
    """The byte offset of the first integer literal (outside strings) the streaming parser
    overflows on, or None: beyond int64, or int64's least value -2^63 (yajl negates the
    magnitude 2^63 after parsing it)."""
    for token in _STRING_OR_INTEGER.finditer(data):
        if token.group(1) is not None and not -(2**63) < int(token.group(1)) < 2**63:
            return token.start()
    return None


def _line_and_column(path: Path, offset: int) -> tuple[int, int]:
    """1-based line and column of byte ``offset``, reading the file in bounded chunks."""
    line, last_newline, position = 1, -1, 0
    with open(path, "rb") as handle:
        while position < offset:
            chunk = handle.read(min(_CHUNK_BYTES, offset - position))
            if not chunk:
                break
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                last_newline = position + chunk.rfind(b"\n")
            position += len(chunk)
    return line, offset - last_newline

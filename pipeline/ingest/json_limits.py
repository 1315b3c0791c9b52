"""Limits on a streamed JSON file's nesting depth and record size, checked before parsing.

The streaming parser keeps the key path of every open array and object, so its memory grows
with the square of the nesting depth: 200 KB of nested brackets needs tens of GB. And each
record it hands over is built whole in memory. :class:`JsonLimitReader` sits between the file
and the parser and refuses, before the parser sees them, bytes nested deeper than any
annotation format needs, a record (a value inside the arrays being streamed) larger than
``max_record_bytes``, or a string as large. Memory then stays bounded by the limits, whatever
the input.

The scan is vectorised with numpy over 256 KiB chunks: quotes toggle "inside a string";
brackets outside strings change the depth.
"""

import re
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from data_schemas.errors import RLIPv2InputError

MAX_NESTING_DEPTH = 64
"""COCO, Objects365 and Visual Genome files nest at most 6 deep."""
MAX_RECORD_BYTES = 32 * 1024 * 1024
"""Far above the largest real record (a Visual Genome image's relationships, a COCO crowd
mask's run lengths: a few MB at most)."""

_BACKSLASH = ord("\\")
_OTHER, _OPENER, _CLOSER, _QUOTE = 0, 1, 2, 3
# Each byte's class, for bytes.translate: brackets, quotes, and everything else.
_CLASSES = bytes(
    _OPENER if byte in b"[{" else _CLOSER if byte in b"]}" else _QUOTE if byte == ord('"')
    else _OTHER
    for byte in range(256)
)
CHUNK_BYTES = 1 << 18
"""How much is read and scanned at once: numpy's overhead is per call."""
_ESCAPE = re.compile(rb"\\.", re.DOTALL)


class JsonLimitError(RLIPv2InputError):
    """A JSON file nests too deep, or holds a record or string too large to stream."""


@dataclass(frozen=True)
class JsonLimits:
    """The limits of one file: ``container_depth`` is the nesting depth of the arrays whose
    elements are the records (1 for a top-level array, 2 for ``{"images": [...]}``)."""

    container_depth: int
    max_depth: int = MAX_NESTING_DEPTH
    max_record_bytes: int = MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if not 0 < self.container_depth < self.max_depth:
            raise ValueError(
                f"container_depth must be in [1, {self.max_depth}), got {self.container_depth}"
            )


class JsonLimitReader:
    """A binary reader that passes its source through unchanged, raising
    :class:`JsonLimitError` (naming the byte offset) as soon as a chunk breaks ``limits``.

    Malformed JSON (e.g. more closing than opening brackets) is left to the parser to report.
    """

    def __init__(
        self, raw: BinaryIO, limits: JsonLimits, name: str, *, chunk_bytes: int = CHUNK_BYTES
    ) -> None:
        self._raw = raw
        self._chunk_bytes = chunk_bytes
        self._limits = limits
        self._name = name
        self._offset = 0  # bytes of the file before the current chunk
        self._depth = 0
        self._in_string = False
        self._escape_pending = False  # the previous chunk ended inside a backslash escape
        self._record_start: int | None = None  # offset of the open record's first byte
        self._string_start: int | None = None
        self._buffered = b""  # checked bytes; those from _position on are not yet handed out
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0 or self._position + size > len(self._buffered):
            rest = self._buffered[self._position:]
            wanted = -1 if size < 0 else max(size - len(rest), self._chunk_bytes)
            self._buffered, self._position = rest + self._checked(self._raw.read(wanted)), 0
        end = len(self._buffered) if size < 0 else self._position + size
        data = self._buffered[self._position : end]
        self._position = min(end, len(self._buffered))
        return data

    def _checked(self, data: bytes) -> bytes:
        if data:
            self._check(data)
            self._offset += len(data)
        return data

    def _check(self, data: bytes) -> None:
        classes = np.frombuffer(self._without_escapes(data).translate(_CLASSES), dtype=np.uint8)
        marks = np.flatnonzero(classes)
        kinds = classes[marks]
        quotes = marks[kinds == _QUOTE]
        brackets = marks[kinds != _QUOTE]
        # A bracket is inside a string when an odd number of quotes (counting the one still
        # open from the last chunk) come before it.
        outside = (np.searchsorted(quotes, brackets) + self._in_string) % 2 == 0
        brackets = brackets[outside]
        steps = np.where(kinds[kinds != _QUOTE][outside] == _OPENER, 1, -1)
        depths = self._depth + np.cumsum(steps)  # the depth after each bracket
        too_deep = np.flatnonzero(depths > self._limits.max_depth)
        if too_deep.size:
            raise JsonLimitError(
                f"{self._name}: JSON nested deeper than {self._limits.max_depth} levels at byte "
                f"{self._offset + int(brackets[too_deep[0]])}; no annotation format needs that"
            )
        record_depth = self._limits.container_depth
        self._record_start = self._check_spans(
            "record",
            self._offset + brackets[(steps == 1) & (depths == record_depth + 1)],
            self._offset + brackets[(steps == -1) & (depths == record_depth)],
            self._record_start, len(data),
        )
        quotes = self._offset + quotes
        self._string_start = self._check_spans(
            "string", quotes[int(self._in_string)::2], quotes[1 - int(self._in_string)::2],
            self._string_start, len(data),
        )
        self._depth = int(depths[-1]) if depths.size else self._depth
        self._in_string = bool((self._in_string + quotes.size) % 2)

    def _without_escapes(self, data: bytes) -> bytes:
        """``data`` with every backslash escape blanked (same length), so that an escaped
        quote does not end a string; an escape cut by the chunk end is finished next time."""
        if self._escape_pending:
            data = b"_" + data[1:]
        if b"\\" not in data:
            self._escape_pending = False
            return data
        blanked = _ESCAPE.sub(b"__", data)
        self._escape_pending = blanked[-1] == _BACKSLASH
        return blanked

    def _check_spans(
        self, what: str, starts: np.ndarray, ends: np.ndarray, pending: int | None,
        chunk_bytes: int,
    ) -> int | None:
        """Refuse a span (record or string) over the size limit; return the start of the one
        still open at the chunk end. ``starts`` and ``ends`` alternate in the file, beginning
        with an end when ``pending`` is a span opened by an earlier chunk."""
        if pending is not None:
            starts = np.concatenate(([pending], starts))
        if not len(ends) <= len(starts) <= len(ends) + 1:
            return None  # unbalanced brackets: the parser reports the malformed file
        sizes = ends + 1 - starts[: len(ends)]
        still_open = int(starts[-1]) if len(starts) > len(ends) else None
        if still_open is not None:
            sizes = np.append(sizes, self._offset + chunk_bytes - still_open)
        over = np.flatnonzero(sizes > self._limits.max_record_bytes)
        if over.size:
            raise JsonLimitError(
                f"{self._name}: the {what} starting at byte {int(starts[over[0]])} is larger "
                f"than {self._limits.max_record_bytes / 2**20:g} MiB, the most one {what} may take"
            )
        return still_open

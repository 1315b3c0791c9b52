"""Turn the non-standard JSON literals NaN, Infinity and -Infinity into JSON strings.

Python's ``json.dump`` writes these for non-finite floats, so real annotation files contain
them, but they are not JSON and the streaming parser refuses the whole file. Quoting them
(only outside strings) turns one bad box into one rejected record instead.
"""

import mmap
import re
from typing import BinaryIO

NON_FINITE_TEXTS = frozenset({"NaN", "Infinity", "-Infinity"})

# A complete JSON string (escapes included), or a bare non-finite literal.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')
_LONGEST_PARTIAL_LITERAL = len(b"-Infinity") - 1
_CHUNK_BYTES = 1 << 20


def may_contain_non_finite_literals(raw: BinaryIO) -> bool:
    """Cheap check (memchr speed): does the file contain the bytes ``NaN`` or ``Infinity``?"""
    try:
        with mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return mapped.find(b"NaN") != -1 or mapped.find(b"Infinity") != -1
    except ValueError:  # empty file: nothing to map
        return False


class NonFiniteLiteralQuoter:
    """A binary reader that yields its source with bare NaN/Infinity/-Infinity quoted.

    Text inside JSON strings is left alone; a string or literal cut by a chunk boundary is
    carried over to the next chunk.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._carry = b""
        self._ready = bytearray()
        self._at_end = False

    def read(self, size: int = -1) -> bytes:
        while not self._at_end and (size < 0 or len(self._ready) < size):
            self._convert_next_chunk()
        if size < 0:
            size = len(self._ready)
        data = bytes(self._ready[:size])
        del self._ready[:size]
        return data

    def _convert_next_chunk(self) -> None:
        new = self._raw.read(_CHUNK_BYTES)
        self._at_end = not new
        data = self._carry + new
        position = 0  # data[:position] is converted
        scanned = 0  # data[:scanned] is known to hold no unclosed string
        cut = len(data)
        for match in _TOKEN.finditer(data):
            unclosed_quote = data.find(b'"', scanned, match.start())
            if unclosed_quote != -1:
                # A quote the pattern could not close: a string still open at the chunk end.
                cut = unclosed_quote
                break
            scanned = match.end()
            if match.group().startswith(b'"'):
                continue
            self._ready += data[position : match.start()] + b'"' + match.group() + b'"'
            position = match.end()
        else:
            unclosed_quote = data.find(b'"', scanned)
            if unclosed_quote != -1:
                cut = unclosed_quote
            elif not self._at_end:
                cut = max(scanned, len(data) - _LONGEST_PARTIAL_LITERAL)
        if self._at_end:
            cut = len(data)
        self._ready += data[position:cut]
        self._carry = data[cut:]

"""A compact map from integer ids to integer values, for tens of millions of ids."""

import numpy as np


class IntIdIndex:
    """Maps int64 ids to int64 values in about 16 bytes per id.

    Ids live in two sorted numpy arrays plus a small dict of recent additions, merged into the
    arrays when the dict grows past a sixteenth of them (so merges stay rare and each costs
    one linear copy). A Python ``dict`` of the same ids would need ~100 bytes per id, which for
    the 25M annotation ids of Objects365 is several GiB.
    """

    def __init__(self, *, min_buffer: int = 1 << 16) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._values = np.empty(0, dtype=np.int64)
        self._buffer: dict[int, int] = {}
        self._min_buffer = min_buffer

    def __len__(self) -> int:
        return len(self._keys) + len(self._buffer)

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def get(self, key: int) -> int | None:
        """The value stored for ``key``, or None."""
        value = self._buffer.get(key)
        if value is not None:
            return value
        position = int(np.searchsorted(self._keys, key))
        if position < len(self._keys) and self._keys[position] == key:
            return int(self._values[position])
        return None

    def add(self, key: int, value: int = 0) -> bool:
        """Store ``key -> value``; returns False (and stores nothing) if ``key`` is present."""
        if key in self:
            return False
        self._buffer[key] = value
        if len(self._buffer) >= max(self._min_buffer, len(self._keys) // 16):
            self._merge_buffer()
        return True

    def _merge_buffer(self) -> None:
        new_keys = np.fromiter(self._buffer.keys(), dtype=np.int64, count=len(self._buffer))
        new_values = np.fromiter(self._buffer.values(), dtype=np.int64, count=len(self._buffer))
        order = np.argsort(new_keys, kind="stable")
        new_keys, new_values = new_keys[order], new_values[order]
        positions = np.searchsorted(self._keys, new_keys)
        self._keys = np.insert(self._keys, positions, new_keys)
        self._values = np.insert(self._values, positions, new_values)
        self._buffer = {}

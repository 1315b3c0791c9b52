"""Walking tables grouped by image, batch by batch."""

from collections.abc import Iterator

import pyarrow as pa

_BATCH_ROWS = 65_536


def table_rows(table: pa.Table) -> Iterator[dict]:
    """The rows of ``table`` as dicts, converting one batch at a time."""
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        yield from batch.to_pylist()


def rows_by_image(table: pa.Table) -> Iterator[tuple[int, list[dict]]]:
    """(image_id, that image's rows) in ascending ``image_id``; row order kept within an image.

    ``table`` needs an ``image_id`` column; it is sorted here (stably).
    """
    current_id: int | None = None
    current_rows: list[dict] = []
    for row in table_rows(table.sort_by("image_id")):
        if row["image_id"] != current_id:
            if current_rows:
                yield current_id, current_rows
            current_id, current_rows = row["image_id"], []
        current_rows.append(row)
    if current_rows:
        yield current_id, current_rows


class ImageGroupCursor:
    """Looks up the rows of ascending image ids in a table, walking it once."""

    def __init__(self, table: pa.Table) -> None:
        self._groups = rows_by_image(table)
        self._next = next(self._groups, None)

    def rows_of(self, image_id: int) -> list[dict]:
        """Rows of ``image_id``; successive calls must use non-decreasing image ids."""
        while self._next is not None and self._next[0] < image_id:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == image_id:
            rows = self._next[1]
            self._next = next(self._groups, None)
            return rows
        return []

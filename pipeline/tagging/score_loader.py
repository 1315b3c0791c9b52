"""Score calls in batches, their inputs prepared ahead by DataLoader workers.

Workers run the scorer's ``preparer`` (image decoding and resizing) while the main process runs
the model on the previous batch. Prepared calls are grouped by the scorer's batch key into
batches of up to ``batch_size``; a call waits at most until ``window`` calls are pending, so
that memory stays bounded when keys rarely repeat (then batches are smaller).
"""

import logging
import multiprocessing
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from data_schemas.errors import RLIPv2InputError
from data_schemas.rejects import RejectReason
from model.data.image_files import ImageFileError
from pipeline.tagging.batch_scorer import BatchRelationScorer, ScoreCall
from pipeline.tagging.relation_scorer import ScoreMatrix

logger = logging.getLogger(__name__)
Item = TypeVar("Item")
WINDOW_BATCHES = 4
"""Calls pending for a batch, at most, in batches (``WINDOW_BATCHES * batch_size``)."""


@dataclass(frozen=True)
class PreparationFailure:
    """Why a call's image could not be used: the reject's reason and detail."""

    reason: RejectReason
    detail: str

    @classmethod
    def of(cls, error: RLIPv2InputError) -> "PreparationFailure":
        """An :class:`ImageFileError` says its reason; any other error is an unreadable image."""
        if isinstance(error, ImageFileError):
            return cls(reason=error.reason, detail=str(error))
        return cls(reason=RejectReason.UNREADABLE_IMAGE, detail=str(error))


_FAILED = ("failed preparation",)
"""The batch key of failed calls: grouped among themselves, never scored."""


def scored_calls(
    scorer: BatchRelationScorer,
    calls: Sequence[ScoreCall],
    *,
    batch_size: int,
    workers: int,
) -> Iterator[tuple[int, "ScoreMatrix | PreparationFailure"]]:
    """``(index into calls, scores or why the image could not be used)`` for every call, in an
    order of their batching. ``workers`` 0 prepares in this process, as does a daemonic process
    (a Dask worker), which may not start processes. A call is a failure when its preparation, or
    scoring it alone, raises :class:`RLIPv2InputError`."""
    if workers > 0 and multiprocessing.current_process().daemon:
        logger.info("preparing score calls in this process: a daemonic process has no workers")
        workers = 0
    from torch.utils.data import DataLoader  # torch only when scoring: --help stays light

    loader = DataLoader(
        _PreparedCalls(scorer.preparer(), calls),
        batch_size=None,
        num_workers=workers,
        # Workers start from a clean server process, not a fork of this one: a fork inherits
        # the parent's threads and at-exit hooks (Prefect's, in a flow run) in a broken state.
        multiprocessing_context="forkserver" if workers > 0 else None,
        collate_fn=_as_is,
        prefetch_factor=2 * batch_size if workers > 0 else None,
    )

    def key(item: tuple[int, Any]) -> Hashable:
        prepared = item[1]
        return _FAILED if isinstance(prepared, PreparationFailure) else scorer.batch_key(prepared)

    for batch in key_batches(
        loader, key, batch_size=batch_size, window=WINDOW_BATCHES * batch_size
    ):
        if isinstance(batch[0][1], PreparationFailure):
            yield from batch
            continue
        yield from _scored_batch(scorer, batch)


def _scored_batch(
    scorer: BatchRelationScorer, batch: list[tuple[int, Any]]
) -> list[tuple[int, "ScoreMatrix | PreparationFailure"]]:
    """The scores of a batch of prepared calls; when scoring raises
    :class:`RLIPv2InputError` (a scorer that reads its input only then), the calls are scored
    one by one, and the call that raises is a failure."""
    try:
        return list(
            zip((index for index, _ in batch), scorer.score_prepared([p for _, p in batch]))
        )
    except RLIPv2InputError as error:
        if len(batch) == 1:
            return [(batch[0][0], PreparationFailure.of(error))]
    return [scored for call in batch for scored in _scored_batch(scorer, [call])]


def key_batches(
    items: Iterable[Item],
    key: Callable[[Item], Hashable],
    *,
    batch_size: int,
    window: int,
) -> Iterator[list[Item]]:
    """``items`` in batches of equal ``key``: a batch leaves when it has ``batch_size`` items,
    or (the oldest pending) when more than ``window`` items are pending; the rest at the end.
    Each batch keeps the order of its items."""
    if batch_size < 1 or window < batch_size:
        raise ValueError(f"need 1 <= batch_size <= window, got {batch_size} and {window}")
    pending: dict[Hashable, list[Item]] = {}  # insertion order: the oldest pending item first
    num_pending = 0
    for item in items:
        group = pending.setdefault(key(item), [])
        group.append(item)
        num_pending += 1
        if len(group) == batch_size:
            del pending[key(item)]
            num_pending -= batch_size
            yield group
        elif num_pending > window:
            oldest = pending.pop(next(iter(pending)))
            num_pending -= len(oldest)
            yield oldest
    yield from pending.values()


class _PreparedCalls:
    """Call ``index`` -> ``(index, its prepared inputs or why its image cannot be used)``: a
    map-style dataset of a DataLoader."""

    def __init__(self, preparer: Callable[..., Any], calls: Sequence[ScoreCall]) -> None:
        self.preparer = preparer
        self.calls = calls

    def __len__(self) -> int:
        return len(self.calls)

    def __getitem__(self, index: int) -> tuple[int, Any]:
        call = self.calls[index]
        try:
            prepared = self.preparer(
                call.image, call.image_root, call.entities, call.pairs, call.relation_texts
            )
        except RLIPv2InputError as error:
            return index, PreparationFailure.of(error)
        return index, prepared


def _as_is(item: Any) -> Any:
    """The loader's collate function: items pass as they are (batches are formed after)."""
    return item

"""Running a function over consecutive batches, halving the batch size on out-of-memory."""

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch

logger = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


class ShrinkingBatches:
    """Maps a batch function over items, ``batch_size`` at a time.

    When a batch raises ``torch.OutOfMemoryError`` the batch size is halved, the CUDA cache
    released and the batch retried; a batch of one that still runs out of memory re-raises. The
    smaller size is kept for later batches and later calls.
    """

    def __init__(self, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size

    def map(
        self,
        items: Sequence[ItemT],
        run_batch: Callable[[Sequence[ItemT]], list[ResultT]],
    ) -> list[ResultT]:
        """``run_batch`` over consecutive batches of ``items``; one result per item, in order.

        ``run_batch`` must return exactly one result per item of its batch.
        """
        results: list[ResultT] = []
        start = 0
        while start < len(items):
            batch = items[start : start + self.batch_size]
            try:
                batch_results = run_batch(batch)
            except torch.OutOfMemoryError:
                if len(batch) == 1:
                    raise
                batch_results = None
            if batch_results is None:
                # Outside the except block, so the failed batch's tensors are unreferenced.
                self.batch_size = len(batch) // 2
                torch.cuda.empty_cache()
                logger.warning(
                    "out of memory on a batch of %d images; retrying with batches of %d",
                    len(batch),
                    self.batch_size,
                )
                continue
            assert len(batch_results) == len(batch), "run_batch returns one result per item"
            results.extend(batch_results)
            start += len(batch)
        return results

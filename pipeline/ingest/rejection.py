"""The log of rejected input records: it counts, reports and stores them."""

import logging
from collections import Counter

from data_schemas.parquet_io import ShardedTableWriter
from data_schemas.rejects import Rejection, RejectReason

logger = logging.getLogger(__name__)

_WARNINGS_PER_REASON = 5


class RejectLog:
    """Writes each rejected record to the ``rejects`` table, counts it by reason, logs a few."""

    def __init__(self, writer: ShardedTableWriter, *, stage: str) -> None:
        self._writer = writer
        self._stage = stage
        self.counts: Counter[RejectReason] = Counter()

    def record(
        self,
        rejection: Rejection,
        *,
        source_file: str,
        record_kind: str,
        record_id: object = None,
        image_id: int | None = None,
    ) -> None:
        self.counts[rejection.reason] += 1
        self._writer.append(
            {
                "stage": self._stage,
                "source_file": source_file,
                "record_kind": record_kind,
                "record_id": None if record_id is None else str(record_id),
                "image_id": image_id,
                "reason": rejection.reason.value,
                "detail": rejection.detail,
            }
        )
        if self.counts[rejection.reason] <= _WARNINGS_PER_REASON:
            logger.warning(
                "rejected %s %s of %s: %s (%s)",
                record_kind,
                record_id,
                source_file,
                rejection.reason.value,
                rejection.detail,
            )
        elif self.counts[rejection.reason] == _WARNINGS_PER_REASON + 1:
            logger.warning("more %s rejects; see the rejects table", rejection.reason.value)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

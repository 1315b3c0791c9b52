"""The log of rejected input records: it counts, reports and stores them."""

import logging
from collections import Counter

from data_schemas.parquet_io import ShardedTableWriter
from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import Rejection, RejectReason, RejectRecord

logger = logging.getLogger(__name__)


class RejectLog:
    """Writes each rejected record to the ``rejects`` table, counts it by reason, logs a few."""

    def __init__(self, writer: ShardedTableWriter, *, stage: str) -> None:
        self._writer = writer
        self._stage = stage
        self._warnings = RejectWarnings(logger)

    def record(
        self,
        rejection: Rejection,
        *,
        source_file: str,
        record_kind: str,
        record_id: object = None,
        image_id: int | None = None,
    ) -> None:
        reject = RejectRecord(
            stage=self._stage,
            source_file=source_file,
            record_kind=record_kind,
            record_id=None if record_id is None else str(record_id),
            image_id=image_id,
            reason=rejection.reason,
            detail=rejection.detail,
        )
        self._writer.append(reject.model_dump(mode="json"))
        self._warnings.warn(reject)

    @property
    def counts(self) -> Counter[RejectReason]:
        return self._warnings.counts

    @property
    def total(self) -> int:
        return self._warnings.total

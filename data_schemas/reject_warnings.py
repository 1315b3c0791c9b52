"""Warnings about rejected records: the first few of each reason, then where the rest are."""

import logging
from collections import Counter

from data_schemas.rejects import RejectReason, RejectRecord

WARNINGS_PER_REASON = 5


class RejectWarnings:
    """Logs each of the first ``per_reason`` rejects of a reason as a warning, then one line
    saying that the others of that reason are in the ``rejects`` table; counts them all.

    Every stage that rejects records warns through one of these, so a run with a million bad
    records logs a few lines per reason, the same way in each stage.
    """

    def __init__(self, logger: logging.Logger, *, per_reason: int = WARNINGS_PER_REASON) -> None:
        if per_reason < 0:
            raise ValueError(f"per_reason must be >= 0, got {per_reason}")
        self._logger = logger
        self._per_reason = per_reason
        self.counts: Counter[RejectReason] = Counter()

    def warn(self, reject: RejectRecord) -> None:
        self.counts[reject.reason] += 1
        seen = self.counts[reject.reason]
        if seen <= self._per_reason:
            self._logger.warning(
                "rejected %s of %s: %s (%s)",
                _record_name(reject),
                reject.source_file,
                reject.reason.value,
                reject.detail,
            )
        elif seen == self._per_reason + 1:
            self._logger.warning("more %s rejects; see the rejects table", reject.reason.value)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _record_name(reject: RejectRecord) -> str:
    """e.g. "image 7", "annotation 12 of image 7", "caption"."""
    name = reject.record_kind if reject.record_id is None else (
        f"{reject.record_kind} {reject.record_id}"
    )
    if reject.image_id is not None and reject.record_kind != "image":
        name += f" of image {reject.image_id}"
    return name

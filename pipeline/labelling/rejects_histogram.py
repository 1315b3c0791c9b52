"""Reject counts by reason, as stage manifests and run summaries report them."""

from collections import Counter
from collections.abc import Iterable, Mapping


def rejects_by_reason(rows: Iterable[Mapping]) -> dict[str, int]:
    """``{reason: count}`` of reject rows (``RejectRecord`` dumps), most frequent first."""
    return dict(Counter(str(row["reason"]) for row in rows).most_common())

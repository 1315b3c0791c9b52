"""The optional ``confidence`` of a relationship entry: present on pseudo-labels (a tagger's
score), absent on human annotation."""

import math
from collections.abc import Mapping

from data_schemas.rejects import Rejection, RejectReason


def entry_confidence(entry: Mapping) -> float | None | Rejection:
    """``entry["confidence"]`` as a float in [0, 1]; None when the key is absent or null (a
    human relation, which pretraining keeps at any cut).

    A confidence that is not a finite number in [0, 1] (a bool, a string, NaN, 1.5) is a
    malformed record: guessing it would turn a pseudo-label into a human one or drop it.
    """
    value = entry.get("confidence")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Rejection(RejectReason.MALFORMED_RECORD, f"confidence {value!r} is not a number")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return Rejection(
            RejectReason.MALFORMED_RECORD, f"confidence {value!r} is not a number in [0, 1]"
        )
    return float(value)

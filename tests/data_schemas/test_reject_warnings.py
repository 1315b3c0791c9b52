"""The warnings every stage logs for its rejects: a few per reason, then a pointer to the table."""

import logging

import pytest

from data_schemas.reject_warnings import RejectWarnings
from data_schemas.rejects import RejectReason, RejectRecord

LOGGER = logging.getLogger("test_reject_warnings")


def reject(record_id: int, reason: RejectReason, *, kind: str = "image") -> RejectRecord:
    return RejectRecord(stage="test", source_file="instances.json", record_kind=kind,
                        record_id=str(record_id), image_id=7, reason=reason, detail="why")


def test_the_first_rejects_of_each_reason_are_logged_then_one_line_for_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warnings = RejectWarnings(LOGGER, per_reason=2)
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        for record_id in range(5):
            warnings.warn(reject(record_id, RejectReason.MISSING_IMAGE_FILE))
        warnings.warn(reject(9, RejectReason.DEGENERATE_BOX, kind="annotation"))
    assert caplog.messages == [
        "rejected image 0 of instances.json: missing_image_file (why)",
        "rejected image 1 of instances.json: missing_image_file (why)",
        "more missing_image_file rejects; see the rejects table",
        "rejected annotation 9 of image 7 of instances.json: degenerate_box (why)",
    ]
    assert warnings.counts == {RejectReason.MISSING_IMAGE_FILE: 5, RejectReason.DEGENERATE_BOX: 1}
    assert warnings.total == 6


def test_a_negative_warning_count_is_refused() -> None:
    with pytest.raises(ValueError, match="per_reason"):
        RejectWarnings(LOGGER, per_reason=-1)

"""The rejects that reading scene graphs for training sets aside (stage :data:`STAGE`)."""

from data_schemas.rejects import Rejection, RejectRecord

STAGE = "training data"
"""The ``stage`` of the rejects set aside while reading scene graphs for training."""


def training_reject(
    source_file: str, record_kind: str, record_id: int, image_id: int, problem: Rejection
) -> RejectRecord:
    """A reject of ``source_file`` (the table): a ``record_kind`` ("image", "relationship")."""
    return RejectRecord(
        stage=STAGE,
        source_file=source_file,
        record_kind=record_kind,
        record_id=str(record_id),
        image_id=image_id,
        reason=problem.reason,
        detail=problem.detail,
    )

"""Progress of a labelling run: a Prefect progress artifact and a log line per finished shard."""

import time
from collections import Counter
from collections.abc import Callable

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

PROGRESS_ARTIFACT_KEY = "label-progress"
MIN_SECONDS_BETWEEN_UPDATES = 1.0
"""The progress artifact is updated at most this often (and at 100%): a re-run that reuses
hundreds of shards finishes them in a burst, each update is an API call."""


class RunProgress:
    """Counts finished stage shards out of ``stages * shards`` (plus the split); logs every
    one, updates the progress artifact at most every ``MIN_SECONDS_BETWEEN_UPDATES`` seconds of
    ``clock``."""

    def __init__(
        self, *, stages: int, shards: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = stages * shards + shards
        self.finished = 0
        self.by_stage: Counter[str] = Counter()
        self.reused_by_stage: Counter[str] = Counter()
        self.shards = shards
        self._artifact_id = create_progress_artifact(
            progress=0.0,
            key=PROGRESS_ARTIFACT_KEY,
            description=f"stage shards finished, of {self.total}",
        )
        self._clock = clock
        self._last_update = clock()

    def done(self, stage: str, count: int, *, reused: int) -> None:
        """``count`` shards of ``stage`` finished, ``reused`` of them from an earlier run."""
        self.finished += count
        self.by_stage[stage] += count
        self.reused_by_stage[stage] += reused
        percent = 100.0 * self.finished / self.total
        now = self._clock()
        if self.finished == self.total or now - self._last_update >= MIN_SECONDS_BETWEEN_UPDATES:
            update_progress_artifact(self._artifact_id, progress=percent)
            self._last_update = now
        get_run_logger().info(
            "%s: %d/%d shards%s; run %.0f%% done",
            stage,
            self.by_stage[stage],
            self.shards,
            f" ({self.reused_by_stage[stage]} reused)" if self.reused_by_stage[stage] else "",
            percent,
        )

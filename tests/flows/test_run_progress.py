"""RunProgress: a log line per finished shard, the progress artifact at most once a second."""

import logging

import pytest

from flows import run_progress
from flows.run_progress import MIN_SECONDS_BETWEEN_UPDATES, RunProgress


class FakeClock:
    """Stands in for ``time.monotonic`` as RunProgress's clock; the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def artifact_updates(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeClock, list[float]]:
    """The progress values sent to the (faked) artifact API, and the fake clock."""
    clock, updates = FakeClock(), []
    monkeypatch.setattr(run_progress, "create_progress_artifact", lambda **_: "artifact-id")
    monkeypatch.setattr(
        run_progress, "update_progress_artifact", lambda _id, progress: updates.append(progress)
    )
    monkeypatch.setattr(run_progress, "get_run_logger", lambda: logging.getLogger("progress"))
    return clock, updates


def test_a_burst_of_shards_updates_the_artifact_once_at_100_percent_and_logs_each(
    artifact_updates: tuple[FakeClock, list[float]], caplog: pytest.LogCaptureFixture
) -> None:
    clock, updates = artifact_updates
    caplog.set_level(logging.INFO, logger="progress")
    progress = RunProgress(stages=1, shards=4, clock=clock)  # 4 split + 4 stage shards
    progress.done("split", 4, reused=4)
    for _ in range(4):
        progress.done("tag", 1, reused=1)
    assert updates == [100.0]
    assert [record.getMessage() for record in caplog.records] == [
        "split: 4/4 shards (4 reused); run 50% done",
        *(f"tag: {n}/4 shards ({n} reused); run {50 + 12.5 * n:.0f}% done" for n in range(1, 5)),
    ]


def test_shards_a_second_apart_each_update_the_artifact(
    artifact_updates: tuple[FakeClock, list[float]],
) -> None:
    clock, updates = artifact_updates
    progress = RunProgress(stages=1, shards=2, clock=clock)
    for stage in ("split", "tag", "tag"):
        clock.now += MIN_SECONDS_BETWEEN_UPDATES
        progress.done(stage, 2 if stage == "split" else 1, reused=0)
    assert updates == [50.0, 75.0, 100.0]

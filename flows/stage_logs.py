"""The stage packages' logs under Prefect.

Prefect's logging configuration sets the root logger to WARNING, so the INFO lines of
``pipeline``, ``rtagger`` and ``model`` ("loaded captioner ... on cuda", shard counts, "published
...") would be dropped in every Prefect process, and none of their lines would reach a run's
logs in the UI. :func:`route_stage_logs` gives those loggers the ``prefect`` logger's level and a
handler that sends their records, within a flow or task run, to that run's logs; they still
propagate to the console. It is idempotent and per process: flows and the label flow's tasks
call it first (Dask runs tasks in worker processes; Prefect's ``on_running`` hooks would log two
lines per task run).
"""

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler

STAGE_LOGGERS = ("pipeline", "rtagger", "model")
"""The packages whose logs follow Prefect's."""


class InRunContext(logging.Filter):
    """Passes records logged within a flow or task run: the API handler can place only those
    (it warns on any other, e.g. from a thread a stage starts)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def route_stage_logs() -> None:
    """Log the stage packages at the ``prefect`` logger's level, to the console and to the
    current run's logs."""
    level = logging.getLogger("prefect").getEffectiveLevel()
    for name in STAGE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(isinstance(handler, APILogHandler) for handler in logger.handlers):
            to_run_logs = APILogHandler()
            to_run_logs.addFilter(InRunContext())
            logger.addHandler(to_run_logs)



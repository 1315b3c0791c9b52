"""The stage packages' INFO lines reach a Prefect run's logs (Prefect's root logger is at
WARNING, which would drop them), from a flow body and from a task body (Dask runs tasks in other processes), and lines
logged outside any run neither fail nor warn."""

import logging
import uuid
import warnings
from collections.abc import Iterator

import pytest

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.context import FlowRunContext
from prefect.logging.handlers import APILogHandler

from flows.stage_logs import STAGE_LOGGERS, route_stage_logs

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(autouse=True)
def unrouted_stage_loggers() -> Iterator[None]:
    """The stage loggers as a fresh process has them, restored after the test."""
    loggers = [logging.getLogger(name) for name in STAGE_LOGGERS]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        logger.handlers.clear()
    yield
    for logger, (level, handlers) in zip(loggers, saved):
        logger.setLevel(level)
        logger.handlers[:] = handlers


def run_log_messages(flow_run_id: uuid.UUID) -> list[str]:
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        run_logs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        logs = client.read_logs(run_logs, limit=200, offset=0)
    return [log.message for log in logs]


@flow
def flow_logging_a_stage_line(line: str) -> uuid.UUID:
    route_stage_logs()
    logging.getLogger("pipeline.some_stage").info(line)
    return FlowRunContext.get().flow_run.id


@task
def task_logging_a_stage_line(line: str) -> None:
    route_stage_logs()
    logging.getLogger("rtagger.some_module").info(line)


@flow
def flow_of_a_task_logging_a_stage_line(line: str) -> uuid.UUID:
    task_logging_a_stage_line(line)
    return FlowRunContext.get().flow_run.id


def test_a_flow_sends_stage_info_lines_to_its_run_logs() -> None:
    flow_run_id = flow_logging_a_stage_line("captioned 16 images")
    assert "captioned 16 images" in run_log_messages(flow_run_id)


def test_a_task_sends_stage_info_lines_to_the_run_logs() -> None:
    flow_run_id = flow_of_a_task_logging_a_stage_line("tagged shard 3")
    assert "tagged shard 3" in run_log_messages(flow_run_id)


def test_routing_twice_adds_one_run_log_handler() -> None:
    route_stage_logs()
    route_stage_logs()
    for name in STAGE_LOGGERS:
        handlers = logging.getLogger(name).handlers
        assert sum(isinstance(handler, APILogHandler) for handler in handlers) == 1
        assert logging.getLogger(name).isEnabledFor(logging.INFO)


def test_a_stage_line_outside_a_run_neither_fails_nor_warns(caplog) -> None:
    route_stage_logs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logging.getLogger("model.some_module").info("outside any run")
    assert "outside any run" in caplog.messages

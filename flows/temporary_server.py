"""The Prefect API of a flow run started from the command line: ``PREFECT_API_URL`` when set,
else a temporary server on a free loopback port for the length of the run.

Prefect would start such a server itself (its "ephemeral" mode), but as a plain child process
that a killed ``rlipv2 label`` leaves running for good. This one is the server Prefect starts (the
API only, no UI; the database under ``PREFECT_HOME``), started through
:mod:`flows.server_process`, so it ends with the command, however the command ends.
"""

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from flows.server import LOOPBACK, api_url
from flows.server_process import start_server_process, stop_server_process, wait_until_healthy


@contextmanager
def flow_run_api() -> Iterator[bool]:
    """Point Prefect at ``PREFECT_API_URL``, or at a temporary server started here and stopped
    on exit; yields whether the server is a temporary one."""
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if get_current_settings().api.url is not None:
        yield False
        return
    port = _free_loopback_port()
    environment = os.environ | get_current_settings().to_environment_variables(
        exclude_unset=True
    ) | {
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",  # what Prefect's own temporary server sets
        "PREFECT__SERVER_FINAL": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry notice, no calls out
    }
    server = start_server_process(
        [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
         "--host", LOOPBACK, "--port", str(port), "--log-level", "error", "--lifespan", "on"],
        environment,
    )
    try:
        wait_until_healthy(server, api_url(port))
        with temporary_settings(updates={PREFECT_API_URL: api_url(port)}):
            try:
                yield True
            finally:  # the run's last log lines, while the server is still there to take them
                APILogWorker.drain_all(timeout=5)
    finally:
        stop_server_process(server)


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]

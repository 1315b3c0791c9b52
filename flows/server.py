"""A local Prefect server (SQLite, loopback only) serving the rlipv2 flows as deployments.

The UI at ``http://127.0.0.1:<port>`` lists the deployments ``label/label``,
``train-tagger/train-tagger``, ``pretrain/pretrain``, ``finetune/finetune``,
``evaluate/evaluate`` and ``compare/compare``; "Run" on one of them starts a flow
run with the parameters filled in the form, executed by this process (no work pool needed).
"""

import os
import sys
from contextlib import contextmanager
from collections.abc import Iterator

from flows.server_access import ServerAccess
from flows.server_process import start_server_process, stop_server_process, wait_until_healthy

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 4200
DEPLOYMENT_NAMES = (
    "label/label",
    "train-tagger/train-tagger",
    "pretrain/pretrain",
    "finetune/finetune",
    "evaluate/evaluate",
    "compare/compare",
)


def api_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}/api"


@contextmanager
def running_server(access: ServerAccess) -> Iterator[str]:
    """Start ``prefect server start`` on the loopback interface and ``access.port``, open only
    to ``access`` (:mod:`flows.server_access`); yield its API URL once healthy; stop it on exit.

    The server ends with this process, however it ends (:mod:`flows.server_process`).

    Raises:
        RLIPv2InputError: the server exited or did not become healthy in time (port in use?).
    """
    # The UI finds the API through these settings, not through --host/--port.
    port = access.port
    environment = os.environ | access.server_environment() | {
        "PREFECT_SERVER_API_HOST": LOOPBACK,
        "PREFECT_SERVER_API_PORT": str(port),
    }
    environment.pop("PREFECT_API_URL", None)
    server = start_server_process(
        [sys.executable, "-m", "prefect", "server", "start", "--host", LOOPBACK,
         "--port", str(port)],
        environment,
    )
    try:
        wait_until_healthy(server, api_url(port))
        yield api_url(port)
    finally:
        stop_server_process(server)


def serve_deployments(url: str, access: ServerAccess) -> None:
    """Register and serve the six flows as deployments of the server at ``url``; blocks,
    running the flow runs the UI or API create, until interrupted."""
    from prefect import serve
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from flows.compare_flow import compare
    from flows.downstream_flows import evaluate, finetune
    from flows.label_flow import label
    from flows.training_flows import pretrain, train_tagger

    # For the flow-run processes serve starts.
    os.environ.update(access.client_environment() | {"PREFECT_API_URL": url})
    with temporary_settings(updates={PREFECT_API_URL: url,
                                     PREFECT_API_AUTH_STRING: access.auth_string}):
        serve(
            label.to_deployment(name="label", description=label.description),
            train_tagger.to_deployment(name="train-tagger", description=train_tagger.description),
            pretrain.to_deployment(name="pretrain", description=pretrain.description),
            finetune.to_deployment(name="finetune", description=finetune.description),
            evaluate.to_deployment(name="evaluate", description=evaluate.description),
            compare.to_deployment(name="compare", description=compare.description),
        )

"""``rlipv2 server`` end to end: the real Prefect server and UI on the loopback interface, the
three deployments, a ``pretrain`` run started the way the UI's Run button starts it, and a
``label`` run that starts pretraining as a follow-up run of the ``pretrain`` deployment."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import psutil
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.client.schemas.responses import DeploymentResponse
from prefect.exceptions import ObjectNotFound

from demo_world import write_demo_world
from flows.server import DEPLOYMENT_NAMES, LOOPBACK, api_url
from flows.server_access import AUTH_STRING_VARIABLE
from labelling_world import LabellingWorld
from model.data import SceneGraphSource
from pipeline.ingest import ingest_visual_genome_dataset
from tiny_pretrain_config import write_config
from tiny_roberta import save_tiny_roberta

REPOSITORY = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 180.0
LOG_TIMEOUT_SECONDS = 30.0
AUTH_STRING = "rlipv2:test-secret"

pytestmark = pytest.mark.slow  # a real server process: tens of seconds per test


@dataclass(frozen=True)
class ServerProcess:
    process: subprocess.Popen
    port: int
    log_file: Path

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_file.read_text(errors="replace")[-characters:]


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``rlipv2 server`` in its own process group (started, not yet awaited); the whole group
    and every descendant are killed after the module's tests, whatever their outcome."""
    tmp_path = tmp_path_factory.mktemp("server")
    port = free_loopback_port()
    environment = os.environ | {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        AUTH_STRING_VARIABLE: AUTH_STRING,
    }
    environment.pop("PREFECT_API_URL", None)
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "server", "--port", str(port)],
            cwd=REPOSITORY, env=environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield ServerProcess(process, port, log_file)
    finally:
        _stop_process_tree(process)


def _stop_process_tree(process: subprocess.Popen) -> None:
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    _, alive = psutil.wait_procs(descendants, timeout=10)
    for leftover in alive:  # a flow-run process that left the group
        leftover.kill()


@pytest.fixture
def pretrain_config(tmp_path: Path) -> Path:
    """A tiny pretraining config (2 steps) on a 12-image demo world; output under tmp/run."""
    world = write_demo_world(tmp_path / "world", num_images=12, seed=2)
    ingest_visual_genome_dataset(
        world.vg_image_data_json, relationships_json=world.vg_relationships_json,
        objects_json=world.vg_objects_json, out_dir=tmp_path / "vg", dataset="demo",
        split="train",
    )
    source = SceneGraphSource(scene_graphs_dir=tmp_path / "vg" / "scene_graphs",
                              image_root=world.images_dir)
    return write_config(tmp_path, save_tiny_roberta(tmp_path / "roberta"), source)


def wait_for_deployments(
    client: SyncPrefectClient, server: ServerProcess
) -> dict[str, DeploymentResponse]:
    """Every deployment of ``rlipv2 server`` by name, once all are registered."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"the server exited:\n{server.log_tail()}"
        try:
            return {name: client.read_deployment_by_name(name) for name in DEPLOYMENT_NAMES}
        except (ObjectNotFound, httpx.TransportError):  # not registered / server not up yet
            time.sleep(0.5)
    pytest.fail(f"deployments not registered in {STARTUP_TIMEOUT_SECONDS:.0f}s:\n"
                f"{server.log_tail()}")


def wait_for_final_state(
    client: SyncPrefectClient, flow_run_id: UUID, server: ServerProcess
) -> FlowRun:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        flow_run = client.read_flow_run(flow_run_id)
        if flow_run.state is not None and flow_run.state.is_final():
            return flow_run
        time.sleep(1)
    pytest.fail(f"flow run not finished in {RUN_TIMEOUT_SECONDS:.0f}s:\n{server.log_tail()}")


def wait_for_log_line(client: SyncPrefectClient, flow_run_id: UUID, start: str) -> bool:
    """Whether a line of the run's logs starts with ``start`` within a few seconds (a run
    process sends its logs in batches, the last ones after its final state)."""
    run_logs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    deadline = time.monotonic() + LOG_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        logs = client.read_logs(run_logs, limit=200, offset=0)
        if any(log.message.startswith(start) for log in logs):
            return True
        time.sleep(0.5)
    return False


def test_server_serves_the_ui_and_runs_pretrain_from_its_deployment(
    server: ServerProcess, pretrain_config: Path
) -> None:
    url = api_url(server.port)
    with SyncPrefectClient(url, auth_string=AUTH_STRING) as client:
        deployments = wait_for_deployments(client, server)
        # What "Run" in the UI sends: POST /api/deployments/{id}/create_flow_run.
        flow_run = client.create_flow_run_from_deployment(
            deployments["pretrain/pretrain"].id,
            parameters={"parameters": {
                "config_file": str(pretrain_config), "relation_threshold": 0.2,
                "overrides": ['device="cpu"'],
            }},
        )
        finished = wait_for_final_state(client, flow_run.id, server)
        assert finished.state.is_completed(), f"{finished.state!r}\n{server.log_tail()}"
        # The model package's own lines are on the run's page, not only Prefect's.
        assert wait_for_log_line(client, flow_run.id, "loading the label-text encoder")
    checkpoints = pretrain_config.parent / "run" / "checkpoints"
    assert (checkpoints / "checkpoint-000001.pt").is_file()

    listening = [
        connection for connection in psutil.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == server.port
    ]
    assert listening and {c.laddr.ip for c in listening} == {LOOPBACK}, listening

    with urllib.request.urlopen(f"http://{LOOPBACK}:{server.port}/", timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/html"
        assert '<div id="app">' in response.read().decode()
    # The UI in the browser calls the API at the URL /ui-settings gives: it must be this port's.
    with urllib.request.urlopen(f"http://{LOOPBACK}:{server.port}/ui-settings",
                                timeout=10) as response:
        assert json.load(response)["api_url"] == url


def test_a_label_run_starts_pretraining_as_a_follow_up_deployment_run(
    server: ServerProcess, labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    follow_up = {
        "config_file": str(labelling_world.pretrain_config),
        "overrides": [*labelling_world.pretrain_overrides, f'output_dir="{tmp_path / "pretrain"}"',
                      'device="cpu"'],
        "relation_threshold": 0.0,
    }
    url = api_url(server.port)
    with SyncPrefectClient(url, auth_string=AUTH_STRING) as client:
        deployments = wait_for_deployments(client, server)
        label_run = client.create_flow_run_from_deployment(
            deployments["label/label"].id,
            parameters={"parameters": {
                "dataset_dir": str(labelling_world.dataset_dir),
                "out_dir": str(tmp_path / "label"),
                "tagger_checkpoint": str(labelling_world.tagger_checkpoint),
                "vocabulary": "demo", "images_per_shard": 6, "tagger_device": "cpu",
                "then_pretrain": follow_up,
            }},
        )
        finished = wait_for_final_state(client, label_run.id, server)
        assert finished.state.is_completed(), f"{finished.state!r}\n{server.log_tail()}"
        pretrain_runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[deployments["pretrain/pretrain"].id])
            ),
            sort=FlowRunSort.START_TIME_DESC,  # explicit: the pinned server refuses nulls
            limit=10,
        )
        follow_ups = [  # the form's other fields (then_evaluate) keep their defaults
            run for run in pretrain_runs
            if run.parameters["parameters"] == {**follow_up, "then_evaluate": None}
        ]
        assert len(follow_ups) == 1, [run.parameters for run in pretrain_runs]
        pretrained = wait_for_final_state(client, follow_ups[0].id, server)
    assert pretrained.state.is_completed(), f"{pretrained.state!r}\n{server.log_tail()}"
    assert (tmp_path / "label" / "scene_graphs").is_dir()
    assert (tmp_path / "pretrain" / "checkpoints" / "checkpoint-000001.pt").is_file()


def test_the_api_answers_only_the_ui_origin_with_the_auth_string_and_a_csrf_token(
    server: ServerProcess,
) -> None:
    url = api_url(server.port)
    own_origin = f"http://{LOOPBACK}:{server.port}"
    with SyncPrefectClient(url, auth_string=AUTH_STRING) as client:
        deployment = wait_for_deployments(client, server)["pretrain/pretrain"]
    run_url = f"{url}/deployments/{deployment.id}/create_flow_run"
    forged = {"parameters": {"parameters": {"config_file": "/forged/config.yaml"}}}
    credentials = tuple(AUTH_STRING.split(":", 1))

    def preflight(origin: str) -> httpx.Response:
        return http.options(run_url, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        })

    with httpx.Client(timeout=30) as http:
        # A browser asks before a page of another origin may POST JSON: refused.
        foreign = preflight("http://evil.example")
        assert foreign.status_code == 400
        assert "access-control-allow-origin" not in foreign.headers
        # Sent without asking (curl, or a browser's "simple" request): no CSRF token, no run.
        assert http.post(run_url, json=forged,
                         headers={"Origin": "http://evil.example"}).status_code == 403
        # Without the auth string, no CSRF token either, nor a run with a stolen token.
        assert http.get(f"{url}/csrf-token", params={"client": "x"}).status_code == 401
        token = http.get(f"{url}/csrf-token", params={"client": "ui"}, auth=credentials)
        assert token.status_code == 200
        csrf = {"Prefect-Csrf-Token": token.json()["token"], "Prefect-Csrf-Client": "ui"}
        assert http.post(run_url, json=forged, headers=csrf).status_code == 401
        # The auth string without a CSRF token is not enough either.
        assert http.post(run_url, json=forged, auth=credentials,
                         headers={"Origin": own_origin}).status_code == 403
        # The UI's own calls: its preflight, a CSRF token, then an authenticated request.
        own = preflight(own_origin)
        assert own.status_code == 200
        assert own.headers["access-control-allow-origin"] == own_origin
        flows = http.post(f"{url}/flows/filter", json={}, auth=credentials,
                          headers={"Origin": own_origin, **csrf})
        assert flows.status_code == 200
        assert flows.headers["access-control-allow-origin"] == own_origin
        ui_settings = http.get(f"{own_origin}/ui-settings").json()
    assert ui_settings["auth"] == "BASIC" and ui_settings["csrf_enabled"] is True
    with SyncPrefectClient(url, auth_string=AUTH_STRING) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.START_TIME_DESC, limit=50,
        )
    assert all(run.parameters["parameters"] != forged["parameters"]["parameters"]
               for run in runs)

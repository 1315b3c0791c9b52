"""Screenshots of the Prefect UI of ``rlipv2 server`` for docs/ui.md (``docs/images/ui-*.png``).

Starts ``rlipv2 server`` on a free loopback port with a temporary PREFECT_HOME, runs the
``label`` deployment on the demo world (``runs/demo``, written by ``bash scripts/demo.sh``) and
the ``pretrain`` deployment, with outputs under ``runs/demo/ui/``, waits for both, then takes
headless-Chromium screenshots of the deployments page, the pretrain "Custom run" form (filled
with the parameters the pretrain run had), both runs' pages, and the label run's artifacts.
Each screenshot is checked: the page's DOM holds the expected text (not a spinner or an error
page) and the picture is not blank.

    .venv/bin/python scripts/ui_screenshot.py [--out docs/images]

Exit status: 0 when every screenshot was written and checked, 1 on a failed run or check,
2 when the demo world or Chromium is missing.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageStat
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.responses import DeploymentResponse
from prefect.exceptions import ObjectNotFound

from flows.server import DEPLOYMENT_NAMES, LOOPBACK, api_url

REPOSITORY = Path(__file__).resolve().parents[1]
DEMO = Path("runs/demo")  # relative to the repository, where the server runs
DEMO_INPUTS = (
    DEMO / "ingested/demo",
    DEMO / "ingested/demo_vg/scene_graphs",
    DEMO / "label/scene_graphs",
    DEMO / "text_encoder",
    DEMO / "tagger/checkpoints/checkpoint-000030.pt",
)
OUTPUTS = DEMO / "ui"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
STARTUP_TIMEOUT_SECONDS = 180.0
RUN_TIMEOUT_SECONDS = 600.0
PAGE_SETTLE_MILLISECONDS = 15000
WINDOW_WIDTH = 1400
MIN_PIXEL_STDDEV = 8.0

# The parameters of both runs, as typed into the UI's forms; relative paths resolve against the
# directory `rlipv2 server` was started in (here the repository).
LABEL_PARAMETERS = {
    "dataset_dir": str(DEMO / "ingested/demo"),
    "out_dir": str(OUTPUTS / "label"),
    "tagger_checkpoint": str(DEMO / "tagger/checkpoints/checkpoint-000030.pt"),
    "vocabulary": "demo",
    "images_per_shard": 16,
    "tagger_device": "cpu",
}
PRETRAIN_PARAMETERS = {
    "config_file": "configs/pretrain_demo.toml",
    "overrides": [  # output_dir is relative to the config file, like the config's own paths
        f'output_dir="../{OUTPUTS}/pretrain"', "optimization.epochs=1", "max_steps_per_epoch=2",
    ],
    "relation_threshold": 0.2,
}


@dataclass(frozen=True)
class Page:
    """One screenshot: the UI path (after ``/v2``), the window height and the texts the
    rendered page must contain."""

    file_name: str
    path: str
    height: int
    expected_texts: tuple[str, ...]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / "docs" / "images",
                        help="directory of the PNGs (docs/images)")
    arguments = parser.parse_args()

    missing = [path for path in DEMO_INPUTS if not (REPOSITORY / path).exists()]
    if missing:
        print(f"the demo world is incomplete ({missing[0]} is missing); create it with:\n"
              "    bash scripts/demo.sh", file=sys.stderr)
        return 2
    chromium = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if chromium is None:
        print("no Chromium found; install it with:\n"
              "    apt-get install -y --no-install-recommends chromium", file=sys.stderr)
        return 2

    shutil.rmtree(REPOSITORY / OUTPUTS, ignore_errors=True)
    arguments.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rlipv2-ui-") as work:
        port = free_loopback_port()
        log_file = Path(work) / "server.log"
        with rlipv2_server(port, Path(work) / "prefect", log_file) as server:
            try:
                pages = run_flows_and_list_pages(port, server)
            except RuntimeError as error:
                print(f"{error}\n--- server log (tail) ---\n"
                      f"{log_file.read_text(errors='replace')[-4000:]}", file=sys.stderr)
                return 1
            failures = [
                failure for page in pages
                if (failure := screenshot(chromium, port, page, arguments.out)) is not None
            ]
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@contextmanager
def rlipv2_server(port: int, prefect_home: Path, log_file: Path) -> Iterator[subprocess.Popen]:
    """``rlipv2 server --port PORT`` in its own process group, stopped (the whole group) on exit."""
    environment = os.environ | {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    environment.pop("PREFECT_API_URL", None)
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "server", "--port", str(port)],
            cwd=REPOSITORY, env=environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    print(f"rlipv2 server on http://{LOOPBACK}:{port} (pid {server.pid})")
    try:
        yield server
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run_flows_and_list_pages(port: int, server: subprocess.Popen) -> list[Page]:
    """Run label and pretrain from their deployments; the pages to screenshot afterwards.

    Raises:
        RuntimeError: the deployments did not appear, or a run did not complete.
    """
    with SyncPrefectClient(api_url(port)) as client:
        deployments = wait_for_deployments(client, server)
        started = time.monotonic()
        label_run = client.create_flow_run_from_deployment(
            deployments["label/label"].id, parameters={"parameters": LABEL_PARAMETERS}
        )
        pretrain_run = client.create_flow_run_from_deployment(
            deployments["pretrain/pretrain"].id, parameters={"parameters": PRETRAIN_PARAMETERS}
        )
        for flow_run in (wait_for_final_state(client, label_run),
                         wait_for_final_state(client, pretrain_run)):
            if not flow_run.state.is_completed():
                raise RuntimeError(f"flow run {flow_run.name} ended {flow_run.state!r}")
        print(f"label and pretrain runs completed in {time.monotonic() - started:.0f}s")
    artifact_ids = artifacts_of(port, label_run)
    run_form = urllib.parse.urlencode(
        {"parameters": json.dumps({"parameters": PRETRAIN_PARAMETERS})}
    )
    pretrain_id = deployments["pretrain/pretrain"].id
    return [
        Page("ui-deployments.png", "/deployments", 700,
             ("label", "pretrain", "train-tagger", "Ready")),
        Page("ui-pretrain-run-form.png", f"/deployments/deployment/{pretrain_id}/run?{run_form}",
             1100, ("Config File", "Overrides", "Relation Threshold", "Submit")),
        Page("ui-pretrain-run.png", f"/runs/flow-run/{pretrain_run.id}", 700,
             ("Completed", "epoch 1: loss")),
        Page("ui-label-run.png", f"/runs/flow-run/{label_run.id}", 1000,
             ("Completed", "Task Runs", "labelled")),
        Page("ui-label-artifacts.png", f"/runs/flow-run/{label_run.id}?tab=Artifacts", 1100,
             ("label-summary", "label-pictures", "label-tables", "label-top-predicates",
              "label-progress")),
        Page("ui-label-summary.png", f"/artifacts/artifact/{artifact_ids['label-summary']}",
             1400, ("Labelling run", "Top predicates")),
        Page("ui-label-pictures.png", f"/artifacts/artifact/{artifact_ids['label-pictures']}",
             1050, ("random images", "contact-sheet.png")),
    ]


def wait_for_deployments(
    client: SyncPrefectClient, server: subprocess.Popen
) -> dict[str, DeploymentResponse]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"rlipv2 server exited with code {server.returncode}")
        try:
            return {name: client.read_deployment_by_name(name) for name in DEPLOYMENT_NAMES}
        except (ObjectNotFound, httpx.TransportError):  # not registered / server not up yet
            time.sleep(0.5)
    raise RuntimeError(f"the deployments did not appear within {STARTUP_TIMEOUT_SECONDS:.0f}s")


def wait_for_final_state(client: SyncPrefectClient, flow_run: FlowRun) -> FlowRun:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        flow_run = client.read_flow_run(flow_run.id)
        if flow_run.state is not None and flow_run.state.is_final():
            return flow_run
        time.sleep(1)
    raise RuntimeError(f"flow run {flow_run.name} not finished in {RUN_TIMEOUT_SECONDS:.0f}s")


def artifacts_of(port: int, flow_run: FlowRun) -> dict[str, str]:
    """Artifact id by key of one flow run. (The client's ``read_artifacts`` sends explicit nulls,
    which the pinned FastAPI rejects with 422; the REST call is the same filter.)"""
    response = httpx.post(
        f"{api_url(port)}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [str(flow_run.id)]}}}, timeout=30,
    )
    response.raise_for_status()
    return {artifact["key"]: artifact["id"] for artifact in response.json()}


def screenshot(chromium: str, port: int, page: Page, out_dir: Path) -> str | None:
    """Write ``out_dir/page.file_name``; None when it shows the page, else what is wrong."""
    url = f"http://{LOOPBACK}:{port}/v2{page.path}"
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
              "--disable-background-networking", "--hide-scrollbars",
              f"--window-size={WINDOW_WIDTH},{page.height}",
              f"--virtual-time-budget={PAGE_SETTLE_MILLISECONDS}"]
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    missing = [text for text in page.expected_texts if text not in dom]
    if missing:
        return f"{page.file_name}: {url} does not show {missing}"
    target = out_dir / page.file_name
    subprocess.run([*common, f"--screenshot={target}", url], capture_output=True,
                   timeout=120, check=True)
    with Image.open(target) as image:
        stddev = ImageStat.Stat(image.convert("L")).stddev[0]
    if stddev < MIN_PIXEL_STDDEV:
        return f"{page.file_name}: nearly blank (pixel stddev {stddev:.1f})"
    print(f"{target}  ({page.path.split('?')[0]}, pixel stddev {stddev:.0f})")
    return None


if __name__ == "__main__":
    sys.exit(main())

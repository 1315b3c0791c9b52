"""Running ``rlipv2 label`` of the labelling world as a separate process, and killing it at a
chosen point, for the resume and fault-injection tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from labelling_world import REFERENCE_SAVE_THRESHOLD, VOCABULARY, LabellingWorld

RLIPV2 = Path(sys.executable).parent / "rlipv2"
POLL_SECONDS = 0.02
START_TIMEOUT_SECONDS = 240


def label_arguments(world: LabellingWorld, out_dir: Path, *, workers: int) -> list[str]:
    """One image per shard: twelve shards per stage, so a kill lands between tag shards."""
    return [
        "label", "--dataset", str(world.dataset_dir), "--out", str(out_dir),
        "--tagger-checkpoint", str(world.tagger_checkpoint), "--vocabulary", VOCABULARY,
        "--images-per-shard", "1", "--save-threshold", str(REFERENCE_SAVE_THRESHOLD),
        "--tagger-device", "cpu", "--max-workers", str(workers),
        "--gpu-concurrency", str(workers),
    ]


def subprocess_environment(prefect_home: Path) -> dict[str, str]:
    """This environment, with a temporary Prefect home, no server URL and no analytics (the
    command then starts its own temporary server), offline."""
    environment = dict(os.environ)
    environment.pop("PREFECT_API_URL", None)
    environment |= {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    return environment


def kill_when(command: list[str], out_dir: Path, stage: str, shards: int, log: Path,
              env: dict[str, str]) -> int:
    """Run ``command`` in its own process group and SIGKILL the group once ``stage`` has
    ``shards`` complete shards under ``out_dir / "work"`` (or let it finish first). Returns its
    exit status; its output is appended to ``log``."""
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                if len(list((out_dir / "work" / stage).glob("shard-*/manifest.json"))) >= shards:
                    os.killpg(process.pid, signal.SIGKILL)
                    break
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode

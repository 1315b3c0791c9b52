"""Prefect servers that end with the rlipv2 process that started them (:mod:`flows.server_process`)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from flows.server_process import (
    ProcessIdentity,
    ServerRecord,
    reap_stale_servers,
    registry_dir,
)
from labelling_world import LabellingWorld
from test_label_resume import RLIPV2, label_arguments, subprocess_environment

REPOSITORY = Path(__file__).resolve().parents[2]
GONE_TIMEOUT_SECONDS = 30.0
SERVER_START_TIMEOUT_SECONDS = 240.0

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_until_gone(identity: ProcessIdentity) -> bool:
    deadline = time.monotonic() + GONE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not identity.runs():
            return True
        time.sleep(0.1)
    return False


def test_a_server_dies_with_its_sigkilled_parent_and_is_recorded_until_then(
    tmp_path: Path,
) -> None:
    parent_script = textwrap.dedent("""
        import sys, time
        from flows.server_process import start_server_process
        server = start_server_process([sys.executable, "-c", "import time; time.sleep(600)"], {})
        print(server.pid, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_script], cwd=REPOSITORY,
                              env=os.environ | {"TMPDIR": str(tmp_path)},
                              stdout=subprocess.PIPE, text=True)
    server = ProcessIdentity.of(int(parent.stdout.readline()))
    try:
        assert server is not None and server.runs()
        record = tmp_path / f"rlipv2-servers-{os.getuid()}" / f"{server.pid}.json"
        assert json.loads(record.read_text())["parent"]["pid"] == parent.pid
        parent.kill()
        parent.wait()
        assert wait_until_gone(server)
    finally:
        parent.kill()
        if server is not None and server.runs():
            os.kill(server.pid, signal.SIGKILL)


def test_stale_servers_of_ended_parents_are_reaped_and_others_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    registry_dir().mkdir()
    me = ProcessIdentity.of(os.getpid())
    ended_parent = ProcessIdentity(os.getpid(), "not its start time")  # a reused pid
    sleepers = [subprocess.Popen(["sleep", "600"], start_new_session=True) for _ in range(2)]
    try:
        stale, kept = (ProcessIdentity.of(sleeper.pid) for sleeper in sleepers)
        for server, parent in ((stale, ended_parent), (kept, me)):
            record = ServerRecord(server, parent)
            (registry_dir() / f"{server.pid}.json").write_text(json.dumps(asdict(record)))
        (registry_dir() / "1.json").write_text("{not json")

        assert reap_stale_servers() == [stale.pid]
        assert sleepers[0].wait(timeout=GONE_TIMEOUT_SECONDS) == -signal.SIGKILL
        assert kept.runs()
        assert sorted(path.name for path in registry_dir().iterdir()) == [f"{kept.pid}.json"]
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()


@pytest.mark.slow
def test_sigkilling_label_ends_its_temporary_prefect_server(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    environment = subprocess_environment(tmp_path / "prefect") | {"TMPDIR": str(tmp_path)}
    command = [str(RLIPV2), *label_arguments(labelling_world, tmp_path / "out", workers=1)]
    with open(tmp_path / "label.log", "wb") as log:
        label = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    server = None
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while server is None and label.poll() is None and time.monotonic() < deadline:
            servers = [pid for pid in children(label.pid) if "uvicorn" in command_line(pid)]
            server = ProcessIdentity.of(servers[0]) if servers else None
            time.sleep(0.1)
        assert server is not None, (tmp_path / "label.log").read_text()[-3000:]
        label.kill()
        label.wait()
        assert wait_until_gone(server), command_line(server.pid)
    finally:
        label.kill()
        label.wait()
        if server is not None and server.runs():
            os.kill(server.pid, signal.SIGKILL)

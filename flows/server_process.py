"""Prefect server processes that end with the rlipv2 process that started them.

A server started as a plain child outlives a parent that is killed (SIGKILL, out of memory, a
closed terminal): it is re-parented to init and keeps its port and database open for good.
So each server rlipv2 starts (``rlipv2 server``'s, ``rlipv2 label``'s temporary one) is

- in a process group of its own, stopped as a group;
- given a parent-death signal on Linux (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the kernel
  kills it the moment its parent ends, however it ends;
- recorded in a per-user directory; every start first kills the recorded servers whose parent
  has ended (on systems without a parent-death signal, or should one have been missed).
"""

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessIdentity:
    """A process id and its start time (pids are reused; the pair is not)."""

    pid: int
    started: str

    @classmethod
    def of(cls, pid: int) -> "ProcessIdentity | None":
        started = _start_time(pid)
        return None if started is None else cls(pid, started)

    def runs(self) -> bool:
        return _start_time(self.pid) == self.started


@dataclass(frozen=True)
class ServerRecord:
    """A started server and the process it must not outlive."""

    server: ProcessIdentity
    parent: ProcessIdentity


def registry_dir() -> Path:
    """Where the running servers are recorded: one JSON file per server, per user."""
    return Path(tempfile.gettempdir()) / f"rlipv2-servers-{os.getuid()}"


def start_server_process(command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """Start ``command`` as a server that ends with this process (see the module docstring),
    after stopping the servers earlier rlipv2 processes left behind."""
    reap_stale_servers()
    server = subprocess.Popen(
        command, env=environment, start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )
    server_identity, parent = ProcessIdentity.of(server.pid), ProcessIdentity.of(os.getpid())
    if server_identity is not None and parent is not None:
        registry_dir().mkdir(mode=0o700, exist_ok=True)
        record = ServerRecord(server_identity, parent)
        (registry_dir() / f"{server.pid}.json").write_text(json.dumps(asdict(record)))
    return server


def stop_server_process(server: subprocess.Popen) -> None:
    """Stop ``server``'s process group: SIGTERM, then SIGKILL after a grace period."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        server.wait()
    (registry_dir() / f"{server.pid}.json").unlink(missing_ok=True)


def reap_stale_servers() -> list[int]:
    """Kill the process group of every recorded server whose parent has ended; returns their
    pids. Records of servers that already ended are removed."""
    reaped = []
    for path in sorted(registry_dir().glob("*.json")) if registry_dir().is_dir() else []:
        try:
            raw = json.loads(path.read_text())
            record = ServerRecord(ProcessIdentity(**raw["server"]), ProcessIdentity(**raw["parent"]))
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: nothing it names can be trusted
            continue
        if record.parent.runs():
            continue
        if record.server.runs():
            try:
                os.killpg(record.server.pid, signal.SIGKILL)
                reaped.append(record.server.pid)
            except ProcessLookupError:
                pass
        path.unlink(missing_ok=True)
    if reaped:
        logger.warning("stopped %d Prefect server(s) left by killed rlipv2 runs: pids %s",
                       len(reaped), reaped)
    return reaped


def wait_until_healthy(server: subprocess.Popen, api_url: str) -> None:
    """Return once ``api_url/health`` answers 200.

    Raises:
        RLIPv2InputError: the server exited, or did not answer in time (port in use?).
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RLIPv2InputError(
                f"the Prefect server for {api_url} exited with code {server.returncode}; "
                "is its port in use?"
            )
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    logger.info("Prefect server healthy at %s", api_url)
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RLIPv2InputError(
        f"the Prefect server did not answer at {api_url} within {STARTUP_TIMEOUT_SECONDS:.0f}s"
    )


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """What the child runs between fork and exec: ask for SIGKILL when the parent ends, and
    end at once if the parent already has (before the request took effect)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None

    def in_child() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:
            os._exit(1)

    return in_child


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (an opaque string), or None when it does not run."""
    if Path("/proc/self/stat").exists():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2 :].split()
        return None if fields[0] == "Z" else fields[19]  # state, ..., starttime (field 22)
    answer = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True,
                            text=True, check=False)
    return answer.stdout.strip() or None

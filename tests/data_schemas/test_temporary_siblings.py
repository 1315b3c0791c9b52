"""Temporary siblings of outputs: named after their owner, and removed by the next writer once
the process that owned them has died (a killed run), never while it lives."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from data_schemas import CANDIDATES, write_table_atomic
from data_schemas.stage_run_manifest import StageRunManifest
from data_schemas.staged_output import StagedDatasetOutput
from data_schemas.temporary_siblings import new_temporary_sibling, remove_abandoned_siblings
from pipeline.labelling.shard_store import ShardResult, ShardStore


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                             capture_output=True, text=True, check=True)
    return int(process.stdout)


def owned_sibling(path: Path, purpose: str, *, pid: int, host: str | None = None) -> Path:
    """A sibling of ``path`` as ``pid`` on ``host`` (this one by default) would have named it,
    holding a file, as a killed writer leaves it."""
    owner = f"{host or socket.gethostname()}-{pid}-0badc0de"
    sibling = path.with_name(f".{path.name}.{purpose}-{owner}")
    sibling.mkdir(parents=True)
    (sibling / "half-written.parquet").write_bytes(b"PAR1")
    return sibling


def test_a_new_sibling_is_hidden_beside_its_output_and_names_this_process(tmp_path: Path) -> None:
    output = tmp_path / "out"
    first, second = new_temporary_sibling(output, "staging"), new_temporary_sibling(output)
    assert first.parent == second.parent == tmp_path
    assert first.name.startswith(f".out.staging-{socket.gethostname()}-{os.getpid()}-")
    assert second.name.startswith(".out.tmp-")
    assert first != second and not first.exists()


def test_siblings_of_dead_processes_on_this_host_are_removed_and_no_others(
    tmp_path: Path, dead_pid: int
) -> None:
    output = tmp_path / "out"
    abandoned = [
        owned_sibling(output, purpose, pid=dead_pid) for purpose in ("tmp", "staging", "old")
    ]
    abandoned_file = output.with_name(f".out.tmp-{socket.gethostname()}-{dead_pid}-00c0ffee")
    abandoned_file.write_bytes(b"half")
    kept = [
        owned_sibling(output, "staging", pid=os.getpid()),  # this process
        owned_sibling(output, "tmp", pid=os.getppid()),  # another live process
        owned_sibling(output, "staging", pid=dead_pid, host="another-host"),  # shared file system
        owned_sibling(tmp_path / "out.v2", "staging", pid=dead_pid),  # another output's
        tmp_path / ".out.staging-in-an-older-format",
    ]
    kept[-1].mkdir()
    (tmp_path / "out").mkdir()

    assert sorted(remove_abandoned_siblings(output)) == sorted([*abandoned, abandoned_file])
    assert not any(path.exists() for path in [*abandoned, abandoned_file])
    assert all(path.exists() for path in kept)
    assert (tmp_path / "out").is_dir()


def test_the_next_run_removes_what_a_killed_one_left_beside_a_staged_output(
    tmp_path: Path, dead_pid: int
) -> None:
    out_dir = tmp_path / "tagged"
    leftover = owned_sibling(out_dir, "staging", pid=dead_pid)
    with StagedDatasetOutput(out_dir, rows_per_shard=10, overwrite=False) as output:
        output.commit(StageRunManifest(command="tag", dataset=tmp_path / "dataset"))
    assert not leftover.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tagged"]


def test_the_next_run_removes_a_killed_runs_shard_and_file_leftovers(
    tmp_path: Path, dead_pid: int
) -> None:
    store = ShardStore(tmp_path / "work")
    final = store.directory("match", 3, "k3")
    leftover_shard = owned_sibling(final, "tmp", pid=dead_pid)
    table_path = final / "candidates.parquet"
    leftover_file = owned_sibling(tmp_path / "table.parquet", "tmp", pid=dead_pid)
    table = CANDIDATES.schema.empty_table()

    store.compute("match", 3, "k3", {"candidates": CANDIDATES},
                  lambda: ShardResult(tables={"candidates": table}))
    write_table_atomic(table, tmp_path / "table.parquet", CANDIDATES)

    assert (final / "manifest.json").is_file() and table_path.is_file()
    assert not leftover_shard.exists() and not leftover_file.exists()

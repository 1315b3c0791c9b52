"""The label flow's task runners: threads, a local Dask cluster whose workers report to the
flow's Prefect API (on Prefect's temporary server they would otherwise each start their own,
recording their task runs there and knowing no GPU concurrency limit), or a given cluster."""

from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flows.task_runners import build_task_runner

API_URL = "http://127.0.0.1:8123/api/"


def test_threads_runner_has_the_given_workers() -> None:
    runner = build_task_runner("threads", 3, None, API_URL)
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == 3


def test_local_dask_workers_are_single_threaded_processes_on_the_flows_api() -> None:
    runner = build_task_runner("dask", 2, None, API_URL)
    assert isinstance(runner, DaskTaskRunner) and runner.address is None
    assert runner.cluster_kwargs == {
        "n_workers": 2, "threads_per_worker": 1, "processes": True,
        "env": {"PREFECT_API_URL": API_URL},
    }


def test_a_given_dask_cluster_is_used_as_it_is() -> None:
    runner = build_task_runner("dask", 2, "tcp://scheduler:8786", API_URL)
    assert isinstance(runner, DaskTaskRunner) and runner.address == "tcp://scheduler:8786"

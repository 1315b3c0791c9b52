"""The task runner of the labelling shards: threads by default, or a Dask cluster."""

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from data_schemas.errors import RLIPv2InputError
from flows.label_parameters import TaskRunnerKind


def build_task_runner(
    kind: TaskRunnerKind, max_workers: int, dask_address: str | None, api_url: str
) -> TaskRunner:
    """Threads (``max_workers``), or Dask: the cluster at ``dask_address``, else a local cluster of
    ``max_workers`` single-threaded worker processes that report to the Prefect API at
    ``api_url`` (the flow's: without it, a worker of a flow on Prefect's temporary server starts
    a temporary server of its own, which records its task runs and knows no GPU concurrency
    limit).

    Raises:
        RLIPv2InputError: Dask was asked for but the ``dask`` extra is not installed.
    """
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=max_workers)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise RLIPv2InputError(
            "task_runner 'dask' needs prefect-dask: pip install 'rlipv2[dask]'"
        ) from None
    if dask_address is not None:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": max_workers,
            "threads_per_worker": 1,
            "processes": True,
            "env": {"PREFECT_API_URL": api_url},
        }
    )

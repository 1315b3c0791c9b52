"""Prefect tasks of the labelling flow: one per stage x shard, thin wrappers of the pure
``pipeline.labelling`` jobs.

Each task's cache key is the job's own key (inputs' digests, settings, model checksum, code
version; never the run id), so Prefect reports a finished shard as Cached on a re-run; a shard
whose result Prefect has not recorded is still reused from the shard store. Results
are small :class:`~pipeline.labelling.ShardManifest` objects; the data stays in files.
Retries happen on I/O errors only; GPU stages on CUDA hold a slot of a global concurrency
limit.
"""

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch

from prefect import Task, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.exceptions import ObjectNotFound
from prefect.states import State

from data_schemas.errors import RLIPv2InputError
from flows import loaded_models
from flows.stage_logs import route_stage_logs
from pipeline.labelling import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    TAG_STAGE,
    SceneGraphJob,
    ShardManifest,
    run_caption_job,
    run_match_job,
    run_parse_job,
    run_scene_graph_job,
    run_split_job,
    run_tag_job,
)
from pipeline.labelling.label_plan import WORK_DIR_NAME, LabelPlan

RESULTS_DIR_NAME = "prefect-results"

GPU_CONCURRENCY_LIMIT = "rlipv2-gpu"
"""The global concurrency limit GPU stage shards take a slot of (set by the label flow)."""

IO_RETRIES = 2
IO_RETRY_DELAY_SECONDS = 5


def retry_on_io_error(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry a failed shard only when an I/O error (a flaky disk or network file system) failed
    it; bad input (a missing file, refused data) and bugs fail at once."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, OSError) and not isinstance(
        error, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
    ) and not isinstance(error, RLIPv2InputError)


def gpu_slot(device: str) -> AbstractContextManager:
    """A slot of the global GPU concurrency limit while a stage runs on CUDA (``device`` is
    "auto", "cpu", "cuda", "cuda:1", ...); on the CPU, nothing to hold.

    Slots are leased through the Prefect API: a hand-over between two tasks costs about 2 s,
    small next to a GPU shard of a thousand images.
    """
    on_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return concurrency(GPU_CONCURRENCY_LIMIT, occupy=1) if on_cuda else nullcontext()


def release_gpu_slots() -> None:
    """Mark every slot of the GPU limit free. Only for a run on Prefect's temporary server:
    there, a slot that is taken before the run starts was left by a killed run (the temporary
    server kept its lease in memory, which died with it), so nothing would ever release it and
    the run would wait for it forever. Runs sharing one ``PREFECT_HOME`` at the same time
    could then hold more slots than the limit."""
    with get_client(sync_client=True) as client:
        try:
            client.update_global_concurrency_limit(
                GPU_CONCURRENCY_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=0)
            )
        except ObjectNotFound:
            pass  # no run has made the limit yet


def use_one_torch_thread_off_the_main_thread() -> None:
    """In a worker thread, run torch's CPU operators on one intra-op thread: each thread that
    enters an OpenMP parallel region gets its own team of threads, and once the main thread has
    one (any torch operator run there, e.g. loading or training a model) a worker thread's team
    makes small operators several times slower (measured on 2 cores: a small linear + layer
    norm 3x slower with 2 intra-op threads than on the main thread, as fast as it before the
    main thread's team exists; 1.4x slower with 1 thread). Shards run in parallel through
    the task runner's workers instead. Scores may differ from a main-thread run in the last
    float32 bit."""
    if threading.current_thread() is not threading.main_thread():
        torch.set_num_threads(1)


def results_dir(plan: LabelPlan) -> Path:
    """Where the shard tasks' Prefect results are stored: ``OUT/work/prefect-results``, beside
    the shards they name, so deleting the work directory forgets both."""
    return plan.out_dir.resolve() / WORK_DIR_NAME / RESULTS_DIR_NAME


def _cache_key(stage: str, job_of: Callable[[dict[str, Any]], Any]):
    """A cache-key function: the stage, shard and job key (never the run id).

    A result whose shard output is no longer on disk (a stage's directory under ``OUT/work``
    deleted by hand) is forgotten here, before Prefect looks it up, so the shard is computed
    again rather than served from Prefect's cache.
    """

    def cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
        job = job_of(parameters)
        plan: LabelPlan = parameters["plan"]
        job_key = job.key()
        key = f"rlipv2-{stage}-{job.shard_index:05d}-{job_key}"
        if plan.store().load(stage, job.shard_index, job_key) is None:
            (results_dir(plan) / key).unlink(missing_ok=True)
        return key

    return cache_key


_TASK_OPTIONS = dict(
    retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_SECONDS,
    retry_condition_fn=retry_on_io_error,
    persist_result=True,
)


@task(name="split", **_TASK_OPTIONS)
def split_task(plan: LabelPlan) -> list[ShardManifest]:
    route_stage_logs()
    return run_split_job(plan.split_job(), plan.store())


@task(
    name="caption",
    task_run_name="caption-{split.shard_index:05d}",
    cache_key_fn=_cache_key(CAPTION_STAGE, lambda p: p["plan"].caption_job(p["split"])),
    **_TASK_OPTIONS,
)
def caption_task(plan: LabelPlan, split: ShardManifest) -> ShardManifest:
    route_stage_logs()
    job = plan.caption_job(split)
    if not job.needs_gpu():
        return run_caption_job(job, plan.store(), None)
    finished = plan.store().load(CAPTION_STAGE, job.shard_index, job.key())
    if finished is not None:  # reused without waiting for a GPU slot or loading BLIP
        return finished
    use_one_torch_thread_off_the_main_thread()
    with gpu_slot(plan.blip.device):
        return run_caption_job(job, plan.store(), loaded_models.blip_captioner(plan.blip))


@task(
    name="parse",
    task_run_name="parse-{captions.shard_index:05d}",
    cache_key_fn=_cache_key(PARSE_STAGE, lambda p: p["plan"].parse_job(p["captions"])),
    **_TASK_OPTIONS,
)
def parse_task(plan: LabelPlan, captions: ShardManifest) -> ShardManifest:
    route_stage_logs()
    parser = loaded_models.caption_parser(plan.parser)
    return run_parse_job(plan.parse_job(captions), plan.store(), parser)


@task(
    name="match",
    task_run_name="match-{split.shard_index:05d}",
    cache_key_fn=_cache_key(
        MATCH_STAGE, lambda p: p["plan"].match_job(p["split"], p["triplets"])
    ),
    **_TASK_OPTIONS,
)
def match_task(plan: LabelPlan, split: ShardManifest, triplets: ShardManifest) -> ShardManifest:
    route_stage_logs()
    matcher = loaded_models.phrase_matcher(plan.vocabulary, plan.synonyms_file)
    return run_match_job(plan.match_job(split, triplets), plan.store(), matcher)


@task(
    name="tag",
    task_run_name="tag-{split.shard_index:05d}",
    cache_key_fn=_cache_key(TAG_STAGE, lambda p: p["plan"].tag_job(p["split"], p["candidates"])),
    **_TASK_OPTIONS,
)
def tag_task(plan: LabelPlan, split: ShardManifest, candidates: ShardManifest) -> ShardManifest:
    route_stage_logs()
    job = plan.tag_job(split, candidates)
    finished = plan.store().load(TAG_STAGE, job.shard_index, job.key())
    if finished is not None:  # reused without waiting for a GPU slot or loading the tagger
        return finished
    use_one_torch_thread_off_the_main_thread()
    with gpu_slot(plan.tagger_device):
        scorer = loaded_models.tagger_scorer(
            plan.tagger_checkpoint, plan.tagger_checksum, plan.tagger_device
        )
        return run_tag_job(job, plan.store(), scorer)


@task(
    name="scene-graphs",
    task_run_name="scene-graphs-{job.split.shard_index:05d}",
    cache_key_fn=_cache_key(SCENE_GRAPH_STAGE, lambda p: p["job"]),
    **_TASK_OPTIONS,
)
def scene_graph_task(plan: LabelPlan, job: SceneGraphJob) -> ShardManifest:
    route_stage_logs()
    return run_scene_graph_job(job, plan.store())


SHARD_TASKS = (split_task, caption_task, parse_task, match_task, tag_task, scene_graph_task)
"""Every shard task of the ``label`` flow, in stage order."""

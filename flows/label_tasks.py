"""Prefect tasks of the labelling flow: one per stage x shard group (consecutive shards, see
:mod:`pipeline.labelling.shard_groups`), thin wrappers of the pure ``pipeline.labelling`` jobs,
run shard by shard.

Whether a shard is done is the shard store's to say, and only its: a task runs its job, which
reuses the shard's output when the store holds it (its key digests the inputs, the settings
that decide the stage, the model checksum and the code version; never the run id) and computes
it otherwise. Prefect caches nothing (no cache policy, no stored results); it shows a reused
group's task as Cached when every shard of it was reused. A GPU stage takes a GPU slot and
loads its model only for a shard to
compute. Results are small :class:`~pipeline.labelling.ShardManifest` objects; the data stays
in files. Retries happen on I/O errors only; GPU stages on CUDA hold a slot of a global
concurrency limit.
"""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.states import Completed, State

from data_schemas.errors import RLIPv2InputError
from flows import loaded_models
from flows.stage_logs import route_stage_logs
from pipeline.labelling import (
    LabelPlan,
    SceneGraphJob,
    ShardManifest,
    run_caption_job,
    run_match_job,
    run_parse_job,
    run_scene_graph_job,
    run_split_job,
)
from pipeline.labelling.caption_stage import caption_shard
from pipeline.labelling.shard_store import ShardResult
from pipeline.labelling.tag_stage import tag_shard

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


_TASK_OPTIONS = dict(
    retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_SECONDS,
    retry_condition_fn=retry_on_io_error,
    cache_policy=NO_CACHE,  # the shard store decides what is done (see the module docstring)
    persist_result=False,
)


def shown(manifests: list[ShardManifest]) -> State:
    """The task's final state: Cached when the store already held every shard of its group,
    else Completed."""
    reused = all(manifest.reused for manifest in manifests)
    return Completed(name="Cached" if reused else "Completed", data=manifests)


@contextmanager
def on_gpu(device: str) -> Iterator[None]:
    """Around a GPU stage's work: one torch thread off the main thread, and a slot of the GPU
    limit while ``device`` is CUDA (taken only for work to do, never for a reused shard)."""
    use_one_torch_thread_off_the_main_thread()
    with gpu_slot(device):
        yield


@task(name="split", **_TASK_OPTIONS)
def split_task(plan: LabelPlan) -> list[ShardManifest]:
    route_stage_logs()
    return run_split_job(plan.split_job(), plan.store())


@task(name="caption", task_run_name="caption-{splits[0].shard_index:05d}", **_TASK_OPTIONS)
def caption_task(plan: LabelPlan, splits: list[ShardManifest]) -> State:
    route_stage_logs()
    return shown([_caption(plan, split) for split in splits])


def _caption(plan: LabelPlan, split: ShardManifest) -> ShardManifest:
    job = plan.caption_job(split)
    if not job.needs_gpu():
        return run_caption_job(job, plan.store(), None)
    blip = plan.settings.blip

    def caption() -> ShardResult:
        with on_gpu(blip.device):
            return caption_shard(job, loaded_models.blip_captioner(blip.captioner_config()))

    return job.run(plan.store(), caption)


@task(name="parse", task_run_name="parse-{captions[0].shard_index:05d}", **_TASK_OPTIONS)
def parse_task(plan: LabelPlan, captions: list[ShardManifest]) -> State:
    route_stage_logs()
    parser = loaded_models.caption_parser(plan.parser)
    return shown(
        [run_parse_job(plan.parse_job(shard), plan.store(), parser) for shard in captions]
    )


@task(name="match", task_run_name="match-{splits[0].shard_index:05d}", **_TASK_OPTIONS)
def match_task(
    plan: LabelPlan, splits: list[ShardManifest], triplets: list[ShardManifest]
) -> State:
    route_stage_logs()
    matcher = loaded_models.phrase_matcher(plan.settings.vocabulary, plan.settings.synonyms_file)
    return shown([
        run_match_job(plan.match_job(split, shard), plan.store(), matcher)
        for split, shard in zip(splits, triplets, strict=True)
    ])


@task(name="tag", task_run_name="tag-{splits[0].shard_index:05d}", **_TASK_OPTIONS)
def tag_task(
    plan: LabelPlan, splits: list[ShardManifest], candidates: list[ShardManifest]
) -> State:
    route_stage_logs()
    return shown(
        [_tag(plan, split, shard) for split, shard in zip(splits, candidates, strict=True)]
    )


def _tag(plan: LabelPlan, split: ShardManifest, candidates: ShardManifest) -> ShardManifest:
    job = plan.tag_job(split, candidates)
    device = plan.settings.tagger_device

    def tag() -> ShardResult:
        with on_gpu(device):
            scorer = loaded_models.tagger_scorer(plan.tagger_checkpoint, job.tagger_checksum, device)
            return tag_shard(job, scorer)

    return job.run(plan.store(), tag)


@task(
    name="scene-graphs", task_run_name="scene-graphs-{jobs[0].split.shard_index:05d}",
    **_TASK_OPTIONS,
)
def scene_graph_task(plan: LabelPlan, jobs: list[SceneGraphJob]) -> State:
    route_stage_logs()
    return shown([run_scene_graph_job(job, plan.store()) for job in jobs])


SHARD_TASKS = (split_task, caption_task, parse_task, match_task, tag_task, scene_graph_task)
"""Every shard task of the ``label`` flow, in stage order."""

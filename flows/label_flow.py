"""The ``label`` flow: ingest (optional) -> split -> caption -> parse -> match -> tag -> scene
graphs -> published tables, with a run report, and optionally a follow-up pretraining run.

``label`` resolves the parameters into a :class:`~pipeline.labelling.label_plan.LabelPlan`
(model checksums, code version) and submits the stage x shard-group tasks
(:mod:`~pipeline.labelling.shard_groups`) to the chosen task runner (threads, or Dask), all in
its own flow run.
"""

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import TaskRunner

from data_schemas.manifest_file import read_dataset_manifest
from flows.label_inputs import check_label_inputs
from flows.label_parameters import CocoSource, LabelParameters
from flows.label_tasks import GPU_CONCURRENCY_LIMIT, SHARD_TASKS
from flows.run_progress import RunProgress
from flows.run_report import publish_run_report
from flows.stage_logs import route_stage_logs
from flows.task_runners import build_task_runner
from flows.training_flows import start_pretraining
from pipeline.ingest import ingest_coco_dataset
from pipeline.labelling.shard_groups import MAX_GROUPS_PER_STAGE, shard_groups
from pipeline.labelling import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
    LabelPlan,
    LabelRunSummary,
    ShardManifest,
    code_version,
    file_digest,
    json_digest,
    resolve_label_plan,
)


@flow(name="label", description="Label a detection dataset with relations (scene graphs).")
def label(parameters: LabelParameters) -> dict:
    """Label ``parameters.dataset_dir`` into ``parameters.out_dir``; returns the run summary."""
    route_stage_logs()
    logger = get_run_logger()
    check_label_inputs(parameters)
    if parameters.ingest is not None:
        ingest_task(parameters.ingest, parameters.dataset_dir, parameters.ingest_rows_per_shard)
    plan = resolve_plan(parameters)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(
            GPU_CONCURRENCY_LIMIT, parameters.gpu_concurrency
        )
        api_url = str(client.api_url)
    with build_task_runner(
        parameters.task_runner, parameters.max_workers, parameters.dask_address, api_url
    ) as runner:
        summary = _label_shards(plan, runner)
    logger.info("labelled %s:\n%s", plan.out_dir, summary.format())
    publish_run_report(plan, summary)
    if parameters.then_pretrain is not None:
        start_pretraining(parameters.then_pretrain)
    return summary.as_dict()


def _label_shards(plan: LabelPlan, runner: TaskRunner) -> LabelRunSummary:
    """Run every stage on every shard group, on ``runner`` (reusing finished shards), and publish
    the tables. The tasks are submitted to ``runner`` directly rather than through a subflow
    with that runner: a flow run costs about a second of its own (Prefect joins its
    heartbeat thread, which sleeps in 1 s steps)."""
    split_task, caption_task, parse_task, match_task, tag_task, scene_graph_task = SHARD_TASKS
    splits = split_task(plan)
    groups = [splits[group.start : group.stop] for group in shard_groups(len(splits), MAX_GROUPS_PER_STAGE)]
    progress = RunProgress(stages=5, shards=len(splits))
    progress.done(SPLIT_STAGE, len(splits), reused=sum(s.reused for s in splits))
    futures: dict[str, list[PrefectFuture]] = {
        CAPTION_STAGE: [
            runner.submit(caption_task, {"plan": plan, "splits": group}) for group in groups
        ]
    }
    futures[PARSE_STAGE] = [
        runner.submit(parse_task, {"plan": plan, "captions": captions})
        for captions in futures[CAPTION_STAGE]
    ]
    futures[MATCH_STAGE] = [
        runner.submit(match_task, {"plan": plan, "splits": group, "triplets": triplets})
        for group, triplets in zip(groups, futures[PARSE_STAGE], strict=True)
    ]
    futures[TAG_STAGE] = [
        runner.submit(tag_task, {"plan": plan, "splits": group, "candidates": candidates})
        for group, candidates in zip(groups, futures[MATCH_STAGE], strict=True)
    ]
    stages = {SPLIT_STAGE: splits} | _wait(futures, progress)
    graph_jobs = plan.scene_graph_jobs(splits, stages[TAG_STAGE])
    graph_futures = [
        runner.submit(
            scene_graph_task, {"plan": plan, "jobs": graph_jobs[group.start : group.stop]}
        )
        for group in shard_groups(len(graph_jobs), MAX_GROUPS_PER_STAGE)
    ]
    stages |= _wait({SCENE_GRAPH_STAGE: graph_futures}, progress)
    return plan.publish(stages)


def _wait(
    futures: dict[str, list[PrefectFuture]], progress: RunProgress
) -> dict[str, list[ShardManifest]]:
    """The manifests of ``futures`` (per stage, each future a shard group's, in shard order),
    reporting progress as groups finish. Raises the first failure."""
    stage_of = {future: stage for stage, stage_futures in futures.items() for future in stage_futures}
    manifests: dict[PrefectFuture, list[ShardManifest]] = {}
    for future in as_completed(list(stage_of)):
        manifests[future] = future.result()
        progress.done(stage_of[future], len(manifests[future]),
                      reused=sum(manifest.reused for manifest in manifests[future]))
    return {
        stage: [manifest for future in stage_futures for manifest in manifests[future]]
        for stage, stage_futures in futures.items()
    }


@task(name="ingest", persist_result=False)
def ingest_task(source: CocoSource, dataset_dir: Path, rows_per_shard: int) -> None:
    """Ingest ``source`` into ``dataset_dir`` unless it already holds this exact ingest."""
    key = json_digest(
        {
            "instances": file_digest(source.instances),
            "captions": None if source.captions is None else file_digest(source.captions),
            "source": source.model_dump(mode="json", exclude={"instances", "captions"}),
            "rows_per_shard": rows_per_shard,
            "code": code_version(),
        }
    )
    stamp = dataset_dir / f".ingest-{key}"
    if stamp.is_file():
        missing_files = read_dataset_manifest(dataset_dir).missing_image_files()
        if not missing_files:
            get_run_logger().info("%s already holds this ingest (%s); reusing it", dataset_dir, key)
            return
        get_run_logger().info(
            "ingesting again: %d image files were missing at the last ingest and may be there "
            "now", missing_files,
        )
    summary = ingest_coco_dataset(
        source.instances,
        out_dir=dataset_dir,
        dataset=source.dataset,
        split=source.split,
        image_root=source.image_root,
        captions_json=source.captions,
        rows_per_shard=rows_per_shard,
        overwrite=True,
    )
    stamp.touch()
    get_run_logger().info("%s", summary.format())


@task(name="resolve-plan", persist_result=False)
def resolve_plan(parameters: LabelParameters) -> LabelPlan:
    """The plan of a run: its settings, its inputs as absolute paths, and the checksums of the
    models and files they name (its inputs were checked by
    :func:`~flows.label_inputs.check_label_inputs`)."""
    return resolve_label_plan(
        parameters.settings(),
        dataset_dir=parameters.dataset_dir,
        out_dir=parameters.out_dir,
        image_root=parameters.image_root,
        tagger_checkpoint=parameters.tagger_checkpoint,
    )

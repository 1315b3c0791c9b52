"""The Prefect flows on the labelling world, against one temporary Prefect server
(``prefect_harness``): the label flow's tables, summary and artifacts, its reuse of finished
shards, the Dask task runner, the training flows, and bad parameters."""

import json
import logging
import math
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
)
from prefect.client.schemas.objects import TaskRun
from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort

import data_schemas as ds
import flows.label_flow as label_flow_module
from flows.label_flow import label
from flows.label_parameters import LabelParameters
from flows.training_flows import pretrain, train_tagger
from flows.training_parameters import PretrainParameters, TrainTaggerParameters
from labelling_world import (
    NUM_IMAGES,
    PUBLISHED_TABLES,
    REFERENCE_SAVE_THRESHOLD,
    TABLE_KEYS,
    assert_same_rows,
    VOCABULARY,
    LabellingWorld,
    complete_shard_dirs,
    duplicate_keys,
    published_rows,
)
from model.checkpoint import read_checkpoint
from prefect_artifacts import artifacts_of_run

pytestmark = pytest.mark.usefixtures("prefect_harness")

IMAGES_PER_SHARD = 5
NUM_SHARDS = math.ceil(NUM_IMAGES / IMAGES_PER_SHARD)
STAGES = ("split", "caption", "parse", "match", "tag", "scene_graphs")
SPECS = {spec.name: spec for spec in ds.ALL_TABLES}


def label_parameters(world: LabellingWorld, out_dir: Path, **changes) -> LabelParameters:
    """The flow parameters of the world's reference run, in shards of 5 images, with a thread
    and a GPU slot per shard (taking a slot costs a task about 2 s in Prefect 3.8)."""
    parameters = dict(
        dataset_dir=world.dataset_dir, out_dir=out_dir, tagger_checkpoint=world.tagger_checkpoint,
        vocabulary=VOCABULARY, images_per_shard=IMAGES_PER_SHARD,
        save_threshold=REFERENCE_SAVE_THRESHOLD, tagger_device="cpu", max_workers=NUM_SHARDS,
        gpu_concurrency=NUM_SHARDS,
    )
    return LabelParameters(**(parameters | changes))


@dataclass(frozen=True)
class LabelRun:
    """One run of the label flow, and what it published (read right after the run)."""

    parameters: LabelParameters
    flow_run_id: UUID
    summary: dict
    rows: dict[str, list[dict]]
    shard_dirs: dict[str, set[str]]


def run_label(parameters: LabelParameters) -> LabelRun:
    state = label(parameters, return_state=True)
    summary = state.result()
    return LabelRun(
        parameters=parameters,
        flow_run_id=state.state_details.flow_run_id,
        summary=summary,
        rows=published_rows(parameters.out_dir),
        shard_dirs=complete_shard_dirs(parameters.out_dir),
    )


@pytest.fixture(scope="module")
def first_run(labelling_world: LabellingWorld, prefect_harness, tmp_path_factory) -> LabelRun:
    """The label flow's first run on the world (threads); other tests re-run into its output
    directory."""
    out_dir = tmp_path_factory.mktemp("label-flow") / "out"
    return run_label(label_parameters(labelling_world, out_dir))


def task_runs_of(flow_run_id: UUID) -> list[TaskRun]:
    """The flow run's task runs on the session's server."""
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
            limit=200,
        )


def shard_task_states(flow_run_id: UUID) -> Counter[str]:
    """How many of the flow run's stage x shard tasks ended in each state (by name)."""
    shard_tasks = ("caption-", "parse-", "match-", "tag-", "scene-graphs-")
    return Counter(
        run.state_name for run in task_runs_of(flow_run_id) if run.name.startswith(shard_tasks)
    )


def progress_lines(records: list[logging.LogRecord]) -> dict[str, str]:
    """``stage -> its last progress log line`` among ``records``, without the run's percent
    (``"parse: 3/3 shards (3 reused)"``)."""
    lines = {}
    for record in records:
        message = record.getMessage()
        stage, separator, rest = message.partition(": ")
        if separator and stage in STAGES and " shards" in rest:
            lines[stage] = message.partition(";")[0]
    return lines


# --- (1) tables, summary, artifacts ---------------------------------------------------------


def test_label_flow_writes_valid_tables_and_a_summary_that_counts_them(
    first_run: LabelRun, labelling_world: LabellingWorld
) -> None:
    out_dir = first_run.parameters.out_dir
    for table in PUBLISHED_TABLES:
        ds.read_table(out_dir / table, SPECS[table])  # schema name and version checked
    rows = first_run.rows
    assert_same_rows(rows, labelling_world.reference_rows())
    assert {table: duplicate_keys(table, rows[table]) for table in TABLE_KEYS} == {
        table: [] for table in TABLE_KEYS
    }

    scores = [row["score"] for row in rows["tagged_relations"]]
    rejected_images = {row["image_id"] for row in rows["rejects"] if row["stage"] == "tag"}
    expected = {
        "shards": NUM_SHARDS,
        "images": len(rows["scene_graphs"]) + len(rejected_images),
        "captions": len(rows["captions"]),
        "triplets": len(rows["triplets"]),
        "candidates": len(rows["candidates"]),
        "relations_kept": len(scores),
        "save_threshold": REFERENCE_SAVE_THRESHOLD,
        "relations_at_threshold": {
            f"{threshold:g}": sum(score >= threshold for score in scores)
            for threshold in (0.2, 0.3, 0.4, 0.5)
        },
        "rejects_by_reason": dict(Counter(row["reason"] for row in rows["rejects"])),
        "stage_shards": len(STAGES) * NUM_SHARDS,
        "reused_shards": 0,
    }
    summary = first_run.summary
    assert {name: summary[name] for name in expected} == expected
    assert expected["images"] == NUM_IMAGES and expected["relations_kept"] > 0

    predicates = Counter(row["relation"] for row in rows["tagged_relations"])
    top = summary["top_predicates"]
    assert len(top) == min(10, len(predicates))
    assert all(predicates[predicate] == count for predicate, count in top.items())
    assert sorted(top.values(), reverse=True) == sorted(predicates.values(), reverse=True)[:10]

    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["summary"] == summary
    assert {manifest["tagger_id"]} == {row["tagger_id"] for row in rows["tagged_relations"]}
    assert manifest["table_shards"] == {
        table: NUM_SHARDS * (2 if table == "rejects" else 1) for table in PUBLISHED_TABLES
    }


def test_label_flow_reports_summary_predicates_and_progress_as_artifacts(
    first_run: LabelRun,
) -> None:
    keys = ["label-summary", "label-top-predicates", "label-progress"]
    artifacts = artifacts_of_run(first_run.flow_run_id, keys)
    assert {key: len(found) for key, found in artifacts.items()} == {key: 1 for key in keys}
    summary = first_run.summary

    [markdown] = artifacts["label-summary"]
    assert markdown.type == "markdown"
    for what, count in [("images", summary["images"]), ("captions", summary["captions"]),
                        ("triplets", summary["triplets"]), ("candidates", summary["candidates"]),
                        (f"relations kept (score >= {REFERENCE_SAVE_THRESHOLD:g})",
                         summary["relations_kept"])]:
        assert f"| {what} | {count:,} |" in markdown.data
    assert f"| stage shards reused | 0 of {len(STAGES) * NUM_SHARDS} |" in markdown.data

    [predicates] = artifacts["label-top-predicates"]
    assert predicates.type == "table"
    table = json.loads(predicates.data) if isinstance(predicates.data, str) else predicates.data
    assert table == [
        {"predicate": predicate, "relations": count}
        for predicate, count in summary["top_predicates"].items()
    ]

    [progress] = artifacts["label-progress"]
    assert progress.type == "progress"
    assert progress.data == pytest.approx(100.0)


def test_label_flow_pictures_say_how_their_images_were_chosen(first_run: LabelRun) -> None:
    """The world's pseudo-labels all score below the 0.2 cut: random images, and it says so."""
    [pictures] = artifacts_of_run(first_run.flow_run_id, ["label-pictures"])["label-pictures"]
    assert "data:image/jpeg;base64," in pictures.data
    assert "random images (seed 0): no image keeps a relation at confidence >= 0.2" in (
        pictures.data
    )
    assert (first_run.parameters.out_dir / "report" / "contact-sheet.png").is_file()


def test_label_flow_runs_one_task_per_stage_and_shard_in_its_own_flow_run(
    first_run: LabelRun,
) -> None:
    with get_client(sync_client=True) as client:
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[first_run.flow_run_id])
            ),
            sort=FlowRunSort.START_TIME_ASC,
            limit=10,
        )
    task_runs = task_runs_of(first_run.flow_run_id)
    assert subflows == []
    shard_tasks = ("caption", "parse", "match", "tag", "scene-graphs")
    by_task = Counter(
        next(name for name in ("resolve-plan", "split", *shard_tasks) if run.name.startswith(name))
        for run in task_runs
    )
    assert by_task == {"resolve-plan": 1, "split": 1} | {name: NUM_SHARDS for name in shard_tasks}


# --- (2), (3) reuse -------------------------------------------------------------------------


def test_a_second_run_with_the_same_parameters_reuses_every_shard(
    first_run: LabelRun, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="prefect.flow_runs")
    before = complete_shard_dirs(first_run.parameters.out_dir)
    again = run_label(first_run.parameters)
    assert again.summary["reused_shards"] == again.summary["stage_shards"] == 6 * NUM_SHARDS
    assert again.summary | {"reused_shards": 0} == first_run.summary
    assert again.shard_dirs == before
    assert again.rows == first_run.rows

    # The progress log tells the reuse too: its last line of each stage counts every shard.
    assert progress_lines(caplog.records) == {
        stage: f"{stage}: {NUM_SHARDS}/{NUM_SHARDS} shards ({NUM_SHARDS} reused)"
        for stage in STAGES
    }
    # And the UI: Prefect shows the shard tasks whose shards the store reused as Cached.
    assert shard_task_states(again.flow_run_id) == {"Cached": 5 * NUM_SHARDS}
    assert shard_task_states(first_run.flow_run_id) == {"Completed": 5 * NUM_SHARDS}


def test_a_new_save_threshold_recomputes_only_the_tag_and_scene_graph_shards(
    first_run: LabelRun,
) -> None:
    before = complete_shard_dirs(first_run.parameters.out_dir)
    changed = run_label(first_run.parameters.model_copy(update={"save_threshold": 0.02}))
    new_shards = {stage: len(changed.shard_dirs[stage] - before[stage]) for stage in STAGES}
    assert new_shards == {"split": 0, "caption": 0, "parse": 0, "match": 0,
                          "tag": NUM_SHARDS, "scene_graphs": NUM_SHARDS}
    assert changed.summary["reused_shards"] == 4 * NUM_SHARDS
    assert changed.rows["tagged_relations"] == [
        row for row in first_run.rows["tagged_relations"] if row["score"] >= 0.02
    ]
    assert 0 < changed.summary["relations_kept"] < first_run.summary["relations_kept"]
    for table in ("captions", "triplets", "candidates"):
        assert changed.rows[table] == first_run.rows[table]


def test_a_stage_whose_shards_were_deleted_is_computed_again(first_run: LabelRun) -> None:
    """The shard store alone says what is done: the deleted tag shards are computed again,
    and give the same rows."""
    shutil.rmtree(first_run.parameters.out_dir / "work" / "tag")
    again = run_label(first_run.parameters)
    assert len(again.shard_dirs["tag"]) == NUM_SHARDS
    assert again.summary["reused_shards"] == 5 * NUM_SHARDS  # all but tag
    assert again.rows == first_run.rows


def test_shards_grouped_into_fewer_tasks_give_the_same_tables(
    first_run: LabelRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_GROUPS_PER_STAGE`` shards, a task runs a group of consecutive shards (here 2
    tasks a stage for 3 shards); the deleted tag shards are computed in them."""
    monkeypatch.setattr(label_flow_module, "MAX_GROUPS_PER_STAGE", 2)
    shutil.rmtree(first_run.parameters.out_dir / "work" / "tag")
    grouped = run_label(first_run.parameters)
    assert len(grouped.shard_dirs["tag"]) == NUM_SHARDS
    assert grouped.rows == first_run.rows
    shard_tasks = ("caption", "parse", "match", "tag", "scene-graphs")
    by_task = Counter(
        next(name for name in ("resolve-plan", "split", *shard_tasks) if run.name.startswith(name))
        for run in task_runs_of(grouped.flow_run_id)
    )
    assert by_task == {"resolve-plan": 1, "split": 1} | {name: 2 for name in shard_tasks}
    assert shard_task_states(grouped.flow_run_id) == {"Cached": 8, "Completed": 2}  # tag


# --- (4) Dask -------------------------------------------------------------------------------


def test_dask_with_two_workers_publishes_the_tables_of_the_thread_runner(
    first_run: LabelRun, tmp_path: Path
) -> None:
    dask = run_label(first_run.parameters.model_copy(
        update={"out_dir": tmp_path / "out", "task_runner": "dask", "max_workers": 2}
    ))
    assert dask.summary == first_run.summary
    assert_same_rows(dask.rows, first_run.rows)
    # The workers report to the flow's server (not temporary servers of their own).
    names = {task_run.name for task_run in task_runs_of(dask.flow_run_id)}
    assert {f"tag-{shard:05d}" for shard in range(NUM_SHARDS)} <= names


# --- (5) training flows ---------------------------------------------------------------------


def test_train_tagger_flow_returns_its_result(labelling_world: LabellingWorld, tmp_path) -> None:
    parameters = TrainTaggerParameters(
        config_file=labelling_world.tagger_config,
        overrides=[*labelling_world.tagger_overrides, f'output_dir="{tmp_path / "tagger"}"'],
    )
    result = train_tagger(parameters)
    assert result["epoch"] == 1
    assert Path(result["checkpoint_dir"]) == tmp_path / "tagger" / "checkpoints"
    assert (tmp_path / "tagger" / "checkpoints" / "checkpoint-000001.pt").is_file()
    assert len(result["losses"]) == 1 and math.isfinite(result["losses"][0])


def test_pretrain_flow_returns_its_result_and_takes_the_relation_threshold(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    scores = [row["score"] for row in labelling_world.reference_rows()["tagged_relations"]]
    assert max(scores) < 0.2, "the world's pseudo-labels must all be below the config's cut"
    parameters = PretrainParameters(
        config_file=labelling_world.pretrain_config,
        overrides=[*labelling_world.pretrain_overrides, f'output_dir="{tmp_path / "pretrain"}"'],
    )
    with pytest.raises(ds.RLIPv2InputError, match=r"keeps a relation at confidence >= 0\.2"):
        pretrain(parameters)

    result = pretrain(parameters.model_copy(update={"relation_threshold": 0.01}))
    assert result["epoch"] == 1 and len(result["losses"]) == 1
    assert math.isfinite(result["losses"][0])
    checkpoint = read_checkpoint(Path(result["checkpoint_dir"]) / "checkpoint-000001.pt")
    assert checkpoint["config"]["data"]["relation_threshold"] == 0.01
    assert checkpoint["config"]["output_dir"] == str(tmp_path / "pretrain")


@pytest.mark.parametrize("flow_name", ["train-tagger", "pretrain"])
def test_training_flows_run_whole_epochs_with_data_loader_worker_processes(
    labelling_world: LabellingWorld, tmp_path: Path, flow_name: str
) -> None:
    """Two worker processes, and an epoch that ends by running out of data (which is when the
    workers exit), as real configs do."""
    changes = [f'output_dir="{tmp_path / flow_name}"', "num_workers=2", "max_steps_per_epoch=100"]
    if flow_name == "train-tagger":
        result = train_tagger(TrainTaggerParameters(
            config_file=labelling_world.tagger_config,
            overrides=[*labelling_world.tagger_overrides, *changes],
        ))
    else:
        result = pretrain(PretrainParameters(
            config_file=labelling_world.pretrain_config,
            overrides=[*labelling_world.pretrain_overrides, *changes],
            relation_threshold=0.0,
        ))
    assert result["epoch"] == 1
    assert len(result["losses"]) == 1 and math.isfinite(result["losses"][0])


# --- (6) bad parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tagger_checkpoint": "missing.pt"}, r"checkpoint \S*missing\.pt does not exist"),
        ({"dataset_dir": "world/images"}, r"world/images is not an ingested dataset"),
    ],
    ids=["missing-tagger-checkpoint", "dataset-not-ingested"],
)
def test_a_bad_parameter_fails_the_flow_with_a_clear_input_error(
    labelling_world: LabellingWorld, tmp_path: Path, change: dict, message: str
) -> None:
    change = {name: labelling_world.root / value for name, value in change.items()}
    parameters = label_parameters(labelling_world, tmp_path / "out", **change)
    state = label(parameters, return_state=True)
    assert state.is_failed()
    with pytest.raises(ds.RLIPv2InputError, match=message):
        state.result()
    assert not (tmp_path / "out").exists()

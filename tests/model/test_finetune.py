"""``rlipv2 finetune``: fixed label texts, zero-shot and few-shot training sets, resume, init
from a checkpoint with its model, then ``--then-evaluate`` / ``rlipv2 evaluate --checkpoint``."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch

from data_schemas import RLIPv2InputError
from evaluation.benchmark_tables import BenchmarkDirectory
from flows.cli import main
from flows.downstream_flows import finetune
from flows.evaluation_report import CHART_FILE, CLASS_AP_ARTIFACT_KEY
from flows.finetune_parameters import FinetuneParameters
from hoi_benchmark_files import VERBS, person_rides_horse, write_hoi_layout
from model.checkpoint import latest_checkpoint
from model.config_file import load_config_file
from model.data.finetune_data import FinetuneDataConfig, read_finetune_annotations
from model.finetune import run_finetuning
from model.finetune_config import FinetuneConfig
from prefect_artifacts import artifacts_of_run
from tiny_pretrain_config import TINY_MODEL
from tiny_roberta import save_tiny_roberta


@pytest.fixture(scope="module")
def text_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_roberta(tmp_path_factory.mktemp("roberta"))


@pytest.fixture(scope="module")
def benchmark_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("benchmark")
    train = [person_rides_horse(f"HICO_train2015_{index:08d}.jpg") for index in range(1, 5)]
    train[3]["hoi_annotation"] = train[3]["hoi_annotation"][1:2]  # only "hold horse"
    root = write_hoi_layout(directory / "hico", train=train)
    assert main(["ingest", "hico-det", str(root), "--out", str(directory / "out"),
                 "--vocabulary", str(root / "annotations" / "vocabulary.json")]) == 0
    return directory / "out"


def write_config(path: Path, *, benchmark: Path, text_encoder: Path | None, init_from: Path | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""
output_dir = "run"
batch_size = 2
num_workers = 0
max_steps_per_epoch = 2
{"" if init_from is None else f'init_from = "{init_from}"'}
{"" if text_encoder is None else TINY_MODEL.format(text_encoder=text_encoder)}
[optimization]
epochs = 1
[data]
benchmark_dir = "{benchmark}"
[data.transform]
shorter_sides = [48]
max_size = 160
eval_shorter_side = 96
[data.transform.crop]
probability = 0.0
""")
    return path


def test_the_training_set_keeps_fixed_texts_and_drops_unseen_combinations(
    benchmark_dir: Path,
) -> None:
    everything = read_finetune_annotations(FinetuneDataConfig(benchmark_dir=benchmark_dir))
    assert everything.label_texts.entity_texts == ("person", "horse", "cup", "no objects")
    assert everything.label_texts.relation_texts == ("ride", "hold", "no interaction")
    assert len(everything.annotations) == 4
    zero_shot = read_finetune_annotations(
        FinetuneDataConfig(benchmark_dir=benchmark_dir, zero_shot="UC-X")
    )
    # "hold horse" is unseen in UC-X: image 4 (which had only it) goes, the others keep
    # "ride horse" and "hold cup".
    assert len(zero_shot.annotations) == 3
    for annotation in zero_shot.annotations:
        by_object = {pair.object_name: pair.predicates for pair in annotation.pairs}
        assert by_object == {"horse": ("ride",), "cup": ("hold",)}
    few = read_finetune_annotations(
        FinetuneDataConfig(benchmark_dir=benchmark_dir, few_shot_fraction=0.5, subset_seed=3)
    )
    again = read_finetune_annotations(
        FinetuneDataConfig(benchmark_dir=benchmark_dir, few_shot_fraction=0.5, subset_seed=3)
    )
    assert len(few.annotations) == 2 and few.annotations == again.annotations
    with pytest.raises(RLIPv2InputError, match="no combination setting 'UC-RF'"):
        read_finetune_annotations(FinetuneDataConfig(benchmark_dir=benchmark_dir, zero_shot="UC-RF"))


@pytest.mark.slow
def test_finetune_resumes_records_its_texts_and_evaluates(
    benchmark_dir: Path, text_encoder_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = write_config(tmp_path / "finetune.toml", benchmark=benchmark_dir, text_encoder=text_encoder_dir)
    assert main(["finetune", "--config", str(config), "--then-evaluate"]) == 0
    printed = capsys.readouterr().out
    assert "trained to epoch 1" in printed and "default/full" in printed
    checkpoint = latest_checkpoint(tmp_path / "run" / "checkpoints")
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    assert payload["config"]["label_texts"]["relation_texts"] == [verb["name"] for verb in VERBS]
    assert payload["config"]["criterion"]["relation_pseudo_labels"] is False
    detections = pq.read_table(tmp_path / "run" / "detections.parquet")
    assert detections.column("image_id").to_pylist() == [1, 2]
    assert [len(pairs) for pairs in detections.column("subject_index").to_pylist()] == [6, 6]
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["epoch"] == 1 and "default/full" in lines[-1]["evaluation"]["metrics"]

    resumed = run_finetuning(load_config_file(config, FinetuneConfig, ["optimization.epochs=2"]))
    assert resumed.state.epoch == 2 and len(resumed.epochs) == 1

    # A second run starts from the first's checkpoint and takes its model from it.
    second = write_config(tmp_path / "second" / "finetune.toml", benchmark=benchmark_dir,
                          text_encoder=None, init_from=latest_checkpoint(tmp_path / "run" / "checkpoints"))
    from_checkpoint = run_finetuning(load_config_file(second, FinetuneConfig))
    assert from_checkpoint.state.epoch == 1

    out = tmp_path / "evaluated"
    assert main(["evaluate", "hico-det", "--dataset", str(benchmark_dir), "--checkpoint",
                 str(checkpoint), "--out", str(out), "--zero-shot", "UC-X"]) == 0
    assert "UC-X/unseen" in capsys.readouterr().out
    assert (out / "detections.parquet").is_file()


@pytest.mark.slow
def test_a_checkpoint_fine_tuned_on_other_texts_is_refused(
    benchmark_dir: Path, text_encoder_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = write_config(tmp_path / "finetune.toml", benchmark=benchmark_dir, text_encoder=text_encoder_dir)
    checkpoint = latest_checkpoint(run_finetuning(load_config_file(config, FinetuneConfig)).checkpoint_dir)
    other = tmp_path / "other"
    root = write_hoi_layout(tmp_path / "hico")
    vocabulary = json.loads((root / "annotations" / "vocabulary.json").read_text())
    vocabulary["predicates"][0]["name"] = "mount"
    (root / "annotations" / "vocabulary.json").write_text(json.dumps(vocabulary))
    assert main(["ingest", "hico-det", str(root), "--out", str(other), "--vocabulary",
                 str(root / "annotations" / "vocabulary.json")]) == 0
    capsys.readouterr()
    assert main(["evaluate", "hico-det", "--dataset", str(other), "--checkpoint",
                 str(checkpoint), "--out", str(tmp_path / "scores")]) == 2
    error = capsys.readouterr().err
    assert "was fine-tuned on other label texts" in error and "'ride'" in error
    assert error.count("\n") == 1


def test_a_config_without_model_or_init_from_is_refused(tmp_path: Path, benchmark_dir: Path) -> None:
    config = write_config(tmp_path / "finetune.toml", benchmark=benchmark_dir, text_encoder=None)
    with pytest.raises(RLIPv2InputError, match="needs \\[model\\], or init_from"):
        load_config_file(config, FinetuneConfig)


def test_the_finetune_flow_trains_evaluates_and_publishes_the_metrics(
    prefect_harness: None, benchmark_dir: Path, text_encoder_dir: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "finetune.toml", benchmark=benchmark_dir, text_encoder=text_encoder_dir)
    state = finetune(FinetuneParameters(config_file=config), return_state=True)
    report = state.result()
    assert report["epoch"] == 1 and "default/full" in report["metrics"]
    (picture,) = artifacts_of_run(state.state_details.flow_run_id, [CLASS_AP_ARTIFACT_KEY])[
        CLASS_AP_ARTIFACT_KEY
    ]
    assert "data:image/png;base64," in str(picture.data)
    assert (tmp_path / "run" / CHART_FILE).is_file()


@pytest.mark.slow
def test_pretraining_then_evaluates_the_pretrained_detector_without_fine_tuning(
    benchmark_dir: Path, text_encoder_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    finetune_config = write_config(tmp_path / "finetune.toml", benchmark=benchmark_dir,
                                   text_encoder=text_encoder_dir)
    config = tmp_path / "pretrain.toml"
    config.write_text(finetune_config.read_text().replace(
        f'benchmark_dir = "{benchmark_dir}"',
        f'[[data.sources]]\nscene_graphs_dir = "{benchmark_dir / "train" / "scene_graphs"}"\n'
        f'image_root = "{BenchmarkDirectory(benchmark_dir).image_root("train")}"',
    ).replace("[data]\n", "[data]\n[data.text_sampling]\ntotal_texts = 8\n"))
    assert main(["pretrain", "--config", str(config), "--then-evaluate", str(benchmark_dir)]) == 0
    assert "default/full" in capsys.readouterr().out
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "default/full" in lines[-1]["evaluation"]["metrics"]

"""The RLIPv2 detector end to end: shapes, learning, checkpoints, resume, config, CLI."""

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from data_schemas import REJECTS, RejectReason, RLIPv2InputError, read_table
from flows.cli import main
from model.backbone import BackboneConfig
from model.build_detector import build_relation_detector
from model.checkpoint import latest_checkpoint, load_checkpoint
from model.criterion import CriterionConfig, build_criterion
from model.data import (
    PretrainDataConfig,
    SceneGraphSource,
    TransformConfig,
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
)
from model.detector_config import DetectorConfig
from model.engine import train_one_epoch
from model.fused_encoder import FusionConfig, FusionKind
from model.pretrain import run_pretraining
from model.config_file import load_config_file
from model.pretrain_config import PretrainConfig
from model.targets import LabelTexts
from model.text_encoder import TextEncoderConfig
from scene_graph_tables import ingest_demo_source
from tiny_pretrain_config import write_config
from tiny_roberta import save_tiny_roberta

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def text_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_roberta(tmp_path_factory.mktemp("roberta"))


@pytest.fixture(scope="module")
def demo_scene_graphs(tmp_path_factory: pytest.TempPathFactory) -> SceneGraphSource:
    return ingest_demo_source(tmp_path_factory.mktemp("demo"), num_images=12, seed=2)


def tiny_detector_config(text_encoder_dir: Path, fusion: FusionKind = FusionKind.ALIF):
    return DetectorConfig(
        backbone=BackboneConfig(hidden_dim=32, hidden_sizes=(8, 16, 32, 64), depths=(1, 1, 1, 1),
                                embedding_size=8),
        text_encoder=TextEncoderConfig(str(text_encoder_dir)),
        fusion=FusionConfig(kind=fusion, embed_dim=64, num_heads=2),
        hidden_dim=32, num_pairs=6, feedforward_dim=64, num_heads=2, num_points=2,
    )


@pytest.mark.parametrize("fusion", [FusionKind.ALIF, FusionKind.NONE])
def test_detector_output_shapes_and_ranges(text_encoder_dir: Path, fusion: FusionKind) -> None:
    detector = build_relation_detector(tiny_detector_config(text_encoder_dir, fusion))
    pixel_mask = torch.zeros(2, 64, 96, dtype=torch.bool)
    pixel_mask[1, 40:, :] = True  # the second image is shorter: padded at the bottom
    texts = LabelTexts(("person", "horse", "no objects"), ("riding", "next to"))
    output = detector(torch.randn(2, 3, 64, 96), pixel_mask, texts)
    assert len(output.layers) == 3
    text_dim = detector.text_encoder.text_dim
    assert output.relation_text_features.shape == (2, text_dim)  # "riding", "next to"
    for layer in output.layers:
        assert layer.subject_boxes.shape == layer.object_boxes.shape == (2, 6, 4)
        assert layer.subject_logits.shape == layer.object_logits.shape == (2, 6, 3)
        assert layer.relation_logits.shape == (2, 6, 2)
        assert 0 <= layer.subject_boxes.min() and layer.subject_boxes.max() <= 1
        # Untrained, the first layer puts a box of sigmoid(-2) of the image around each
        # query's point, as Deformable-DETR does, and later layers keep it (zero deltas).
        assert torch.allclose(layer.subject_boxes, output.layers[0].subject_boxes)
    assert torch.allclose(output.layers[0].object_boxes[..., 2:], torch.tensor(-2.0).sigmoid())
    output.final.relation_logits.sum().backward()
    assert detector.entity_classifier.query_bias.grad is None  # relations do not reach it
    assert detector.relation_classifier.query_bias.grad is not None


def test_boxes_stay_float32_under_mixed_precision(text_encoder_dir: Path) -> None:
    """Each layer's boxes are the next one's references: bfloat16 would round them to 0.004."""
    detector = build_relation_detector(tiny_detector_config(text_encoder_dir))
    texts = LabelTexts(("person", "horse", "no objects"), ("riding",))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = detector(torch.randn(1, 3, 64, 96), torch.zeros(1, 64, 96, dtype=torch.bool),
                          texts)
    assert output.final.relation_logits.dtype == torch.bfloat16  # autocast was on
    assert {layer.subject_boxes.dtype for layer in output.layers} == {torch.float32}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("soft_targets", "most_remaining"),
    [
        (False, 0.8),
        # RQL scales relation targets by box quality, low for untrained boxes: the relation
        # term starts small (~0.03 per layer instead of ~4.5), so the total falls more slowly.
        (True, 0.97),
    ],
)
def test_training_steps_on_the_demo_world_reduce_the_loss(
    text_encoder_dir: Path,
    demo_scene_graphs: SceneGraphSource,
    soft_targets: bool,
    most_remaining: float,
) -> None:
    torch.manual_seed(0)
    data_config = PretrainDataConfig(
        sources=(demo_scene_graphs,),
        transform=TransformConfig(shorter_sides=(128,), max_size=160, eval_shorter_side=128),
    )
    dataset = build_pretrain_dataset(data_config, augment=False)
    collator = build_pretrain_collator(data_config, build_label_vocabulary(dataset.annotations))
    loader = build_data_loader(dataset, collator=collator, batch_size=2, shuffle=False,
                               num_workers=0, seed=0, distributed=False)
    batch = next(iter(loader))
    detector = build_relation_detector(tiny_detector_config(text_encoder_dir))
    criterion = build_criterion(
        CriterionConfig(relation_quality_targets=soft_targets, relation_pseudo_labels=soft_targets)
    )
    optimizer = torch.optim.AdamW(detector.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", enabled=False)

    def loss_of_batch(batch):
        return criterion(detector(batch.images, batch.pixel_mask, batch.label_texts),
                         list(batch.targets))

    def step():
        return train_one_epoch(model=detector, loss_of_batch=loss_of_batch, batches=[batch],
                               optimizer=optimizer, device=torch.device("cpu"), max_grad_norm=1.0,
                               scaler=scaler)

    first = step()
    for _ in range(12):
        last = step()
    assert last.mean_loss < most_remaining * first.mean_loss, (first.mean_loss, last.mean_loss)


def test_checkpoint_round_trip_and_resume(
    tmp_path: Path, text_encoder_dir: Path, demo_scene_graphs: SceneGraphSource
) -> None:
    config_path = write_config(tmp_path, text_encoder_dir, demo_scene_graphs)
    first = run_pretraining(load_config_file(config_path, PretrainConfig))
    assert first.state.epoch == 1 and len(first.epochs) == 1 and first.state.step == 2
    checkpoint = latest_checkpoint(tmp_path / "run" / "checkpoints")
    assert checkpoint.name == "checkpoint-000001.pt"
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    reloaded = build_relation_detector(load_config_file(config_path, PretrainConfig).model)
    assert load_checkpoint(checkpoint, model=reloaded).epoch == 1
    for name, tensor in reloaded.state_dict().items():
        assert torch.equal(tensor, payload["model"][name]), name

    resumed = run_pretraining(load_config_file(config_path, PretrainConfig, ["optimization.epochs=2"]))
    assert resumed.state.epoch == 2 and len(resumed.epochs) == 1 and resumed.state.step == 4
    second = latest_checkpoint(tmp_path / "run" / "checkpoints")
    assert second.name == "checkpoint-000002.pt"
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 2
    # The optimizer and scheduler went on from the checkpoint: a fresh AdamW would count 2 steps.
    resumed_payload = torch.load(second, map_location="cpu", weights_only=True)
    adam_steps = {float(state["step"]) for state in resumed_payload["optimizer"]["state"].values()}
    assert adam_steps == {4.0}
    assert resumed_payload["scheduler"]["last_epoch"] == 2
    assert read_table(tmp_path / "run" / REJECTS.name, REJECTS).num_rows == 0
    # Data order, augmentation and dropout are seeded per epoch: stopping after epoch 1 and
    # resuming trains exactly the weights of an uninterrupted run.
    straight = run_pretraining(load_config_file(
        config_path, PretrainConfig, ["optimization.epochs=2", 'output_dir="straight"']))
    assert straight.state == resumed.state
    straight_payload = torch.load(latest_checkpoint(tmp_path / "straight" / "checkpoints"),
                                  map_location="cpu", weights_only=True)
    for name, tensor in straight_payload["model"].items():
        assert torch.equal(tensor, resumed_payload["model"][name]), name


def test_an_unreadable_image_is_set_aside_and_stored_as_a_reject(
    tmp_path: Path, text_encoder_dir: Path, demo_scene_graphs: SceneGraphSource
) -> None:
    images = shutil.copytree(demo_scene_graphs.image_root, tmp_path / "images")
    broken = sorted(images.iterdir())[0]
    broken.write_bytes(b"not an image")
    source = replace(demo_scene_graphs, image_root=images)
    result = run_pretraining(load_config_file(write_config(tmp_path, text_encoder_dir, source),
                                              PretrainConfig))
    assert result.state.epoch == 1
    rejects = read_table(tmp_path / "run" / REJECTS.name, REJECTS).to_pylist()
    assert [(r["stage"], r["record_kind"], r["reason"]) for r in rejects] == [
        ("training data", "image", RejectReason.UNREADABLE_IMAGE.value)
    ]
    assert broken.name in rejects[0]["detail"]


def test_pretrain_command_and_config_errors(
    tmp_path: Path, text_encoder_dir: Path, demo_scene_graphs: SceneGraphSource, capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_path = write_config(tmp_path, text_encoder_dir, demo_scene_graphs)
    assert main(["pretrain", "--config", str(config_path), "--set", 'model.fusion.kind="none"']) == 0
    assert "trained to epoch 1" in capsys.readouterr().out
    assert main(["pretrain", "--config", str(config_path), "--set", "model.num_pairs=0"]) == 2
    assert "num_pairs" in capsys.readouterr().err
    assert main(["pretrain", "--config", str(config_path),
                 "--set", 'model.text_encoder.name_or_path="./no-roberta"']) == 2
    assert "cannot load the label-text encoder" in capsys.readouterr().err
    # Relative paths are resolved to absolute ones (checkpoints store them), whatever the
    # working directory the config is named from.
    monkeypatch.chdir(tmp_path.parent)
    relative = load_config_file(Path(tmp_path.name) / config_path.name, PretrainConfig,
                                ['model.text_encoder.name_or_path="./roberta"'])
    assert relative.output_dir == tmp_path / "run"
    assert relative.model.text_encoder.name_or_path == str(tmp_path / "roberta")
    with pytest.raises(RLIPv2InputError, match="not valid TOML"):
        (tmp_path / "bad.toml").write_text("output_dir = [")
        load_config_file(tmp_path / "bad.toml", PretrainConfig)
    with pytest.raises(RLIPv2InputError, match="does not exist"):
        load_config_file(tmp_path / "missing.toml", PretrainConfig)
    with pytest.raises(RLIPv2InputError, match="cannot be read"):
        load_config_file(tmp_path, PretrainConfig)  # a directory
    # A misspelt key would silently leave the setting at its default: it is refused.
    with pytest.raises(RLIPv2InputError, match=r"unknown keys: data.sources\[0\].image_rot "
                                               r"\(did you mean data.sources\[0\].image_root\?\); "
                                               r"optimisation \(did you mean optimization\?\)"):
        load_config_file(config_path, PretrainConfig, [
            "optimisation.epochs=3",
            f'data.sources=[{{scene_graphs_dir="{demo_scene_graphs.scene_graphs_dir}", '
            f'image_rot="x"}}]',
        ])
    for override, message in (("output_dir=2024", "output_dir"),
                              ('model.text_encoder="roberta-base"', "model.text_encoder")):
        with pytest.raises(RLIPv2InputError, match=f"is invalid: {message}") as refusal:
            load_config_file(config_path, PretrainConfig, [override])
        assert "\n" not in str(refusal.value)  # one line


def test_demo_config_in_the_repository_is_valid() -> None:
    config = load_config_file(REPOSITORY / "configs" / "pretrain_demo.toml", PretrainConfig)
    assert config.model.fusion.kind is FusionKind.ALIF
    assert replace(config, batch_size=1).batch_size == 1


def test_two_process_torchrun_trains_and_rank_zero_checkpoints(
    tmp_path: Path, text_encoder_dir: Path, demo_scene_graphs: SceneGraphSource
) -> None:
    config_path = write_config(tmp_path, text_encoder_dir, demo_scene_graphs)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "-m", "flows.cli", "pretrain", "--config", str(config_path), "--set", 'device="cpu"'],
        capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trained to epoch 1") == 1, "only rank 0 reports"
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == [
        "checkpoint-000001.pt"
    ]

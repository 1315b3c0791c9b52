"""Converted checkpoints as ``init_from`` of pretraining: a released RLIPv2 detector (complete)
and a DAB-Deformable-DETR detection checkpoint (its detector part; the language side stays as
initialised)."""

from pathlib import Path

import pytest
import torch

from conversion.detection_keys import INITIALISED_PREFIXES
from data_schemas.errors import RLIPv2InputError
from flows.cli import main
from model.build_detector import build_relation_detector
from model.checkpoint import read_checkpoint
from model.config_file import load_config_file
from model.converted_checkpoint import converted_from_payload
from model.initial_weights import load_initial_weights, read_initial_weights
from model.pretrain import run_pretraining
from model.pretrain_config import PretrainConfig
from official_files import (
    dab_deformable_detr_state_dict,
    fixture_args,
    fixture_state_dict,
    save_fixture_text_encoder,
    save_official_checkpoint,
)
from scene_graph_tables import ingest_demo_source

FIXTURE = "parseda_r50_small"


def convert(source: Path, output: Path, *options: str) -> int:
    """``rlipv2 convert-checkpoint``'s exit status."""
    return main(["convert-checkpoint", str(source), "-o", str(output), *options])

DETECTION_ARGS = {"backbone": "resnet50", "num_queries": 8, "with_box_refine": True,
                  "two_stage": False, "use_dab": True, "dec_layers": 2, "enc_layers": 4,
                  "num_feature_levels": 4, "hidden_dim": 256}
COPIED = [  # (official name, rlipv2 name) of tensors the detection checkpoint provides
    ("transformer.ho_decoder.layers.1.linear1.weight",
     "decoder.entity_layers.1.feedforward.expand.weight"),
    ("transformer.ho_decoder.layers.1.linear1.weight",
     "decoder.relation_layers.1.feedforward.expand.weight"),
    ("sub_bbox_embed.0.layers.2.bias", "decoder.relation_object_box_heads.0.layers.2.bias"),
    ("refpoint_embed.weight", "pair_queries.anchors.weight"),
    ("transformer.ho_decoder.query_scale.layers.0.weight",
     "decoder.relation_position.state_scale.layers.0.weight"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("init_from")
    source = ingest_demo_source(root / "demo", num_images=4, seed=3)
    text_encoder = save_fixture_text_encoder(root / "roberta", FIXTURE)
    config = root / "pretrain.toml"
    config.write_text(f"""
output_dir = "run"
batch_size = 2
num_workers = 0
max_steps_per_epoch = 1
[model]
hidden_dim = 256
num_pairs = 4
encoder_layers = 4
decoder_layers = 2
feedforward_dim = 64
position_offset = 0.0
extra_level_mask = "image"
[model.backbone]
depths = [1, 1, 1, 1]
[model.text_encoder]
name_or_path = "{text_encoder}"
[model.fusion]
gate_kind = "learnable_scalar"
residual_base = "normalised"
mask_padding = false
[model.decoder]
kind = "parseda"
relation_content = "fused"
relation_box_refinement = true
[criterion]
num_decoder_layers = 2
[optimization]
epochs = 1
[[data.sources]]
scene_graphs_dir = "{source.scene_graphs_dir}"
image_root = "{source.image_root}"
[data.transform]
shorter_sides = [64]
max_size = 96
eval_shorter_side = 64
[data.transform.crop]
probability = 0.0
[data.text_sampling]
total_texts = 16
""")
    released = save_official_checkpoint(
        root / "released.pth", fixture_state_dict(FIXTURE), fixture_args(FIXTURE)
    )
    detection = save_official_checkpoint(
        root / "dab_deformable_detr.pth",
        dab_deformable_detr_state_dict(fixture_state_dict(FIXTURE)),
        DETECTION_ARGS,
    )
    return {
        "root": root,
        "config": config,
        "text_encoder": text_encoder,
        "released": released,
        "detection": detection,
    }


@pytest.fixture(scope="module")
def released(world: dict[str, Path]) -> Path:
    """The released ParSeDA (the fixture's weights), converted."""
    converted = world["root"] / "released.pt"
    assert convert(world["released"], converted, "--text-encoder", str(world["text_encoder"])) == 0
    return converted


def test_a_detection_checkpoint_initialises_the_detector_part_and_pretraining_starts_from_it(
    world: dict[str, Path], capsys
) -> None:
    converted = world["root"] / "detection.pt"
    assert convert(world["detection"], converted, "--config", str(world["config"])) == 0
    assert "stay as initialised" in capsys.readouterr().out
    record = converted_from_payload(read_checkpoint(converted), source=converted)
    assert record.initialised
    assert all(name.startswith(INITIALISED_PREFIXES) for name in record.initialised)

    config = load_config_file(world["config"], PretrainConfig, [f'init_from="{converted}"'])
    detector = build_relation_detector(config.model)
    load_initial_weights(detector, read_initial_weights(converted))
    official, state = fixture_state_dict(FIXTURE), detector.state_dict()
    for official_name, name in COPIED:
        assert torch.equal(state[name], official[official_name]), name

    result = run_pretraining(config)
    assert result.state.step == 1


def test_a_released_detector_initialises_pretraining_completely(
    world: dict[str, Path], released: Path
) -> None:
    weights = read_initial_weights(released)
    assert weights.architecture == "detector" and not weights.not_provided
    detector = build_relation_detector(load_config_file(world["config"], PretrainConfig).model)
    load_initial_weights(detector, weights)
    assert torch.equal(detector.state_dict()["decoder.relation_fusion.merge.bias"],
                       weights.state["decoder.relation_fusion.merge.bias"])


def test_weights_of_another_architecture_are_refused(
    world: dict[str, Path], released: Path
) -> None:
    config = load_config_file(world["config"], PretrainConfig, ["model.num_pairs=6"])
    detector = build_relation_detector(config.model)
    with pytest.raises(RLIPv2InputError, match="does not fit the model"):
        load_initial_weights(detector, read_initial_weights(released))


def test_a_detection_checkpoint_needs_the_config_it_initialises(
    world: dict[str, Path], capsys
) -> None:
    assert convert(world["detection"], world["root"] / "x.pt") == 2
    assert "--config" in capsys.readouterr().err

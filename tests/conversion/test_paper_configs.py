"""``configs/paper/``: each full-size config is the configuration the converter derives from
the arguments of the released script it names; the CPU demo variants train on the demo world."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from conversion.official_config import detector_config, official_architecture
from model.config_file import load_config_file
from model.detector_config import DetectorConfig
from model.pretrain import run_pretraining
from model.pretrain_config import PretrainConfig
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import run_tag_stages
from rtagger.box_pair_queries import TaggerReference
from rtagger.tagger_config import EntityTextSource, TaggerTrainingConfig
from rtagger.tagger_scorer import load_tagger_scorer
from rtagger.train_tagger import run_tagger_training
from labelling_world import LabellingWorld

REPOSITORY = Path(__file__).resolve().parents[2]
PAPER = REPOSITORY / "configs" / "paper"
LISTINGS = REPOSITORY / "tests" / "fixtures" / "parity" / "keys"
MIRRORS = {
    "rtagger_vg_r50.toml": ("rtagger_r50", TaggerTrainingConfig),
    "parseda_r50_pretrain.toml": ("parseda_r50_pretrain", PretrainConfig),
    "parseda_swint_pretrain.toml": ("parseda_swint_pretrain", PretrainConfig),
    "parseda_swinl_pretrain.toml": ("parseda_swinl_pretrain", PretrainConfig),
}


def released_model(listing_name: str) -> tuple[DetectorConfig, dict]:
    """The converter's configuration of a released architecture, and its script's record."""
    listing = json.loads((LISTINGS / f"{listing_name}.json").read_text())
    model = {name: torch.empty(shape, device="meta") for name, shape, _ in listing["state_dict"]}
    architecture = official_architecture(listing["args"], model, source=listing_name)
    config = detector_config(
        listing["args"], model, architecture, text_encoder="roberta-base", source=listing_name
    )
    return config, listing


@pytest.mark.parametrize("file_name", sorted(MIRRORS))
def test_a_paper_config_is_its_released_script(file_name: str) -> None:
    listing_name, config_type = MIRRORS[file_name]
    path = PAPER / file_name
    config = load_config_file(path, config_type)
    expected, listing = released_model(listing_name)

    assert listing["script"] in path.read_text(), "the config names the script it mirrors"
    # The released weights come from init_from; rlipv2 names a pretrained ResNet besides.
    actual = replace(config.model, backbone=replace(config.model.backbone, pretrained=None))
    assert actual == expected
    args = listing["args"]
    assert config.batch_size == args["batch_size"]
    assert config.optimization.learning_rate == args["lr"]
    assert config.optimization.backbone_learning_rate == args["lr_backbone"]
    assert config.optimization.text_encoder_learning_rate == args["text_encoder_lr"]
    assert (config.optimization.epochs, config.optimization.lr_drop_epoch) == (
        args["epochs"],
        args["lr_drop"],
    )
    assert config.data.text_sampling.total_texts == args["negative_text_sampling"]
    assert config.init_from is not None
    if config_type is PretrainConfig:
        assert config.data.relation_threshold == args["relation_threshold"]
        assert config.criterion.relation_pseudo_labels == args["pseudo_verb"]
        assert config.criterion.relation_quality_targets == args["giou_verb_label"]
    else:
        assert config.queries.reference is TaggerReference.POINT
        assert config.tagging.entity_texts is EntityTextSource.DATASET
        assert (config.denoising.box_noise_scale, config.denoising.label_noise_probability) == (
            args["box_noise_scale"],
            args["label_noise_scale"],
        )


def test_the_demo_variants_take_the_released_choices() -> None:
    tagger = load_config_file(PAPER / "rtagger_demo.toml", TaggerTrainingConfig)
    released_tagger = load_config_file(PAPER / "rtagger_vg_r50.toml", TaggerTrainingConfig)
    pretrain = load_config_file(PAPER / "parseda_demo.toml", PretrainConfig)
    released_pretrain = load_config_file(PAPER / "parseda_r50_pretrain.toml", PretrainConfig)
    for demo, released in ((tagger, released_tagger), (pretrain, released_pretrain)):
        assert demo.model.decoder == released.model.decoder
        assert replace(demo.model.fusion, embed_dim=2048, num_heads=8) == released.model.fusion
        assert demo.model.position_offset == released.model.position_offset
        assert demo.model.extra_level_mask == released.model.extra_level_mask
    assert (tagger.queries, tagger.tagging, tagger.denoising) == (
        released_tagger.queries,
        released_tagger.tagging,
        released_tagger.denoising,
    )


def test_the_demo_variants_train_on_the_demo_world_and_tag_it(
    labelling_world: LabellingWorld, tmp_path: Path
) -> None:
    world = labelling_world
    common = (
        f'model.text_encoder.name_or_path="{world.text_encoder_dir}"',
        "optimization.epochs=1",
        "max_steps_per_epoch=2",
    )
    ground_truth = (
        f'{{scene_graphs_dir="{world.ground_truth_dir / "scene_graphs"}", '
        f'image_root="{world.images_dir}"}}'
    )
    tagger = run_tagger_training(
        load_config_file(
            PAPER / "rtagger_demo.toml",
            TaggerTrainingConfig,
            [*common, f'output_dir="{tmp_path / "tagger"}"', f"data.sources=[{ground_truth}]"],
        )
    )
    checkpoint = tagger.checkpoint_dir / "checkpoint-000001.pt"
    scorer = load_tagger_scorer(checkpoint, device="cpu")
    assert scorer.entity_texts is EntityTextSource.DATASET
    summary = run_tag_stages(
        LabelSettings(save_threshold=0.0),
        world.dataset_dir,
        world.reference_candidates_dir,
        tmp_path / "tagged",
        tagger_checkpoint=checkpoint,
        scorer=scorer,
        image_root=world.images_dir,
        rows_per_shard=100,
        overwrite=False,
    )
    assert summary.manifest.stages["tag"].counts["relations_kept"] > 0

    pseudo_labels = (
        f'{{scene_graphs_dir="{tmp_path / "tagged" / "scene_graphs"}", '
        f'image_root="{world.images_dir}"}}'
    )
    pretrain = run_pretraining(
        load_config_file(
            PAPER / "parseda_demo.toml",
            PretrainConfig,
            [
                *common,
                f'output_dir="{tmp_path / "pretrain"}"',
                f'data.sources=[{ground_truth}, {pseudo_labels}]',
            ],
        )
    )
    assert pretrain.state.step == 2

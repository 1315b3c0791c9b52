"""Images that keep no relation: dropped by default in pre-training, kept by default for the
R-Tagger (as RLIPv2's code does each), counted either way, and trainable when kept."""

import logging
from pathlib import Path

import pytest
import torch

from model.config_file import load_config_file
from model.data import (
    PretrainDataConfig,
    SceneGraphSource,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
    read_training_annotations,
)
from model.pretrain_config import PretrainConfig
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.training_pairs import build_slot_targets
from scene_graph_tables import SMALL_TRANSFORM, demo_config

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def test_pretraining_drops_them_and_the_tagger_keeps_them_by_default(tmp_path: Path) -> None:
    for name, config_type, default in (("pretrain_demo.toml", PretrainConfig, "drop"),
                                       ("tagger_demo.toml", TaggerTrainingConfig, "keep")):
        text = (CONFIGS / name).read_text()
        without_the_key = "\n".join(line for line in text.splitlines()
                                    if not line.startswith("images_without_relations"))
        (tmp_path / name).write_text(without_the_key)
        assert load_config_file(tmp_path / name, config_type).data.images_without_relations \
            == default
        other = {"drop": "keep", "keep": "drop"}[default]
        overridden = load_config_file(tmp_path / name, config_type,
                                      [f'data.images_without_relations="{other}"'])
        assert overridden.data.images_without_relations == other
    with pytest.raises(ValueError, match="'drop' or 'keep'"):
        PretrainDataConfig(sources=(SceneGraphSource(Path("sg"), Path("images")),),
                           images_without_relations="some")


def test_both_counts_are_logged_at_start_up(
    mixed_source: SceneGraphSource, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="model.data.pretrain_data"):
        drop = read_training_annotations(demo_config(mixed_source)).counts
        keep = read_training_annotations(
            demo_config(mixed_source, images_without_relations="keep")
        ).counts
    assert (drop.images_kept, drop.images_dropped, drop.images_without_relations) == (1, 2, 0)
    assert (keep.images_kept, keep.images_dropped, keep.images_without_relations) == (3, 0, 2)
    assert keep.relations_kept == drop.relations_kept and keep.pairs_kept == drop.pairs_kept
    summaries = [record.getMessage() for record in caplog.records
                 if record.getMessage().startswith("training data:")]
    assert summaries[0].startswith("training data: 1 images (1 with relations, 0 without")
    assert "2 images dropped without relations" in summaries[0]
    assert summaries[1].startswith("training data: 3 images (1 with relations, 2 without")


def test_kept_images_without_relations_train_on_their_entities(
    mixed_source: SceneGraphSource,
) -> None:
    config = PretrainDataConfig(sources=(mixed_source,), images_without_relations="keep",
                                transform=SMALL_TRANSFORM)
    for augment, epochs in ((True, 6), (False, 1)):  # crops and flips of images without pairs
        dataset = build_pretrain_dataset(config, augment=augment)
        collator = build_pretrain_collator(config, build_label_vocabulary(dataset.annotations))
        for epoch in range(epochs):
            dataset.set_epoch(epoch)
            batch = collator([dataset[index] for index in range(len(dataset))])
            pairs = [target.num_pairs for target in batch.targets]
            assert pairs[0] > 0 and pairs[1:] == [0, 0]
            for target in batch.targets[1:]:
                assert target.relation_labels.shape == (0, len(batch.label_texts.relation_texts))
            slots = build_slot_targets(batch.targets, num_pairs=4,
                                       generator=torch.Generator().manual_seed(epoch))
            negatives = [target.num_pairs for target in slots.targets]
            assert negatives[1] <= 2 and negatives[2] == 0
            assert slots.targets[1].relation_labels.sum() == 0
    # unaugmented, image 2's two objects (cup, table) pair both ways; image 3 has one object
    assert negatives[1:] == [2, 0]

"""A tiny pretraining config (a small detector over a tiny text encoder, two steps an epoch), for
the pretraining and server tests."""

from pathlib import Path

from model.data import SceneGraphSource


def write_config(tmp_path: Path, text_encoder_dir: Path, source: SceneGraphSource) -> Path:
    config = tmp_path / "pretrain.toml"
    config.write_text(f"""
output_dir = "run"
batch_size = 2
num_workers = 0
max_steps_per_epoch = 2

[model]
hidden_dim = 32
num_pairs = 6
feedforward_dim = 64
num_heads = 2
num_points = 2
[model.backbone]
hidden_dim = 32
hidden_sizes = [8, 16, 32, 64]
depths = [1, 1, 1, 1]
embedding_size = 8
[model.text_encoder]
name_or_path = "{text_encoder_dir}"
[model.fusion]
embed_dim = 64
num_heads = 2
[optimization]
epochs = 1
[data]
[[data.sources]]
scene_graphs_dir = "{source.scene_graphs_dir}"
image_root = "{source.image_root}"
[data.transform]
shorter_sides = [96, 128]
max_size = 160
eval_shorter_side = 128
[data.transform.crop]
probability = 0.0
[data.text_sampling]
total_texts = 24
""")
    return config

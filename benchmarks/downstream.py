"""Benchmark: what pretraining on pseudo-labelled scene graphs is worth downstream, on a CPU.

On the demo world, fine-tunes the same tiny RLIPv2 on a HICO-DET-style task (the demo HOI
benchmark: 8 verbs, 19 verb-object combinations, rare ones, 5 unseen ones) from three
initialisations, with the same budget (steps, batch, schedule, seeds):

- ``scratch``: the detector from random weights;
- ``human``: pretrained on human relations only (a Visual Genome-style world);
- ``human + pseudo``: pretrained, for as many steps, on those and on the scene graphs that
  ``rlipv2 label`` pseudo-labels on a second world that has only boxes and captions.

Every fine-tuning leaves the zero-shot setting's unseen combinations out (``data.zero_shot =
"UC"``) and is scored on the test split with the HICO-DET protocol: mAP Full / Rare / Non-rare
(rare: fewer than 10 training instances) and the unseen combinations' mAP; the pretrained
checkpoints are also scored without fine-tuning ("NF"). Each step runs the ``rlipv2`` command
line in a child process and leaves its output under ``--work-dir``: a stopped benchmark started
again with the same work directory resumes (training from its last checkpoint).

    .venv/bin/python benchmarks/downstream.py --work-dir runs/downstream_benchmark
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from demo_world import write_demo_world  # noqa: E402
from demo_world.hoi_benchmark import (  # noqa: E402
    ZERO_SHOT_SETTING,
    write_demo_hoi_benchmark,
)

INITIALISATIONS = ("scratch", "human", "human + pseudo")
METRICS = (
    ("Full", "default/full"),
    ("Rare", "default/rare"),
    ("Non-rare", "default/non_rare"),
    ("Unseen", f"{ZERO_SHOT_SETTING}/unseen"),
)

MODEL = """
[model]
hidden_dim = 32
num_pairs = {num_pairs}
feedforward_dim = 64
num_heads = 2
num_points = 2

[model.backbone]
hidden_dim = 32
hidden_sizes = [16, 32, 64, 128]
depths = [1, 1, 1, 1]
embedding_size = 16

[model.text_encoder]
name_or_path = "{text_encoder}"

[model.fusion]
embed_dim = 64
num_heads = 2
"""
TRANSFORM = """
[data.transform]
shorter_sides = [128, 144, 160]
max_size = 256
eval_shorter_side = 160
{mirror}
[data.transform.crop]
pre_crop_shorter_sides = [160, 192]
min_size = 112
max_size = 160
"""
OPTIMIZATION = """
[optimization]
epochs = {epochs}
lr_drop_epoch = {lr_drop}
learning_rate = 2e-4
backbone_learning_rate = 2e-4
# The random stand-in text encoder learns from scratch: it trains at the transformer's rate.
text_encoder_learning_rate = 2e-4
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", type=Path, required=True, help="outputs; rerun to resume")
    parser.add_argument("--human-images", type=int, default=160)
    parser.add_argument("--caption-images", type=int, default=320)
    parser.add_argument("--train-images", type=int, default=200)
    parser.add_argument("--test-images", type=int, default=120)
    parser.add_argument("--pretrain-epochs", type=int, default=6)
    parser.add_argument("--pretrain-steps", type=int, default=25, help="steps per epoch")
    parser.add_argument("--finetune-epochs", type=int, default=6)
    parser.add_argument("--finetune-steps", type=int, default=15, help="steps per epoch")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    arguments = parser.parse_args()
    work = arguments.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    data = prepare_data(work, arguments)
    pretrained = {
        "human": pretrain(work / "pretrain_human", [data["human"]], data, arguments),
        "human + pseudo": pretrain(
            work / "pretrain_human_pseudo", [data["human"], data["pseudo"]], data, arguments
        ),
    }
    results: dict[str, list[dict]] = {name: [] for name in INITIALISATIONS}
    no_finetuning = {
        name: evaluate(checkpoint, work / "nf" / slug(name), data)
        for name, checkpoint in pretrained.items()
    }
    for seed in arguments.seeds:
        for name in INITIALISATIONS:
            run = work / "finetune" / f"{slug(name)}_seed{seed}"
            results[name].append(finetune(run, pretrained.get(name), seed, data, arguments))
    print_table(results, no_finetuning, arguments, time.perf_counter() - started)


def prepare_data(work: Path, arguments: argparse.Namespace) -> dict:
    """The worlds, their tables, the text encoder, the R-Tagger and the pseudo-labels."""
    human_world, caption_world = work / "world_human", work / "world_captions"
    if not (human_world / "vg" / "relationships.json").is_file():
        write_demo_world(human_world, num_images=arguments.human_images, seed=0)
    if not (caption_world / "annotations" / "captions.json").is_file():
        write_demo_world(caption_world, num_images=arguments.caption_images, seed=1)
    hoi_root = work / "hoi_files"
    if not (hoi_root / "annotations" / "vocabulary.json").is_file():
        write_demo_hoi_benchmark(
            hoi_root, train_images=arguments.train_images, test_images=arguments.test_images, seed=2
        )
    human = work / "human"
    done(human, [
        "ingest", "vg", human_world / "vg" / "image_data.json",
        "--objects", human_world / "vg" / "objects.json",
        "--relationships", human_world / "vg" / "relationships.json",
        "--image-root", human_world / "images", "--dataset", "demo_vg", "--out", human,
    ])
    benchmark = work / "hoi"
    done(benchmark, [
        "ingest", "hico-det", hoi_root, "--vocabulary", hoi_root / "annotations" / "vocabulary.json",
        "--out", benchmark,
    ])
    text_encoder = work / "text_encoder"
    done(text_encoder / "tokenizer_config.json", [  # written last
        "tiny-text-encoder", text_encoder, "--scene-graphs", human / "scene_graphs",
        benchmark / "train" / "scene_graphs",
    ])
    tagger = work / "tagger"
    tagger_config = write_config(tagger / "config.toml", f"""
output_dir = "{tagger}"
batch_size = 2
num_workers = 0
max_steps_per_epoch = 40
{MODEL.format(text_encoder=text_encoder, num_pairs=16)}
{OPTIMIZATION.format(epochs=4, lr_drop=4)}
[denoising]
box_noise_scale = 0.4
label_noise_probability = 0.2

[data]
[[data.sources]]
scene_graphs_dir = "{human / 'scene_graphs'}"
image_root = "{human_world / 'images'}"
{TRANSFORM.format(mirror="")}
[data.text_sampling]
total_texts = 32
""")
    tagger_checkpoint = tagger / "checkpoints" / "checkpoint-000004.pt"
    if not tagger_checkpoint.is_file():
        rlipv2("train-tagger", "--config", tagger_config)
    labels = work / "labels"
    done(labels / "scene_graphs", [  # published last; the flow resumes its finished shards
        "label", "--dataset", work / "captions_ingested",
        "--coco-instances", caption_world / "annotations" / "instances.json",
        "--coco-captions", caption_world / "annotations" / "captions.json",
        "--image-root", caption_world / "images", "--dataset-name", "demo_captions",
        "--captioner", "existing", "--vocabulary", "demo", "--images-per-shard", 64,
        "--tagger-checkpoint", tagger_checkpoint, "--out", labels,
    ])
    return {
        "human": (human / "scene_graphs", human_world / "images"),
        "pseudo": (labels / "scene_graphs", caption_world / "images"),
        "benchmark": benchmark,
        "text_encoder": text_encoder,
    }


def pretrain(run: Path, sources: list, data: dict, arguments: argparse.Namespace) -> Path:
    epochs = arguments.pretrain_epochs
    listed = "".join(
        f'\n[[data.sources]]\nscene_graphs_dir = "{graphs}"\nimage_root = "{images}"\n'
        for graphs, images in sources
    )
    config = write_config(run / "config.toml", f"""
output_dir = "{run}"
batch_size = {arguments.batch_size}
num_workers = 0
max_steps_per_epoch = {arguments.pretrain_steps}
{MODEL.format(text_encoder=data["text_encoder"], num_pairs=8)}
{OPTIMIZATION.format(epochs=epochs, lr_drop=max(1, epochs * 3 // 4))}
[data]
relation_threshold = 0.2
{listed}
{TRANSFORM.format(mirror="")}
[data.text_sampling]
total_texts = 32
""")
    checkpoint = run / "checkpoints" / f"checkpoint-{epochs:06d}.pt"
    if not checkpoint.is_file():
        rlipv2("pretrain", "--config", config)
    return checkpoint


def finetune(
    run: Path, init_from: Path | None, seed: int, data: dict, arguments: argparse.Namespace
) -> dict:
    epochs = arguments.finetune_epochs
    config = write_config(run / "config.toml", f"""
output_dir = "{run}"
batch_size = {arguments.batch_size}
num_workers = 0
max_steps_per_epoch = {arguments.finetune_steps}
{"" if init_from is None else f'init_from = "{init_from}"'}
{MODEL.format(text_encoder=data["text_encoder"], num_pairs=8)}
{OPTIMIZATION.format(epochs=epochs, lr_drop=max(1, epochs * 3 // 4))}
[data]
benchmark_dir = "{data["benchmark"]}"
zero_shot = "{ZERO_SHOT_SETTING}"
seed = {seed}
{TRANSFORM.format(mirror="mirror_left_right_predicates = false")}""")
    metrics = evaluation_record(run)
    if metrics is None:
        rlipv2("finetune", "--config", config, "--then-evaluate")
        metrics = evaluation_record(run)
    return metrics


def evaluate(checkpoint: Path, out: Path, data: dict) -> dict:
    """The pretrained detector scored without fine-tuning (person subjects only, as the paper)."""
    metrics = evaluation_record(out)
    if metrics is None:
        rlipv2(
            "evaluate", "hico-det", "--dataset", data["benchmark"], "--checkpoint", checkpoint,
            "--out", out, "--zero-shot", ZERO_SHOT_SETTING, "--person-subjects-only",
        )
        metrics = evaluation_record(out)
    return metrics


def evaluation_record(directory: Path) -> dict | None:
    """The metrics of the last evaluation line of ``directory/metrics.jsonl``, if any."""
    path = directory / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.is_file() else []
    records = [json.loads(line)["evaluation"] for line in lines if '"evaluation"' in line]
    return records[-1]["metrics"] if records else None


def done(output: Path, command: list) -> None:
    """Run ``rlipv2 command`` unless ``output`` exists (what the command writes last)."""
    if not output.exists():
        rlipv2(*command)


def rlipv2(*command: object) -> None:
    words = [str(word) for word in command]
    print(f"$ rlipv2 {' '.join(words)}", flush=True)
    subprocess.run([sys.executable, "-m", "flows.cli", *words], check=True, cwd=REPOSITORY)


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip())
    return path


def slug(name: str) -> str:
    return name.replace(" + ", "_").replace(" ", "_")


def print_table(
    results: dict[str, list[dict]],
    no_finetuning: dict[str, dict],
    arguments: argparse.Namespace,
    seconds: float,
) -> None:
    print(
        f"\nHICO-DET-style mAP (%) on {arguments.test_images} demo test images after fine-tuning "
        f"on {arguments.train_images} ({arguments.finetune_epochs} x {arguments.finetune_steps} "
        f"steps of {arguments.batch_size}; seeds {arguments.seeds}; mean +- std over seeds); "
        f"unseen: the {ZERO_SHOT_SETTING} combinations left out of fine-tuning"
    )
    header = f"{'initialisation':<16}" + "".join(f"{name:>16}" for name, _ in METRICS)
    print(header)
    for name in INITIALISATIONS:
        cells = []
        for _, key in METRICS:
            values = [100 * record[key] for record in results[name] if record.get(key) is not None]
            cells.append(_mean_and_spread(values))
        print(f"{name:<16}" + "".join(f"{cell:>16}" for cell in cells))
    print("\nwithout fine-tuning (NF: the pretrained detector on the test split, person subjects):")
    for name, record in no_finetuning.items():
        cells = [
            _mean_and_spread([] if record.get(key) is None else [100 * record[key]])
            for _, key in METRICS
        ]
        print(f"{name:<16}" + "".join(f"{cell:>16}" for cell in cells))
    print(f"\n{seconds / 60:.1f} min in this run")


def _mean_and_spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} +- {statistics.stdev(values):.2f}"


if __name__ == "__main__":
    main()

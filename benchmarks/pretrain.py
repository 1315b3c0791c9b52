"""Benchmark: tiny-config pretraining speed, memory and loss of ParSeD, ParSeDA and the gates.

On a demo world (drawn here), trains the same tiny RLIPv2 (hidden 64) in each variant, once per
seed (``--seeds``: model initialisation and data order):

* ``ParSeD, tanh gate``: rlipv2's choices (``configs/pretrain_demo.toml``): ALIF gates tanh at
  0 on the raw input;
* ``ParSeD, released gate``: the same with the released pre-training's gate (one scalar at 0.25
  on the normalised input, padding unmasked);
* ``ParSeDA (released)``: the released pre-training's choices (``configs/paper/parseda_demo.toml``:
  DAB anchor queries, multi-branch fusion of the relation content, box refinement at the relation
  layers, the released gate, no pixel-centre offset);
* ``ParSeD, no fusion``: fusion disabled (label texts reach only the decoder heads: late fusion).

Each run is a fresh child process. Printed: steps/s, peak memory (RSS on CPU, CUDA allocator peak
on GPU), the mean training loss over the first and last 20 steps, and the mean loss over
held-out demo images after training (eval mode, no augmentation, the same batches for every
run): each as mean ± std [min, max] over the seeds.

    .venv/bin/python benchmarks/pretrain.py --steps 150 --seeds 3
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
from spread import Spread
from variant_slug import slug

from demo_world import write_demo_world
from demo_world.vocabulary import demo_label_texts
from model.build_detector import build_relation_detector
from model.config_file import load_config_file
from model.criterion import CriterionConfig, build_criterion
from model.data import (
    LabelVocabulary,
    PretrainDataConfig,
    SceneGraphSource,
    TextSamplingConfig,
    TransformConfig,
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
    set_loader_epoch,
)
from model.data.transforms import CropConfig
from model.detector_config import DetectorConfig
from model.engine import autocast_dtype, train_one_epoch
from model.optimization import OptimizationConfig, build_optimizer
from model.random_text_encoder import save_random_text_encoder
from pipeline.ingest import ingest_visual_genome_dataset

WINDOW = 20
BATCH_SIZE = 4
OPTIMIZATION = OptimizationConfig(
    learning_rate=2e-4, backbone_learning_rate=2e-4, text_encoder_learning_rate=2e-5
)
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# the benchmark's sizes, set on every variant's config file (which keeps its choices)
BENCHMARK_SIZES = (
    "model.hidden_dim=64", "model.num_pairs=16", "model.feedforward_dim=128",
    "model.num_heads=4", "model.num_points=2", "model.backbone.hidden_dim=64",
    "model.fusion.embed_dim=128", "model.fusion.num_heads=4",
)
RELEASED_GATE = ('model.fusion.gate_kind="learnable_scalar"',
                 'model.fusion.residual_base="normalised"', "model.fusion.mask_padding=false")
VARIANTS = {  # a config file's choices with overrides
    "ParSeD, tanh gate": (CONFIGS / "pretrain_demo.toml", ()),
    "ParSeD, released gate": (CONFIGS / "pretrain_demo.toml", RELEASED_GATE),
    "ParSeDA (released)": (CONFIGS / "paper" / "parseda_demo.toml", ()),
    "ParSeD, no fusion": (CONFIGS / "pretrain_demo.toml", ('model.fusion.kind="none"',)),
}


def prepare(work_dir: Path, num_images: int, num_held_out: int
            ) -> tuple[SceneGraphSource, SceneGraphSource, Path]:
    """The training and held-out demo scenes (their scene graphs), and the random text encoder."""
    sources = []
    for name, images, seed in (("train", num_images, 7), ("held_out", num_held_out, 8)):
        world = write_demo_world(work_dir / name, num_images=images, seed=seed)
        ingest_visual_genome_dataset(
            world.vg_image_data_json, relationships_json=world.vg_relationships_json,
            objects_json=world.vg_objects_json, out_dir=work_dir / f"{name}_vg", dataset="demo",
            split=name,
        )
        sources.append(SceneGraphSource(work_dir / f"{name}_vg" / "scene_graphs",
                                        world.images_dir))
    encoder = save_random_text_encoder(work_dir / "text_encoder",
                                       demo_label_texts() + ["no objects"], hidden_size=64)
    return *sources, encoder


def detector_config(variant: str, encoder: Path) -> DetectorConfig:
    """The variant's detector at the benchmark's sizes."""
    config_file, overrides = VARIANTS[variant]
    return load_config_file(
        config_file, DetectorConfig,
        (*BENCHMARK_SIZES, f'model.text_encoder.name_or_path="{encoder}"', *overrides),
        section="model",
    )


def data_config(source: SceneGraphSource, seed: int) -> PretrainDataConfig:
    return PretrainDataConfig(
        sources=(source,),
        transform=TransformConfig(shorter_sides=(192, 224), max_size=320, eval_shorter_side=224,
                                  crop=CropConfig(probability=0.0)),
        text_sampling=TextSamplingConfig(total_texts=32),
        seed=seed,
    )


@torch.no_grad()
def held_out_loss(detector: torch.nn.Module, criterion: torch.nn.Module,
                  source: SceneGraphSource, vocabulary: LabelVocabulary,
                  device: torch.device) -> float:
    """The mean loss over the held-out scenes, in eval mode, without augmentation; label texts
    are sampled against the training vocabulary with seed 0 (the same batches for every run)."""
    data = data_config(source, seed=0)
    loader = build_data_loader(
        build_pretrain_dataset(data, augment=False),
        collator=build_pretrain_collator(data, vocabulary), batch_size=BATCH_SIZE,
        shuffle=False, num_workers=0, seed=0, distributed=False,
    )
    detector.eval()
    losses = []
    for batch in loader:
        batch = batch.to(device)
        with torch.autocast(device.type, dtype=autocast_dtype(device),
                            enabled=autocast_dtype(device) is not None):
            output = detector(batch.images, batch.pixel_mask, batch.label_texts)
            losses.append(criterion(output, list(batch.targets)).total.item())
    return sum(losses) / len(losses)


def train(detector_config: DetectorConfig, source: SceneGraphSource,
          held_out: SceneGraphSource, steps: int, seed: int, device: str,
          queue: multiprocessing.Queue) -> None:
    torch.manual_seed(seed)
    device = torch.device(device)
    data = data_config(source, seed)
    dataset = build_pretrain_dataset(data)
    vocabulary = build_label_vocabulary(dataset.annotations)
    loader = build_data_loader(
        dataset, collator=build_pretrain_collator(data, vocabulary),
        batch_size=BATCH_SIZE, shuffle=True, num_workers=0, seed=seed, distributed=False,
    )
    detector = build_relation_detector(detector_config).to(device)
    criterion = build_criterion(CriterionConfig()).to(device)
    optimizer, _ = build_optimizer(detector.parameter_groups(OPTIMIZATION), OPTIMIZATION)
    scaler = torch.amp.GradScaler(device.type, enabled=autocast_dtype(device) == torch.float16)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    losses, epoch, started = [], 0, time.perf_counter()
    while len(losses) < steps:
        set_loader_epoch(loader, epoch)
        for batch in loader:
            if len(losses) == steps:
                break
            stats = train_one_epoch(
                model=detector,
                loss_of_batch=lambda batch: criterion(
                    detector(batch.images, batch.pixel_mask, batch.label_texts),
                    list(batch.targets),
                ),
                batches=[batch],
                optimizer=optimizer,
                device=device,
                max_grad_norm=OPTIMIZATION.max_grad_norm,
                scaler=scaler,
            )
            losses.append(stats.mean_loss)
        epoch += 1
    seconds = time.perf_counter() - started
    peak_mib = (torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda"
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    queue.put({
        "steps/s": steps / seconds,
        "peak MiB": peak_mib,
        "loss first 20": sum(losses[:WINDOW]) / WINDOW,
        "loss last 20": sum(losses[-WINDOW:]) / WINDOW,
        "held-out loss": held_out_loss(detector, criterion, held_out, vocabulary, device),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--held-out-images", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3, help="runs per variant, seeds 0, 1, ...")
    parser.add_argument("--variants", nargs="+", choices=[slug(name) for name in VARIANTS],
                        default=[slug(name) for name in VARIANTS],
                        help="the variants to train (default: all)")
    arguments = parser.parse_args()
    if arguments.steps < 2 * WINDOW:
        parser.error(f"--steps must be >= {2 * WINDOW}")
    if arguments.seeds < 1:
        parser.error("--seeds must be >= 1")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="rlipv2-pretrain-bench-") as temporary:
        source, held_out, encoder = prepare(Path(temporary), arguments.images,
                                            arguments.held_out_images)
        print(f"tiny RLIPv2 (hidden 64, 16 pairs), batch {BATCH_SIZE}, {arguments.steps} steps, "
              f"{arguments.images} demo images, {arguments.held_out_images} held out; seeds "
              f"{', '.join(map(str, range(arguments.seeds)))}: mean ± std [min, max]")
        columns = ("steps/s", "peak MiB", "loss first 20", "loss last 20", "held-out loss")
        print(f"{'device':<6} {'variant':<22} " + " ".join(f"{column:^31}" for column in columns))
        for device in devices:
            for variant in (name for name in VARIANTS if slug(name) in arguments.variants):
                runs = []
                for seed in range(arguments.seeds):
                    queue = context.Queue()
                    child = context.Process(target=train, args=(
                        detector_config(variant, encoder), source, held_out, arguments.steps,
                        seed, device, queue,
                    ))
                    child.start()
                    runs.append(queue.get())
                    child.join()
                    print(f"{device} {slug(variant)} seed {seed}: {runs[-1]}", file=sys.stderr,
                          flush=True)
                figures = [Spread.of([run[column] for run in runs]) for column in columns]
                print(f"{device:<6} {variant:<22} " + " ".join(
                    f"{spread.format(0 if column == 'peak MiB' else 3):>31}"
                    for column, spread in zip(columns, figures, strict=True)
                ), flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: tiny-config pretraining speed and memory; ALIF vs no fusion at equal steps.

On a demo world (drawn here), trains the same tiny RLIPv2 from the same seed: with ALIF
(gated cross-attention in the encoder, with either gate) and with fusion disabled (label texts
reach only the decoder heads: late fusion). Each run is a fresh child process; printed:
steps/s, peak memory (RSS on CPU, CUDA allocator peak on GPU), and the mean loss over the
first and last 20 steps.

    .venv/bin/python benchmarks/pretrain.py --steps 150
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

from demo_world import write_demo_world
from demo_world.vocabulary import demo_label_texts
from model.backbone import BackboneConfig
from model.build_detector import build_relation_detector
from model.criterion import CriterionConfig, build_criterion
from model.data import (
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
from model.fused_encoder import FusionConfig, FusionKind
from model.gated_cross_attention import GateKind
from model.optimization import OptimizationConfig, build_optimizer
from model.random_text_encoder import save_random_text_encoder
from model.text_encoder import TextEncoderConfig
from pipeline.ingest import ingest_visual_genome_dataset

WINDOW = 20
OPTIMIZATION = OptimizationConfig(
    learning_rate=2e-4, backbone_learning_rate=2e-4, text_encoder_learning_rate=2e-5
)
FUSIONS = {
    "alif (tanh gate, 0 at init)": FusionConfig(embed_dim=128, num_heads=4, gate_kind=GateKind.TANH),
    "alif (scalar gate, 0.25)": FusionConfig(
        embed_dim=128, num_heads=4, gate_kind=GateKind.LEARNABLE_SCALAR
    ),
    "none (late fusion only)": FusionConfig(kind=FusionKind.NONE, embed_dim=128, num_heads=4),
}


def prepare(work_dir: Path, num_images: int) -> tuple[SceneGraphSource, Path]:
    world = write_demo_world(work_dir / "world", num_images=num_images, seed=7)
    ingest_visual_genome_dataset(
        world.vg_image_data_json, relationships_json=world.vg_relationships_json,
        objects_json=world.vg_objects_json, out_dir=work_dir / "vg", dataset="demo",
        split="train",
    )
    encoder = save_random_text_encoder(work_dir / "text_encoder",
                                       demo_label_texts() + ["no objects"], hidden_size=64)
    return SceneGraphSource(work_dir / "vg" / "scene_graphs", world.images_dir), encoder


def train(fusion: str, source: SceneGraphSource, encoder: Path, steps: int, device: str,
          queue: multiprocessing.Queue) -> None:
    torch.manual_seed(0)
    device = torch.device(device)
    data = PretrainDataConfig(
        sources=(source,),
        transform=TransformConfig(shorter_sides=(192, 224), max_size=320, eval_shorter_side=224,
                                  crop=CropConfig(probability=0.0)),
        text_sampling=TextSamplingConfig(total_texts=32),
    )
    dataset = build_pretrain_dataset(data)
    loader = build_data_loader(
        dataset, collator=build_pretrain_collator(data, build_label_vocabulary(dataset.annotations)),
        batch_size=4, shuffle=True, num_workers=0, seed=0, distributed=False,
    )
    detector = build_relation_detector(DetectorConfig(
        backbone=BackboneConfig(hidden_dim=64, hidden_sizes=(16, 32, 64, 128),
                                depths=(1, 1, 1, 1), embedding_size=16),
        text_encoder=TextEncoderConfig(str(encoder)),
        fusion=FUSIONS[fusion],
        hidden_dim=64, num_pairs=16, feedforward_dim=128, num_heads=4, num_points=2,
    )).to(device)
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
        "steps_per_s": steps / seconds,
        "peak_mib": peak_mib,
        "first_loss": sum(losses[:WINDOW]) / WINDOW,
        "last_loss": sum(losses[-WINDOW:]) / WINDOW,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--images", type=int, default=64)
    arguments = parser.parse_args()
    if arguments.steps < 2 * WINDOW:
        sys.exit(f"--steps must be >= {2 * WINDOW}")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="rlipv2-pretrain-bench-") as temporary:
        source, encoder = prepare(Path(temporary), arguments.images)
        print(f"tiny RLIPv2 (hidden 64, 16 pairs), batch 4, {arguments.steps} steps, "
              f"{arguments.images} demo images")
        print(f"{'device':<6} {'fusion':<28} {'steps/s':>8} {'peak MiB':>9} "
              f"{'loss first 20':>14} {'loss last 20':>13}")
        for device in devices:
            for fusion in FUSIONS:
                queue = context.Queue()
                child = context.Process(target=train, args=(fusion, source, encoder,
                                                            arguments.steps, device, queue))
                child.start()
                result = queue.get()
                child.join()
                print(f"{device:<6} {fusion:<28} {result['steps_per_s']:>8.2f} "
                      f"{result['peak_mib']:>9.0f} {result['first_loss']:>14.3f} "
                      f"{result['last_loss']:>13.3f}")


if __name__ == "__main__":
    main()

"""Benchmark: ``rlipv2 label`` at two dataset sizes at least 10x apart: time per stage, peak
memory of the flow process, and Prefect task runs.

A pool of demo-world images (``--pool`` scenes, their COCO instances and captions) is repeated
into COCO-format datasets of each size (new image and annotation ids, the pool's files), ingested
beforehand. Each size is then labelled by ``rlipv2 label`` (existing captions, the demo
vocabulary, a demo tagger trained here for two steps, or ``--tagger-checkpoint``) in a process
of its own, with a fresh ``PREFECT_HOME`` (its temporary server's database), and prints:

- per stage, images/s of the stage's summed shard compute time (the shards' manifests), and the
  run's images/s over its wall time;
- the flow process's peak resident memory (``ru_maxrss``: the process with its task threads;
  not the temporary server, nor the DataLoader workers, processes of their own);
- the run's Prefect task runs (counted in the server's database), beside the plan's count
  (:func:`pipeline.labelling.shard_groups.label_task_runs`).

Targets: time linear in images (images/s the same at both sizes), peak memory flat, and
task runs bounded (an Objects365 run: 973).

    .venv/bin/python benchmarks/label_scale.py                          # 200 and 2000 images
    .venv/bin/python benchmarks/label_scale.py --sizes 2000,20000 --images-per-shard 1000
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from data_schemas.shard_manifest import ShardManifest
from demo_world import write_demo_world
from pipeline.ingest import ingest_coco_dataset
from pipeline.labelling import LABEL_STAGES
from pipeline.labelling.shard_groups import label_task_runs

REPOSITORY = Path(__file__).resolve().parents[1]
RLIPV2 = [sys.executable, "-m", "flows.cli"]
EVAL_SIDE = 256
"""The benchmark tagger's evaluation resize (the demo images are 224-320 pixels wide): the
pipeline's scaling is measured here, the model's speed by ``benchmarks/tagging.py``."""
PEAK_RSS_PROGRAM = """
import resource, sys
from flows.cli import main
code = main(sys.argv[1:])
print(f"peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
sys.exit(code)
"""


def rlipv2(*arguments: str, environment: dict | None = None) -> str:
    """Run an ``rlipv2`` command; its standard output."""
    done = subprocess.run([*RLIPV2, *arguments], capture_output=True, text=True,
                          env=environment, cwd=REPOSITORY)
    if done.returncode != 0:
        raise SystemExit(f"rlipv2 {arguments[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def demo_tagger(root: Path, world: Path) -> Path:
    """A tiny demo tagger trained for two steps on the pool's human relations."""
    rlipv2("ingest", "vg", str(world / "vg" / "image_data.json"),
           "--objects", str(world / "vg" / "objects.json"),
           "--relationships", str(world / "vg" / "relationships.json"),
           "--image-root", str(world / "images"), "--dataset", "demo_vg", "--out",
           str(root / "vg"))
    rlipv2("tiny-text-encoder", str(root / "text_encoder"), "--scene-graphs",
           str(root / "vg" / "scene_graphs"))
    overrides = [
        f'output_dir="{root / "tagger"}"', "optimization.epochs=1", "max_steps_per_epoch=2",
        f'model.text_encoder.name_or_path="{root / "text_encoder"}"',
        f'data.sources=[{{scene_graphs_dir="{root / "vg" / "scene_graphs"}", '
        f'image_root="{world / "images"}"}}]',
        f"data.transform.eval_shorter_side={EVAL_SIDE}",
        f"data.transform.shorter_sides=[{EVAL_SIDE}]", "data.transform.max_size=512",
    ]
    rlipv2("train-tagger", "--config", str(REPOSITORY / "configs" / "tagger_demo.toml"),
           *[part for override in overrides for part in ("--set", override)])
    return root / "tagger" / "checkpoints" / "checkpoint-000001.pt"


def repeated_dataset(world: Path, out_dir: Path, num_images: int) -> Path:
    """An ingested dataset of ``num_images`` images cycling through the pool's."""
    instances = json.loads((world / "annotations" / "instances.json").read_text())
    captions = json.loads((world / "annotations" / "captions.json").read_text())
    pool = instances["images"]
    by_image: dict[int, list[dict]] = {}
    for annotation in instances["annotations"]:
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    captions_of: dict[int, list[dict]] = {}
    for caption in captions["annotations"]:
        captions_of.setdefault(caption["image_id"], []).append(caption)
    images, annotations, caption_rows = [], [], []
    for image_id in range(1, num_images + 1):
        source = pool[(image_id - 1) % len(pool)]
        images.append(source | {"id": image_id})
        annotations += [
            annotation | {"id": len(annotations) + index + 1, "image_id": image_id}
            for index, annotation in enumerate(by_image.get(source["id"], []))
        ]
        caption_rows += [
            caption | {"id": len(caption_rows) + index + 1, "image_id": image_id}
            for index, caption in enumerate(captions_of.get(source["id"], []))
        ]
    out_dir.mkdir(parents=True)
    (out_dir / "instances.json").write_text(
        json.dumps(instances | {"images": images, "annotations": annotations})
    )
    (out_dir / "captions.json").write_text(
        json.dumps(captions | {"images": images, "annotations": caption_rows})
    )
    ingest_coco_dataset(out_dir / "instances.json", captions_json=out_dir / "captions.json",
                        out_dir=out_dir / "dataset", dataset="demo", split="train",
                        image_root=world / "images")
    return out_dir / "dataset"


def stage_seconds(out_dir: Path) -> dict[str, float]:
    """Summed compute seconds of every stage's shards (their manifests under ``out_dir``)."""
    seconds = dict.fromkeys(LABEL_STAGES, 0.0)
    for manifest_file in (out_dir / "work").glob("*/shard-*/manifest.json"):
        manifest = ShardManifest.model_validate_json(manifest_file.read_text())
        seconds[manifest.stage] += manifest.seconds
    return seconds


def task_runs(prefect_home: Path) -> int:
    with sqlite3.connect(prefect_home / "prefect.db") as database:
        return database.execute("SELECT count(*) FROM task_run").fetchone()[0]


def label_once(dataset: Path, world: Path, tagger: Path, out_dir: Path, arguments) -> dict:
    prefect_home = out_dir.with_name(out_dir.name + "-prefect")
    environment = os.environ | {"PREFECT_HOME": str(prefect_home),
                                "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    environment.pop("PREFECT_API_URL", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_PROGRAM, "label", "--dataset", str(dataset),
         "--out", str(out_dir), "--tagger-checkpoint", str(tagger), "--image-root",
         str(world / "images"), "--captioner", "existing", "--vocabulary", "demo",
         "--images-per-shard", str(arguments.images_per_shard), "--tagger-device", "cpu",
         "--max-workers", str(arguments.max_workers)],
        capture_output=True, text=True, env=environment, cwd=REPOSITORY,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"rlipv2 label failed:\n{done.stderr[-3000:]}")
    peak_kib = int(done.stdout.rsplit("peak_rss_kib ", 1)[1].split()[0])
    return {"wall": wall, "peak_mib": peak_kib / 1024, "stages": stage_seconds(out_dir),
            "task_runs": task_runs(prefect_home)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000", help="dataset sizes, comma-separated")
    parser.add_argument("--pool", type=int, default=64, help="distinct demo images")
    parser.add_argument("--images-per-shard", type=int, default=100)
    parser.add_argument("--max-workers", type=int, default=2, help="the flow's task threads")
    parser.add_argument("--tagger-checkpoint", type=Path, help="default: train a demo tagger")
    parser.add_argument("--work-dir", type=Path, help="default: a temporary directory")
    arguments = parser.parse_args(argv)
    sizes = [int(size) for size in arguments.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=arguments.work_dir) as directory:
        root = Path(directory)
        world = write_demo_world(root / "world", num_images=arguments.pool, seed=0).root
        tagger = arguments.tagger_checkpoint or demo_tagger(root, world)
        print(f"pool {arguments.pool} images, {arguments.images_per_shard} images per shard, "
              f"{arguments.max_workers} task threads, tagger {tagger.name}")
        print("images  stage         images/s   (summed shard seconds)")
        for size in sizes:
            dataset = repeated_dataset(world, root / f"data-{size}", size)
            load = os.getloadavg()[0]
            result = label_once(dataset, world, tagger, root / f"label-{size}", arguments)
            for stage, seconds in result["stages"].items():
                print(f"{size:6d}  {stage:12s}  {size / max(seconds, 1e-9):9.1f}   "
                      f"({seconds:.1f} s)")
            planned = label_task_runs(size, arguments.images_per_shard)
            print(f"{size:6d}  whole run     {size / result['wall']:9.1f}   ({result['wall']:.0f} s"
                  f" wall); peak RSS {result['peak_mib']:.0f} MiB; Prefect task runs "
                  f"{result['task_runs']} (plan: {planned}); load {load:.1f} -> "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

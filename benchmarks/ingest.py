"""Benchmark: streaming ingest of an Objects365-shaped instances JSON.

Writes COCO-shaped annotation files of two sizes with the demo world's annotation writer
(no images are drawn), ingests each in a fresh child process, and prints images/s, boxes/s
and the child's peak RSS. Time should scale linearly with size, and peak RSS stay far below
2 GiB: memory is bounded by compact id indexes, not by the file.

    .venv/bin/python benchmarks/ingest.py --images 100000 200000
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from demo_world import write_coco_shaped_annotations
from pipeline.ingest import ingest_coco_dataset


def _ingest(instances: Path, out_dir: Path, queue: multiprocessing.Queue) -> None:
    started = time.perf_counter()
    summary = ingest_coco_dataset(instances, out_dir=out_dir, dataset="objects365", split="train")
    seconds = time.perf_counter() - started
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((summary.counts.images, summary.counts.entities, seconds, peak_rss_kib))


def measure(num_images: int, work_dir: Path) -> dict[str, float]:
    instances = work_dir / f"objects365_{num_images}.json"
    started = time.perf_counter()
    write_coco_shaped_annotations(instances, num_images=num_images, seed=0, dataset="objects365")
    generate_seconds = time.perf_counter() - started
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_ingest, args=(instances, work_dir / f"out_{num_images}", queue))
    child.start()
    images, entities, seconds, peak_rss_kib = queue.get()
    child.join()
    return {
        "images": images,
        "entities": entities,
        "file_mib": instances.stat().st_size / 2**20,
        "generate_s": generate_seconds,
        "ingest_s": seconds,
        "images_per_s": images / seconds,
        "entities_per_s": entities / seconds,
        "peak_rss_mib": peak_rss_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[100_000, 200_000])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rlipv2-ingest-bench-") as temporary:
        results = [measure(num_images, Path(temporary)) for num_images in arguments.images]
    print(f"{'images':>9} {'boxes':>10} {'file MiB':>9} {'ingest s':>9} {'images/s':>9} "
          f"{'boxes/s':>9} {'peak RSS MiB':>13}")
    for result in results:
        print(
            f"{result['images']:>9,} {result['entities']:>10,} {result['file_mib']:>9.1f} "
            f"{result['ingest_s']:>9.1f} {result['images_per_s']:>9,.0f} "
            f"{result['entities_per_s']:>9,.0f} {result['peak_rss_mib']:>13.0f}"
        )
    if len(results) >= 2:
        size_ratio = results[-1]["images"] / results[0]["images"]
        time_ratio = results[-1]["ingest_s"] / results[0]["ingest_s"]
        print(f"size x{size_ratio:.2f} -> time x{time_ratio:.2f} (linear: equal ratios)")


if __name__ == "__main__":
    main()

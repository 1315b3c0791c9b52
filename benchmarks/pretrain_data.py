"""Benchmark: the pre-training reader at real scale: memory, start-up and items/s.

Writes synthetic COCO-like ``scene_graphs`` tables (9 objects and 12 pseudo-labelled relations
per image, confidences uniform in [0.05, 1], so the 0.2 threshold drops about one in six), whose
``file_name``s cycle through a small pool of real JPEG files, so that header checks and decoding
are real. Each measurement runs in a fresh process and prints:

- resident bytes per image after reading (RSS growth of the process over the reading, which
  includes the memory-mapped annotation pages it touched) and the annotation store's size per
  image (all of it, as if every page were resident);
- the private memory (Private_Dirty of ``/proc/PID/smaps_rollup``) of 4 DataLoader workers after
  one pass, less what such workers hold after 10 passes over a 1,000-image table (interpreter,
  torch, decoders, buffers: their steady state), against 10% of the annotation store;
- start-up time by phase (read, filter and pair, header check) and the cache hit of a second
  process (another rank on the host), with its private memory after decoding every annotation;
- items/s of the pass (decoding, augmentation and collation of every image).

    .venv/bin/python benchmarks/pretrain_data.py                      # 100k and 1M images
    .venv/bin/python benchmarks/pretrain_data.py --images 100000 --work-dir /tmp/pretrain-data
"""

import argparse
import gc
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image
from torch.utils.data import Dataset

import data_schemas as ds
from data_schemas.scene_graphs import SCENE_GRAPH_OBJECT_TYPE, SCENE_GRAPH_RELATIONSHIP_TYPE
from model.data import (
    CropConfig,
    PretrainDataConfig,
    SceneGraphDataset,
    SceneGraphSource,
    TransformConfig,
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_train_transform,
    read_training_annotations,
)

MIB = 2**20
TARGET_BYTES_PER_IMAGE = 600
TARGET_WORKER_SHARE = 0.10
BASELINE_PASSES = 10  # a worker's own memory (decoders, buffers) settles within ~2,000 items
OBJECTS_PER_IMAGE = 9
RELATIONS_PER_IMAGE = 12
ROWS_PER_SHARD = 100_000
POOL_SIZES = ((64, 48), (48, 64), (64, 43), (56, 56))
COCO_NAMES = (
    "person|bicycle|car|motorcycle|airplane|bus|train|truck|boat|traffic light|fire hydrant|"
    "stop sign|parking meter|bench|bird|cat|dog|horse|sheep|cow|elephant|bear|zebra|giraffe|"
    "backpack|umbrella|handbag|tie|suitcase|frisbee|skis|snowboard|sports ball|kite|baseball bat|"
    "baseball glove|skateboard|surfboard|tennis racket|bottle|wine glass|cup|fork|knife|spoon|"
    "bowl|banana|apple|sandwich|orange|broccoli|carrot|hot dog|pizza|donut|cake|chair|couch|"
    "potted plant|bed|dining table|toilet|tv|laptop|mouse|remote|keyboard|cell phone|microwave|"
    "oven|toaster|sink|refrigerator|book|clock|vase|scissors|teddy bear|hair drier|toothbrush"
).split("|")
PREDICATES = (
    "on|has|wearing|of|in|near|behind|with|holding|above|sitting on|riding|under|standing on|"
    "in front of|attached to|carrying|looking at|next to|parked on|walking on|eating|watching|"
    "playing|covering|laying on|hanging from|using|on top of|against|beside|inside|pulling|"
    "leaning on|flying|throwing|cutting|drinking|feeding|petting|to the left of|to the right of"
).split("|")


def write_image_pool(directory: Path, count: int, seed: int) -> list[tuple[str, int, int]]:
    """``count`` JPEG files of COCO-like aspect ratios; (file name, width, height) each."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    pool = []
    for index in range(count):
        width, height = POOL_SIZES[index % len(POOL_SIZES)]
        pixels = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
        image = Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR)
        name = f"pool-{index:03d}.jpg"
        image.save(directory / name, quality=90)
        pool.append((name, width, height))
    return pool


def synthetic_shard(first_image_id: int, num_images: int,
                    pool: list[tuple[str, int, int]], rng: np.random.Generator) -> pa.Table:
    """``num_images`` scene graphs built column-wise (the record types would take minutes)."""
    image_ids = np.arange(first_image_id, first_image_id + num_images, dtype=np.int64)
    choice = image_ids % len(pool)
    widths = np.array([width for _, width, _ in pool], dtype=np.int32)[choice]
    heights = np.array([height for _, _, height in pool], dtype=np.int32)[choice]
    num_objects, num_relations = num_images * OBJECTS_PER_IMAGE, num_images * RELATIONS_PER_IMAGE
    object_width = np.repeat(widths, OBJECTS_PER_IMAGE).astype(np.float64)
    object_height = np.repeat(heights, OBJECTS_PER_IMAGE).astype(np.float64)
    x1 = rng.uniform(0, 0.6, num_objects) * object_width
    y1 = rng.uniform(0, 0.6, num_objects) * object_height
    x2 = np.minimum(x1 + rng.uniform(0.1, 0.4, num_objects) * object_width, object_width)
    y2 = np.minimum(y1 + rng.uniform(0.1, 0.4, num_objects) * object_height, object_height)
    entity_ids = np.tile(np.arange(1, OBJECTS_PER_IMAGE + 1, dtype=np.int64), num_images)
    names = pa.array(COCO_NAMES)
    categories = rng.integers(0, len(COCO_NAMES), num_objects)
    objects = pa.StructArray.from_arrays(
        [pa.array(entity_ids), pa.array(categories.astype(np.int64) + 1), names.take(categories),
         pa.array(x1), pa.array(y1), pa.array(x2), pa.array(y2)],
        fields=list(SCENE_GRAPH_OBJECT_TYPE),
    )
    subjects = rng.integers(1, OBJECTS_PER_IMAGE + 1, num_relations)
    offsets = rng.integers(1, OBJECTS_PER_IMAGE, num_relations)  # another object of the image
    objects_of = (subjects - 1 + offsets) % OBJECTS_PER_IMAGE + 1
    relationships = pa.StructArray.from_arrays(
        [pa.array(np.arange(num_relations, dtype=np.int64) + first_image_id * RELATIONS_PER_IMAGE),
         pa.array(subjects), pa.array(objects_of),
         pa.array(PREDICATES).take(rng.integers(0, len(PREDICATES), num_relations)),
         pa.array(rng.uniform(0.05, 1.0, num_relations))],
        fields=list(SCENE_GRAPH_RELATIONSHIP_TYPE),
    )

    def lists(values: pa.Array, per_image: int) -> pa.ListArray:
        offsets = pa.array(np.arange(0, num_images * per_image + 1, per_image, dtype=np.int32))
        return pa.ListArray.from_arrays(offsets, values)

    file_names = pa.array([name for name, _, _ in pool]).take(choice)
    return pa.Table.from_arrays(
        [pa.array(image_ids), pa.array(["coco_like"] * num_images),
         pa.array(["train"] * num_images), file_names, pa.array(widths), pa.array(heights),
         lists(objects, OBJECTS_PER_IMAGE), lists(relationships, RELATIONS_PER_IMAGE)],
        schema=ds.SCENE_GRAPHS.schema,
    )


def write_synthetic_tables(directory: Path, num_images: int,
                           pool: list[tuple[str, int, int]], seed: int) -> Path:
    """A ``scene_graphs`` table of ``num_images`` rows in shards of :data:`ROWS_PER_SHARD`."""
    rng = np.random.default_rng(seed)
    for shard, first in enumerate(range(0, num_images, ROWS_PER_SHARD)):
        table = synthetic_shard(first, min(ROWS_PER_SHARD, num_images - first), pool, rng)
        ds.write_table_atomic(table, ds.shard_path(directory, shard), ds.SCENE_GRAPHS)
    return directory


def memory_of(pid: int | str = "self") -> dict[str, int]:
    """Rss, Pss, Private_Clean and Private_Dirty of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":")
        values[key] = int(value.split()[0]) * 1024
    return values


class MemoryReportingCollator:
    """The pretraining collator, also returning the worker's pid and memory after the batch."""

    def __init__(self, collator) -> None:
        self.collator = collator

    def __call__(self, samples):
        batch = self.collator(samples)
        return batch, os.getpid(), memory_of()


class Repeated(Dataset):
    """A dataset's items ``times`` over: a long pass over few annotations."""

    def __init__(self, dataset: Dataset, times: int) -> None:
        self.dataset = dataset
        self.times = times

    def __len__(self) -> int:
        return len(self.dataset) * self.times

    def __getitem__(self, index: int):
        return self.dataset[index % len(self.dataset)]


@dataclass(frozen=True)
class LoaderPass:
    """One pass over a dataset: items/s and each worker's memory after its last batch."""

    items: int
    seconds: float
    worker_memory: tuple[dict[str, int], ...]

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds

    @property
    def private_dirty(self) -> int:
        return sum(memory["Private_Dirty"] for memory in self.worker_memory)


def loader_pass(dataset, collator, *, num_workers: int, batch_size: int, seed: int) -> LoaderPass:
    """Every item of ``dataset`` once, shuffled, through ``num_workers`` DataLoader workers."""
    loader = build_data_loader(dataset, collator=MemoryReportingCollator(collator),
                               batch_size=batch_size, shuffle=True, num_workers=num_workers,
                               seed=seed, distributed=False)
    last_memory: dict[int, dict[str, int]] = {}
    items = 0
    start = time.perf_counter()
    for batch, pid, memory in loader:
        items += batch.batch_size
        last_memory[pid] = memory
    return LoaderPass(items=items, seconds=time.perf_counter() - start,
                      worker_memory=tuple(last_memory.values()))


def data_config(table: Path, image_root: Path) -> PretrainDataConfig:
    """Pre-training data at the paper's threshold, with transforms sized to the small pool."""
    return PretrainDataConfig(
        sources=(SceneGraphSource(table, image_root),),
        transform=TransformConfig(
            shorter_sides=(32, 40, 48), max_size=80, eval_shorter_side=40,
            crop=CropConfig(probability=0.5, pre_crop_shorter_sides=(40, 48), min_size=24,
                            max_size=40),
        ),
    )


def store_bytes(annotations) -> int:
    return sum(
        path.stat().st_size
        for selection in annotations.selections
        for path in selection.store.directory.glob("*.bin")
    )


def warm_up(table: Path, image_root: Path, cache_dir: Path) -> None:
    """Read a small table once, so that what a first reading loads (modules, allocator pools)
    does not count as memory per image."""
    reading = read_training_annotations(data_config(table, image_root), cache_dir=cache_dir)
    build_label_vocabulary(reading.annotations)
    for annotation in reading.annotations:
        del annotation
    del reading
    gc.collect()


def measure(table: Path, image_root: Path, cache_dir: Path, *, small_table: Path,
            num_workers: int, batch_size: int, passes: int = 1) -> dict:
    """In a fresh process: read (start-up by phase), the memory it left, then one loader pass
    (or ``passes`` over the same images: the baseline's workers reach their steady state)."""
    config = data_config(table, image_root)
    warm_up(small_table, image_root, cache_dir)
    before = memory_of()
    start = time.perf_counter()
    reading = read_training_annotations(config, cache_dir=cache_dir)
    vocabulary = build_label_vocabulary(reading.annotations)
    dataset = SceneGraphDataset(reading.annotations, seed=config.seed,
                                transform=build_train_transform(config.transform))
    startup = time.perf_counter() - start
    after = memory_of()
    result = {
        "images": len(dataset),
        "images_read": reading.counts.images_read,
        "store_bytes": store_bytes(reading.annotations),
        "rss_growth": after["Rss"] - before["Rss"],
        "anonymous_growth": after["Anonymous"] - before["Anonymous"],
        "read_s": reading.times.read_seconds,
        "pair_s": reading.times.pair_seconds,
        "header_s": reading.times.header_check_seconds,
        "startup_s": startup,
    }
    loader_result = loader_pass(Repeated(dataset, passes),
                                build_pretrain_collator(config, vocabulary),
                                num_workers=num_workers, batch_size=batch_size, seed=config.seed)
    return result | {"items_per_s": loader_result.items_per_second,
                     "workers_private_dirty": loader_result.private_dirty}


def measure_other_rank(table: Path, image_root: Path, cache_dir: Path, *,
                       small_table: Path) -> dict:
    """In a fresh process, as another rank of the host: find the store, decode every image."""
    warm_up(small_table, image_root, cache_dir)
    before = memory_of()
    start = time.perf_counter()
    reading = read_training_annotations(data_config(table, image_root), cache_dir=cache_dir)
    startup = time.perf_counter() - start
    pairs = sum(len(annotation.pairs) for annotation in reading.annotations)
    after = memory_of()
    return {"startup_s": startup, "pairs": pairs, "read_s": reading.times.read_seconds,
            "private_dirty_growth": after["Private_Dirty"] - before["Private_Dirty"]}


def _put_result(queue: multiprocessing.Queue, function, args: tuple, kwargs: dict) -> None:
    queue.put(function(*args, **kwargs))


def in_fresh_process(function, *args, **kwargs) -> dict:
    """``function(*args, **kwargs)`` in a new interpreter (its memory starts from nothing)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_put_result, args=(queue, function, args, kwargs))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pool-size", type=int, default=32)
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where tables and stores go (default: a temporary directory)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = arguments.work_dir or Path(temporary)
        pool = write_image_pool(work / "images", arguments.pool_size, seed=0)
        small_table = write_synthetic_tables(work / "reference", 1_000, pool, seed=1)
        options = {"num_workers": arguments.workers, "batch_size": arguments.batch_size,
                   "small_table": small_table}
        reference = in_fresh_process(measure, small_table, work / "images", work / "cache",
                                     passes=BASELINE_PASSES, **options)
        print(f"{arguments.workers} workers over 1,000 images {BASELINE_PASSES} times (their "
              f"baseline): {reference['workers_private_dirty'] / MIB:.0f} MiB private")
        print_header()
        rows = []
        for num_images in arguments.images:
            table = write_synthetic_tables(work / f"tables-{num_images}", num_images, pool,
                                           seed=num_images)
            result = in_fresh_process(measure, table, work / "images", work / "cache", **options)
            other = in_fresh_process(measure_other_rank, table, work / "images", work / "cache",
                                     small_table=small_table)
            print_row(num_images, result, other, reference)
            rows.append((num_images, result, other))
        print_verdicts(rows, reference, arguments.workers)


def verdict(value: float, target: float) -> str:
    return "meets" if value <= target else "MISSES"


def print_header() -> None:
    print(f"{'images':>9} {'kept':>9} {'store B':>8} {'RSS +B':>7} {'anon +B':>7} "
          f"{'read s':>7} {'pair s':>7} {'hdr s':>7} {'total s':>8} {'items/s':>8} "
          f"{'workers +MiB':>12} {'rank 2 s':>8} {'rank 2 +MiB':>11}", flush=True)


def print_row(num_images: int, result: dict, other: dict, reference: dict) -> None:
    kept = result["images"]
    workers = (result["workers_private_dirty"] - reference["workers_private_dirty"]) / MIB
    print(f"{num_images:>9,} {kept:>9,} {result['store_bytes'] / kept:>8.0f} "
          f"{result['rss_growth'] / kept:>7.0f} {result['anonymous_growth'] / kept:>7.0f} "
          f"{result['read_s']:>7.1f} {result['pair_s']:>7.1f} {result['header_s']:>7.1f} "
          f"{result['startup_s']:>8.1f} {result['items_per_s']:>8.0f} {workers:>12.1f} "
          f"{other['startup_s']:>8.1f} {other['private_dirty_growth'] / MIB:>11.1f}", flush=True)


def print_verdicts(rows: list[tuple[int, dict, dict]], reference: dict, num_workers: int) -> None:
    print("store B: the annotation store per kept image (all of it, as if resident); RSS +B: "
          "resident growth of the reading process per kept image (anon +B: of it, private "
          f"memory); workers +MiB: Private_Dirty of {num_workers} DataLoader workers after one "
          f"pass, less that of workers after {BASELINE_PASSES} passes over 1,000 images; rank 2: "
          "another process of the host "
          "finding the store and decoding every image")
    for num_images, result, _ in rows:
        kept = result["images"]
        resident = result["rss_growth"] / kept
        workers = result["workers_private_dirty"] - reference["workers_private_dirty"]
        share = workers / result["store_bytes"]
        print(f"{num_images:,} images: resident {resident:.0f} B/image "
              f"({verdict(resident, TARGET_BYTES_PER_IMAGE)} <= {TARGET_BYTES_PER_IMAGE}); "
              f"workers' private memory {workers / MIB:.1f} MiB = {share:.1%} of the "
              f"{result['store_bytes'] / MIB:.0f} MiB store "
              f"({verdict(share, TARGET_WORKER_SHARE)} <= {TARGET_WORKER_SHARE:.0%})")
    if len(rows) > 1:
        (small, first, _), (large, last, _) = rows[0], rows[-1]
        print(f"start-up x{last['startup_s'] / first['startup_s']:.2f} for x{large / small:.0f} "
              "images (linear: equal ratios)")


if __name__ == "__main__":
    main()

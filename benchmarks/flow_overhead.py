"""Benchmark: the Prefect labelling flow against the same stage functions in a plain loop.

Builds a demo world (COCO-format annotations with captions, VG relations for a tiny tagger),
then labels it with four variants, each ``--repeats`` times in turn (interleaved, so that a
slow spell of the machine hits all of them), into fresh output directories, in one process:

* ``loop``: the ``pipeline.labelling`` jobs called one after the other on the main thread;
* ``loop, worker thread``: the same loop in one worker thread, set up as the flow's worker
  threads are (one torch intra-op thread): the like-for-like baseline of the next variant;
* ``flow, 1 thread``: the ``label`` flow with one worker thread: the same work, serially, plus
  Prefect's task runs, states, caching, progress and report artifacts;
* ``flow, N threads``: the flow with N worker threads (the default 4): what a user runs.

Whole runs on a small shared machine vary by +-10% from one run to the next, more than the
overhead looked for; so each run also clocks the time spent inside the stages' functions (the
split, and each stage's work on a shard, wherever it is called: the loop, or the flow's tasks),
and what is left, the run's time outside them, is compared within each repeat. Prefect's overhead is that outside time of ``flow,
1 thread`` less that of ``loop, worker thread``, as a share of the loop's run time. Medians are
reported. Models are loaded afresh for every run. Prefect's server is started once, before
timing (as with ``rlipv2 server``; ``rlipv2 label`` also starts a temporary one, reported
apart).

    .venv/bin/python benchmarks/flow_overhead.py --images 800 --images-per-shard 200
"""

import argparse
import functools
import logging
import os
import statistics
import threading
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from demo_world import write_demo_world
from demo_world.vocabulary import demo_label_texts
from flows import label_tasks, loaded_models
from flows.label_flow import label, resolve_plan
from flows.label_parameters import LabelParameters
from model.config_file import load_config_file
from model.random_text_encoder import save_random_text_encoder
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import (
    LABEL_STAGES,
    caption_stage,
    match_stage,
    parse_stage,
    scene_graph_stage,
    shard_loop,
    tag_stage,
)
from pipeline.labelling.shard_loop import StageModels, run_shards
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.train_tagger import run_tagger_training

REPOSITORY = Path(__file__).resolve().parents[1]
STAGE_FUNCTIONS = {
    shard_loop: ("run_split_job",),
    label_tasks: ("run_split_job", "caption_shard", "tag_shard"),
    caption_stage: ("caption_shard",),
    parse_stage: ("parse_shard",),
    match_stage: ("match_shard",),
    tag_stage: ("tag_shard",),
    scene_graph_stage: ("scene_graph_shard",),
}
"""The stages' functions, by the module that calls them by name (loop, tasks and jobs alike)."""


class StageClock:
    """Seconds spent inside the stages' functions, summed over all threads."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def timed(self, job: Callable) -> Callable:
        @functools.wraps(job)
        def timed_job(*args, **kwargs):
            started = time.perf_counter()
            try:
                return job(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        return timed_job

    def install(self) -> None:
        """Time the stages' functions where the loop, the flow's tasks and the jobs call them."""
        for module, names in STAGE_FUNCTIONS.items():
            for name in names:
                setattr(module, name, self.timed(getattr(module, name)))


def plain_loop(parameters: LabelParameters) -> float:
    """Seconds to label with the stage jobs called in a loop (no Prefect)."""
    started = time.perf_counter()
    plan = resolve_plan.fn(parameters)
    models = StageModels(
        parser=loaded_models.caption_parser(plan.parser),
        matcher=loaded_models.phrase_matcher(
            plan.settings.vocabulary, plan.settings.synonyms_file
        ),
        scorer=loaded_models.tagger_scorer(
            plan.tagger_checkpoint, plan.tagger_checksum, plan.settings.tagger_device
        ),
    )
    plan.publish(run_shards(plan, LABEL_STAGES, models))
    return time.perf_counter() - started


def loop_in_worker_thread(parameters: LabelParameters) -> float:
    """Seconds for :func:`plain_loop` in one worker thread with the flow workers' torch set-up."""

    def in_thread() -> float:
        label_tasks.use_one_torch_thread_off_the_main_thread()
        return plain_loop(parameters)

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(in_thread).result()


def flow_run(parameters: LabelParameters) -> float:
    """Seconds to label with the ``label`` flow."""
    started = time.perf_counter()
    label(parameters)
    return time.perf_counter() - started


def demo_inputs(work: Path, num_images: int) -> tuple[Path, Path]:
    """An ingested demo world and a tiny tagger trained for one step on its relations."""
    world = write_demo_world(work / "world", num_images=num_images, seed=7)
    ingest_coco_dataset(world.instances_json, captions_json=world.captions_json,
                        image_root=world.images_dir, out_dir=work / "coco", dataset="demo",
                        split="train")
    ingest_visual_genome_dataset(world.vg_image_data_json,
                                 relationships_json=world.vg_relationships_json,
                                 objects_json=world.vg_objects_json, out_dir=work / "vg",
                                 dataset="demo_vg", split="train")
    encoder = save_random_text_encoder(work / "text_encoder", demo_label_texts() + ["no objects"])
    config = load_config_file(
        REPOSITORY / "configs" / "tagger_demo.toml",
        TaggerTrainingConfig,
        [
            f'output_dir="{work / "tagger"}"', "optimization.epochs=1", "max_steps_per_epoch=1",
            f'model.text_encoder.name_or_path="{encoder}"',
            f'data.sources=[{{scene_graphs_dir="{work / "vg" / "scene_graphs"}", '
            f'image_root="{world.images_dir}"}}]',
        ],
    )
    run_tagger_training(config)
    return work / "coco", work / "tagger" / "checkpoints" / "checkpoint-000001.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=800)
    parser.add_argument("--images-per-shard", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    variants: dict[str, tuple[Callable[[LabelParameters], float], int]] = {
        "loop": (plain_loop, 1),
        "loop, worker thread": (loop_in_worker_thread, 1),
        "flow, 1 thread": (flow_run, 1),
        f"flow, {arguments.threads} threads": (flow_run, arguments.threads),
    }
    clock = StageClock()
    clock.install()
    with tempfile.TemporaryDirectory(prefix="rlipv2-flow-overhead-") as temporary:
        work = Path(temporary)
        dataset, checkpoint = demo_inputs(work, arguments.images)
        started = time.perf_counter()
        with prefect_test_harness():
            server_seconds = time.perf_counter() - started
            wall: dict[str, list[float]] = {name: [] for name in variants}
            outside: dict[str, list[float]] = {name: [] for name in variants}
            for repeat in range(arguments.repeats):
                for name, (run, threads) in variants.items():
                    loaded_models.clear()
                    clock.seconds = 0.0
                    out_dir = work / f"{name.replace(' ', '_').replace(',', '')}-{repeat}"
                    seconds = run(LabelParameters(
                        dataset_dir=dataset, out_dir=out_dir, tagger_checkpoint=checkpoint,
                        vocabulary="demo", images_per_shard=arguments.images_per_shard,
                        tagger_device="auto", max_workers=threads,
                    ))
                    wall[name].append(seconds)
                    outside[name].append(seconds - clock.seconds)
    median = {name: statistics.median(seconds) for name, seconds in wall.items()}
    shards = -(-arguments.images // arguments.images_per_shard)
    print(f"labelling {arguments.images} demo images in {shards} shards "
          f"({arguments.images_per_shard} images each, 6 stages), median of "
          f"{arguments.repeats} runs")
    print(f"{'variant':<22} {'seconds':>8} {'images/s':>9} {'vs loop':>8} "
          f"{'outside stage jobs':>19}")
    for name, seconds in median.items():
        serial = variants[name][1] == 1  # with parallel shards, stage time exceeds run time
        rest = f"{statistics.median(outside[name]):>18.2f}s" if serial else f"{'-':>19}"
        print(f"{name:<22} {seconds:>8.2f} {arguments.images / seconds:>9.1f} "
              f"{seconds / median['loop'] - 1:>+8.1%} {rest}")
    prefect_seconds = statistics.median(
        flow - loop
        for flow, loop in zip(outside["flow, 1 thread"], outside["loop, worker thread"],
                              strict=True)
    )
    print(f"Prefect's overhead (flow, 1 thread against loop, worker thread; outside the stage "
          f"jobs): {prefect_seconds:.2f}s per run, {prefect_seconds / median['loop']:.1%} of "
          f"the loop's run time")
    print("all runs, seconds: " + "; ".join(
        f"{name}: {', '.join(f'{total:.1f}' for total in wall[name])}" for name in variants))
    print(f"Prefect server start (once, not in the timings): {server_seconds:.1f}s")


if __name__ == "__main__":
    main()

"""Benchmark: the Prefect labelling flow against the same stage functions in a plain loop.

Builds a demo world (COCO-format annotations with captions, VG relations for a tiny tagger),
then labels it three times into fresh output directories, in one process:

* ``plain loop``: the ``pipeline.labelling`` jobs called one after the other;
* ``flow, 1 thread``: the ``label`` flow with one worker thread (the same work, serially, plus
  Prefect's task runs, states, caching and artifacts): the orchestration overhead;
* ``flow, N threads``: the flow with its default thread pool.

Models are loaded afresh for every variant. Prefect's server is started once, before timing
(as with ``rlipv2 server``; ``rlipv2 label`` also starts a temporary one, reported apart).

    .venv/bin/python benchmarks/flow_overhead.py --images 400 --images-per-shard 50
"""

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from flows import loaded_models
from flows.label_flow import label, resolve_plan
from flows.label_parameters import LabelParameters
from model.config_file import load_config_file
from model.random_text_encoder import save_random_text_encoder
from pipeline.demo_world import write_demo_world
from pipeline.demo_world.vocabulary import DEMO_CATEGORIES, DEMO_PREDICATES
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SCENE_GRAPH_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
    run_caption_job,
    run_match_job,
    run_parse_job,
    run_scene_graph_job,
    run_split_job,
    run_tag_job,
)
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.train_tagger import run_tagger_training

REPOSITORY = Path(__file__).resolve().parents[1]


def plain_loop(parameters: LabelParameters) -> float:
    """Seconds to label with the stage jobs called in a loop (no Prefect)."""
    started = time.perf_counter()
    plan = resolve_plan.fn(parameters)
    store = plan.store()
    parser = loaded_models.caption_parser(plan.parser)
    matcher = loaded_models.phrase_matcher(plan.vocabulary, plan.synonyms_file)
    scorer = loaded_models.tagger_scorer(
        plan.tagger_checkpoint, plan.tagger_checksum, plan.tagger_device
    )
    stages = {stage: [] for stage in (CAPTION_STAGE, PARSE_STAGE, MATCH_STAGE, TAG_STAGE)}
    stages[SPLIT_STAGE] = run_split_job(plan.split_job(), store)
    for split in stages[SPLIT_STAGE]:
        captions = run_caption_job(plan.caption_job(split), store, None)
        triplets = run_parse_job(plan.parse_job(captions), store, parser)
        candidates = run_match_job(plan.match_job(split, triplets), store, matcher)
        tagged = run_tag_job(plan.tag_job(split, candidates), store, scorer,
                             max_pairs_per_call=scorer.max_pairs)
        for stage, manifest in zip(stages, (captions, triplets, candidates, tagged)):
            stages[stage].append(manifest)
    stages[SCENE_GRAPH_STAGE] = [
        run_scene_graph_job(job, store)
        for job in plan.scene_graph_jobs(stages[SPLIT_STAGE], stages[TAG_STAGE])
    ]
    plan.publish(stages)
    return time.perf_counter() - started


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
    texts = ([category.name for category in DEMO_CATEGORIES]
             + [predicate.name for predicate in DEMO_PREDICATES] + ["no objects"])
    encoder = save_random_text_encoder(work / "text_encoder", texts)
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
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--images-per-shard", type=int, default=50)
    parser.add_argument("--threads", type=int, default=4)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory(prefix="rlipv2-flow-overhead-") as temporary:
        work = Path(temporary)
        dataset, checkpoint = demo_inputs(work, arguments.images)

        def parameters(name: str, threads: int) -> LabelParameters:
            return LabelParameters(
                dataset_dir=dataset, out_dir=work / name, tagger_checkpoint=checkpoint,
                vocabulary="demo", images_per_shard=arguments.images_per_shard,
                tagger_device="auto", max_workers=threads,
            )

        started = time.perf_counter()
        with prefect_test_harness():
            server_seconds = time.perf_counter() - started
            timings = {}
            for name, run, threads in (
                ("plain loop", plain_loop, 1),
                ("flow, 1 thread", flow_run, 1),
                (f"flow, {arguments.threads} threads", flow_run, arguments.threads),
            ):
                loaded_models.clear()
                timings[name] = run(parameters(name.replace(" ", "_").replace(",", ""), threads))
    baseline = timings["plain loop"]
    shards = -(-arguments.images // arguments.images_per_shard)
    print(f"labelling {arguments.images} demo images in {shards} shards "
          f"({arguments.images_per_shard} images each, 6 stages)")
    print(f"{'variant':<22} {'seconds':>8} {'images/s':>9} {'vs loop':>8}")
    for name, seconds in timings.items():
        print(f"{name:<22} {seconds:>8.2f} {arguments.images / seconds:>9.1f} "
              f"{seconds / baseline - 1:>+8.1%}")
    print(f"Prefect server start (once, not in the timings): {server_seconds:.1f}s")


if __name__ == "__main__":
    main()

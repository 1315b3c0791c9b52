"""``rlipv2 demo-data``: write the synthetic relational demo world; ``rlipv2 demo-quality``:
score a labelling run of it against its ground truth."""

import argparse
import shutil
from pathlib import Path

from data_schemas.relation_confidence import DEFAULT_RELATION_THRESHOLD
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling
from demo_world import DemoWorldPaths, write_demo_world
from demo_world.label_quality import measure_label_quality
from flows.cli_arguments import non_negative_int, positive_int
from flows.cli_inspect import confidence_cut
from flows.output_guard import check_output


def configure(demo: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 demo-data``."""
    demo.description = (
        "Write the synthetic relational demo world: PNG images drawn with PIL, COCO "
        "instances and captions JSON, and Visual Genome files with the ground-truth "
        "relations. Deterministic for a given --seed."
    )
    demo.add_argument("out", type=Path, help="output directory")
    demo.add_argument("--images", type=positive_int, default=64, help="number of images (64)")
    demo.add_argument("--seed", type=non_negative_int, default=0, help="random seed (0)")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    demo.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {}, overwrite=arguments.overwrite, option="OUT")
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    staging = new_temporary_sibling(arguments.out, "staging")
    try:  # a whole world or none: no stale files of an earlier one
        write_demo_world(staging, num_images=arguments.images, seed=arguments.seed)
        move_into_place(staging, arguments.out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    paths = DemoWorldPaths.under(arguments.out)
    print(f"demo world with {arguments.images} images written to {paths.root}")
    print(f"  images:        {paths.images_dir}")
    print(f"  instances:     {paths.instances_json}")
    print(f"  captions:      {paths.captions_json}")
    print(f"  relationships: {paths.vg_relationships_json}")


def configure_quality(quality: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 demo-quality``."""
    quality.description = (
        "Score a labelling run of the demo world against the world's ground truth: the "
        "precision and recall of the relations kept at a confidence cut (a relation is an "
        "image's subject, predicate and object; the caption phrases of a predicate count as it)."
    )
    quality.add_argument("run", type=Path, help="the labelling run's output directory (label --out)")
    quality.add_argument("--world", type=Path, required=True, help="the demo world (demo-data OUT)")
    quality.add_argument(
        "--min-confidence", type=confidence_cut, default=DEFAULT_RELATION_THRESHOLD,
        help=f"the cut (default {DEFAULT_RELATION_THRESHOLD:g}, pretraining's)",
    )
    quality.set_defaults(handler=_run_quality)


def _run_quality(arguments: argparse.Namespace) -> None:
    quality = measure_label_quality(
        arguments.run / SCENE_GRAPHS.name,
        DemoWorldPaths.under(arguments.world).vg_relationships_json,
        min_confidence=arguments.min_confidence,
    )
    print(
        f"relations kept at confidence >= {arguments.min_confidence:g}: {quality.kept:,}; "
        f"precision {quality.precision:.2f} ({quality.correct:,} of them in the ground truth), "
        f"recall {quality.recall:.2f} (of the world's {quality.ground_truth:,} relations)"
    )

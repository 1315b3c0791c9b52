"""``rlipv2 demo-data``: write the synthetic relational demo world."""

import argparse
import shutil

from pathlib import Path

from data_schemas.temporary_siblings import move_into_place, new_temporary_sibling
from demo_world import DemoWorldPaths, write_demo_world
from flows.cli_arguments import non_negative_int, positive_int
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

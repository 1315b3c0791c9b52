"""``rlipv2 demo-data``: write the synthetic relational demo world."""

import argparse

from pathlib import Path

from demo_world import write_demo_world
from flows.cli_arguments import non_negative_int, positive_int


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
    demo.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    paths = write_demo_world(arguments.out, num_images=arguments.images, seed=arguments.seed)
    print(f"demo world with {arguments.images} images written to {paths.root}")
    print(f"  images:        {paths.images_dir}")
    print(f"  instances:     {paths.instances_json}")
    print(f"  captions:      {paths.captions_json}")
    print(f"  relationships: {paths.vg_relationships_json}")

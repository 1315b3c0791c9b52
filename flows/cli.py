"""The ``rlipv2`` command line.

Subcommands:
    demo-data   write the synthetic demo world (images + COCO/VG annotation files)
    ingest      read COCO, Objects365 or Visual Genome files into versioned Parquet tables
"""

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from pipeline.demo_world import write_demo_world
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD, ingest_coco_dataset, ingest_visual_genome_dataset

logger = logging.getLogger("rlipv2")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlipv2", description="Relational pseudo-labelling and RLIPv2 pretraining."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo-data", help="write the synthetic demo world", description=_demo_help()
    )
    demo.add_argument("out", type=Path, help="output directory")
    demo.add_argument("--images", type=_positive_int, default=64, help="number of images (64)")
    demo.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (0)")
    demo.set_defaults(handler=_run_demo_data)

    ingest = commands.add_parser(
        "ingest", help="read dataset files into Parquet tables", description=_ingest_help()
    )
    formats = ingest.add_subparsers(dest="format", required=True, metavar="FORMAT")
    coco = formats.add_parser("coco", help="COCO instances JSON (+ optional captions JSON)")
    coco.add_argument("instances", type=Path, help="instances_<split>.json")
    coco.add_argument("--captions", type=Path, help="captions_<split>.json (human captions)")
    _add_common_ingest_options(coco, default_dataset="coco")
    coco.set_defaults(handler=_run_ingest_coco)
    objects365 = formats.add_parser(
        "objects365", help="Objects365 COCO-shaped JSON (streamed, any size)"
    )
    objects365.add_argument("instances", type=Path, help="zhiyuan_objv2_<split>.json")
    _add_common_ingest_options(objects365, default_dataset="objects365")
    objects365.set_defaults(handler=_run_ingest_coco, captions=None)
    visual_genome = formats.add_parser("vg", help="Visual Genome image_data/objects/relationships")
    visual_genome.add_argument("image_data", type=Path, help="image_data.json")
    visual_genome.add_argument(
        "--relationships", type=Path, required=True, help="relationships.json"
    )
    visual_genome.add_argument("--objects", type=Path, help="objects.json (optional)")
    _add_common_ingest_options(visual_genome, default_dataset="vg")
    visual_genome.set_defaults(handler=_run_ingest_visual_genome)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        arguments.handler(arguments)
    except RLIPv2InputError as error:
        print(f"rlipv2: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rlipv2: interrupted", file=sys.stderr)
        return 130
    return 0


def _run_demo_data(arguments: argparse.Namespace) -> None:
    paths = write_demo_world(arguments.out, num_images=arguments.images, seed=arguments.seed)
    print(f"demo world with {arguments.images} images written to {paths.root}")
    print(f"  images:        {paths.images_dir}")
    print(f"  instances:     {paths.instances_json}")
    print(f"  captions:      {paths.captions_json}")
    print(f"  relationships: {paths.vg_relationships_json}")


def _run_ingest_coco(arguments: argparse.Namespace) -> None:
    summary = ingest_coco_dataset(
        arguments.instances,
        captions_json=arguments.captions,
        out_dir=arguments.out,
        dataset=arguments.dataset,
        split=arguments.split,
        image_root=arguments.image_root,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())


def _run_ingest_visual_genome(arguments: argparse.Namespace) -> None:
    summary = ingest_visual_genome_dataset(
        arguments.image_data,
        objects_json=arguments.objects,
        relationships_json=arguments.relationships,
        out_dir=arguments.out,
        dataset=arguments.dataset,
        split=arguments.split,
        image_root=arguments.image_root,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())


def _add_common_ingest_options(parser: argparse.ArgumentParser, *, default_dataset: str) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output dataset directory")
    parser.add_argument(
        "--dataset", default=default_dataset, help=f"dataset name stored in rows ({default_dataset})"
    )
    parser.add_argument("--split", default="train", help="split name stored in rows (train)")
    parser.add_argument(
        "--image-root",
        type=Path,
        help="directory the file names are relative to; when given, missing files are rejected",
    )
    parser.add_argument(
        "--rows-per-shard",
        type=_positive_int,
        default=DEFAULT_ROWS_PER_SHARD,
        help=f"rows per Parquet shard ({DEFAULT_ROWS_PER_SHARD:,})",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def _non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def _demo_help() -> str:
    return (
        "Write the synthetic relational demo world: PNG images drawn with PIL, COCO instances "
        "and captions JSON, and Visual Genome files with the ground-truth relations. "
        "Deterministic for a given --seed."
    )


def _ingest_help() -> str:
    return (
        "Read dataset annotation files into versioned Parquet tables (images, categories, "
        "entities, captions, relations, scene_graphs, rejects) under --out. Crowd and "
        "degenerate boxes are dropped, boxes clipped to the image; every dropped record is "
        "kept in the rejects table with its reason. The output appears only when complete."
    )


if __name__ == "__main__":
    sys.exit(main())

"""``rlipv2 ingest {coco,objects365,vg}`` (and the relation benchmarks', the paper's scene-graph
JSON, reviewed Label Studio tasks): dataset files -> versioned Parquet tables."""

import argparse
from pathlib import Path

from flows.cli_arguments import add_output_options
from flows.cli_benchmark_ingest import add_benchmark_formats
from flows.cli_scene_graph_ingest import add_scene_graph_formats
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from flows.output_guard import check_output


def configure(ingest: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 ingest``."""
    ingest.description = (
        "Read dataset annotation files into versioned Parquet tables (images, categories, "
        "entities, captions, relations, scene_graphs, rejects) under --out. Crowd and "
        "degenerate boxes are dropped, boxes clipped to the image; every dropped record is "
        "kept in the rejects table with its reason. The output appears only when complete."
    )
    formats = ingest.add_subparsers(dest="format", required=True, metavar="FORMAT")
    coco = formats.add_parser("coco", help="COCO instances JSON (+ optional captions JSON)")
    coco.add_argument("instances", type=Path, help="instances_<split>.json")
    coco.add_argument("--captions", type=Path, help="captions_<split>.json (human captions)")
    _add_blip_caption_options(coco)
    _add_common_options(coco, default_dataset="coco")
    coco.set_defaults(handler=_run_coco)
    objects365 = formats.add_parser(
        "objects365", help="Objects365 COCO-shaped JSON (streamed, any size)"
    )
    objects365.add_argument("instances", type=Path, help="zhiyuan_objv2_<split>.json")
    _add_blip_caption_options(objects365)
    _add_common_options(objects365, default_dataset="objects365")
    objects365.set_defaults(handler=_run_coco, captions=None)
    visual_genome = formats.add_parser("vg", help="Visual Genome image_data/objects/relationships")
    visual_genome.add_argument("image_data", type=Path, help="image_data.json")
    visual_genome.add_argument(
        "--relationships", type=Path, required=True, help="relationships.json"
    )
    visual_genome.add_argument("--objects", type=Path, help="objects.json (optional)")
    _add_common_options(visual_genome, default_dataset="vg")
    visual_genome.set_defaults(handler=_run_visual_genome)
    add_benchmark_formats(formats)
    add_scene_graph_formats(formats)


def _run_coco(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"instances file": arguments.instances, "captions file":
                                 arguments.captions, "BLIP captions file": arguments.blip_captions,
                                 "image root": arguments.image_root},
                 overwrite=arguments.overwrite)
    summary = ingest_coco_dataset(
        arguments.instances,
        captions_json=arguments.captions,
        blip_captions_json=arguments.blip_captions,
        blip_decoding=arguments.blip_decoding,
        out_dir=arguments.out,
        dataset=arguments.dataset,
        split=arguments.split,
        image_root=arguments.image_root,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())


def _run_visual_genome(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"image data file": arguments.image_data, "objects file":
                                 arguments.objects, "relationships file": arguments.relationships,
                                 "image root": arguments.image_root},
                 overwrite=arguments.overwrite)
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


def _add_blip_caption_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--blip-captions",
        type=Path,
        help="the paper's BLIP caption file ({image id: [captions]}, e.g. "
        "model_large_caption_nucleus10.json): captions with their decoding, to skip captioning",
    )
    parser.add_argument(
        "--blip-decoding",
        choices=("beam", "nucleus"),
        help="how --blip-captions were decoded (default: what the file name says)",
    )


def _add_common_options(parser: argparse.ArgumentParser, *, default_dataset: str) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output dataset directory")
    parser.add_argument(
        "--dataset",
        default=default_dataset,
        help=f"dataset name stored in rows ({default_dataset})",
    )
    parser.add_argument("--split", default="train", help="split name stored in rows (train)")
    parser.add_argument(
        "--image-root",
        type=Path,
        help="directory the file names are relative to; when given, missing files are rejected",
    )
    add_output_options(parser)


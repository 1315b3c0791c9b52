"""``rlipv2 candidates``: caption -> parse -> match an ingested dataset into candidates."""

import argparse
from collections.abc import Iterable
from pathlib import Path

from data_schemas.candidates import CANDIDATES
from data_schemas.captions import CaptionRecord
from data_schemas.images import IMAGES, ImageRecord
from data_schemas.parquet_io import read_table
from data_schemas.rejects import RejectRecord
from data_schemas.relations import RELATIONS
from flows.cli_arguments import (
    add_synonym_table_arguments,
    ingested_image_root,
    non_negative_int,
    positive_int,
)
from flows.output_guard import check_output
from pipeline.candidate_recall import measure_candidate_recall
from pipeline.candidate_run import run_candidate_stages
from pipeline.captioning.blip_config import DEFAULT_BLIP_MODEL
from pipeline.captioning.existing_captions import read_existing_captions
from pipeline.image_groups import table_rows
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.matching import PhraseMatcher, check_vocabulary_coverage, synonym_table
from pipeline.parsing import CaptionParserConfig, build_caption_parser


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 candidates``."""
    parser.description = (
        "Caption the images of an ingested dataset (with BLIP, or reuse its captions), "
        "parse the captions into (subject, relation, object) triplets and match them to "
        "the annotated boxes: writes captions, triplets and candidates tables under --out."
    )
    parser.add_argument("dataset", type=Path, help="an ingested dataset directory")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--captioner",
        choices=("existing", "blip"),
        default="existing",
        help="reuse the dataset's captions table (existing, the default) or caption with BLIP",
    )
    parser.add_argument("--captions", type=Path, help="captions table (DATASET/captions)")
    blip = parser.add_argument_group("BLIP captioning (--captioner blip)")
    blip.add_argument(
        "--blip-model", default=DEFAULT_BLIP_MODEL, help="hub name or local directory"
    )
    blip.add_argument(
        "--num-captions",
        type=positive_int,
        default=10,
        help="1: beam search; N > 1: N nucleus samples per image (10)",
    )
    blip.add_argument("--batch-size", type=positive_int, default=32, help="images per batch")
    blip.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ... (auto)")
    blip.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed (0)")
    blip.add_argument(
        "--image-root", type=Path, help="image directory (default: the one given at ingest)"
    )
    matching = parser.add_argument_group("matching")
    add_synonym_table_arguments(matching)
    matching.add_argument(
        "--max-pairs-per-triplet",
        type=positive_int,
        help="drop a triplet whose categories give more ordered pairs than this (no limit)",
    )
    parser.add_argument(
        "--ground-truth",
        type=Path,
        help="a dataset with a relations table over the same entities: print candidate recall",
    )
    parser.add_argument(
        "--rows-per-shard", type=positive_int, default=DEFAULT_ROWS_PER_SHARD, help="rows/shard"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"dataset": arguments.dataset, "captions table": arguments.captions,
                                 "image root": arguments.image_root,
                                 "synonyms file": arguments.synonyms,
                                 "ground truth": arguments.ground_truth},
                 overwrite=arguments.overwrite)
    table = synonym_table(arguments.vocabulary, arguments.synonyms)
    check_vocabulary_coverage(table, arguments.dataset)
    summary = run_candidate_stages(
        arguments.dataset,
        arguments.out,
        captions=_captions(arguments),
        parser=build_caption_parser(CaptionParserConfig()),
        matcher=PhraseMatcher(table),
        max_pairs_per_triplet=arguments.max_pairs_per_triplet,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())
    if arguments.ground_truth is not None:
        relations_dir = arguments.ground_truth / RELATIONS.name
        recall = measure_candidate_recall(
            read_table(arguments.out / "candidates", CANDIDATES),
            read_table(relations_dir if relations_dir.is_dir() else arguments.ground_truth,
                       RELATIONS),
        )
        print(recall.format())


def _captions(arguments: argparse.Namespace) -> Iterable[CaptionRecord | RejectRecord]:
    if arguments.captioner == "existing":
        return read_existing_captions(arguments.captions or arguments.dataset / "captions")
    from pipeline.captioning import BlipCaptionerConfig, build_blip_captioner, caption_images

    config = BlipCaptionerConfig(
        model=arguments.blip_model,
        num_captions=arguments.num_captions,
        batch_size=arguments.batch_size,
        seed=arguments.seed,
        device=arguments.device,
    )
    captioner = build_blip_captioner(config)
    images = [
        ImageRecord.model_validate(row)
        for row in table_rows(read_table(arguments.dataset / IMAGES.name, IMAGES))
    ]
    return caption_images(
        images,
        image_root=arguments.image_root or ingested_image_root(arguments.dataset),
        captioner=captioner,
        batch_size=arguments.batch_size,
    )

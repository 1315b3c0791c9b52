"""``rlipv2 candidates``: caption -> parse -> match an ingested dataset into candidates."""

import argparse
from pathlib import Path

from data_schemas.candidates import CANDIDATES
from data_schemas.manifest_file import read_dataset_manifest
from data_schemas.parquet_io import read_table
from data_schemas.relations import RELATIONS
from flows.cli_arguments import positive_int
from flows.cli_options import add_options, model_from_options, option_values
from flows.output_guard import check_output
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.labelling.label_settings import LabelSettings

_SETTINGS = (
    "captioner", "blip.model", "blip.num_captions", "blip.batch_size", "blip.seed", "blip.device",
    "vocabulary", "synonyms_file", "max_pairs_per_triplet",
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 candidates``: the labelling settings of its stages, and its
    own input and output."""
    parser.description = (
        "Caption the images of an ingested dataset (with BLIP, or reuse its captions), "
        "parse the captions into (subject, relation, object) triplets and match them to "
        "the annotated boxes: writes captions, triplets and candidates tables under --out."
    )
    parser.add_argument("dataset", type=Path, help="an ingested dataset directory")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--captions", type=Path, help="captions table (DATASET/captions)")
    parser.add_argument(
        "--image-root", type=Path, help="image directory (default: the one given at ingest)"
    )
    add_options(parser, LabelSettings, only=_SETTINGS, flags={"blip.device": "--device"})
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
    settings = model_from_options(
        LabelSettings, option_values(arguments, LabelSettings), command="candidates"
    )
    check_output(arguments.out, {"dataset": arguments.dataset, "captions table": arguments.captions,
                                 "image root": arguments.image_root,
                                 "synonyms file": settings.synonyms_file,
                                 "ground truth": arguments.ground_truth},
                 overwrite=arguments.overwrite)
    read_dataset_manifest(arguments.dataset)  # before the models load
    from pipeline.captioning import build_blip_captioner
    from pipeline.labelling.stage_run import run_candidate_stages
    from pipeline.labelling.stage_run_report import candidate_run_report
    from pipeline.matching import build_phrase_matcher
    from pipeline.matching.candidate_recall import measure_candidate_recall
    from pipeline.parsing import CaptionParserConfig, build_caption_parser

    summary = run_candidate_stages(
        settings,
        arguments.dataset,
        arguments.out,
        captions_dir=arguments.captions,
        image_root=arguments.image_root,
        captioner=(
            build_blip_captioner(settings.blip.captioner_config())
            if settings.captioner == "blip" else None
        ),
        parser=build_caption_parser(CaptionParserConfig()),
        matcher=build_phrase_matcher(settings.vocabulary, settings.synonyms_file),
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(candidate_run_report(summary))
    if arguments.ground_truth is not None:
        relations_dir = arguments.ground_truth / RELATIONS.name
        recall = measure_candidate_recall(
            read_table(arguments.out / CANDIDATES.name, CANDIDATES),
            read_table(relations_dir if relations_dir.is_dir() else arguments.ground_truth,
                       RELATIONS),
        )
        print(recall.format())

"""``rlipv2 train-tagger`` and ``rlipv2 tag``: train the R-Tagger, tag candidates with it."""

import argparse
from pathlib import Path

from flows.cli_arguments import (
    TOP_K_PER_PAIR_HELP,
    add_config_arguments,
    ingested_image_root,
    positive_int,
    print_training_result,
)
from flows.output_guard import check_output, check_output_place, config_inputs
from model.config_file import load_config_file
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.tagging import DEFAULT_SAVE_THRESHOLD, run_tagging
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.tagger_scorer import load_tagger_scorer
from rtagger.train_tagger import run_tagger_training


def configure_train_tagger(train: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 train-tagger``."""
    train.description = (
        "Train the Relation Tagger on scene_graphs tables of human relations (e.g. Visual "
        "Genome, or the demo world's): input boxes are jittered and labels flipped, and the "
        "tagger learns to reconstruct them and to predict each pair's relations. Resumes "
        "from <output_dir>/checkpoints."
    )
    add_config_arguments(train)
    train.set_defaults(handler=_run_train)


def configure_tag(tag: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 tag``."""
    tag.description = (
        "Score every (candidate pair, relation text) of each image with a trained tagger; "
        "write tagged_relations (scores down to --save-threshold) and scene_graphs "
        "(what rlipv2 pretrain reads) under --out."
    )
    tag.add_argument("dataset", type=Path, help="the ingested dataset directory")
    tag.add_argument("--candidates", type=Path, required=True, help="a candidates run directory")
    tag.add_argument("--checkpoint", type=Path, required=True,
                     help="a train-tagger checkpoint, or a convert-checkpoint R-Tagger")
    tag.add_argument("--out", type=Path, required=True, help="output directory")
    tag.add_argument("--image-root", type=Path, help="image directory (default: from ingest)")
    tag.add_argument(
        "--save-threshold", type=float, default=DEFAULT_SAVE_THRESHOLD,
        help=f"keep scores >= this ({DEFAULT_SAVE_THRESHOLD}); pretraining filters later",
    )
    tag.add_argument("--top-k-per-pair", type=positive_int, help=TOP_K_PER_PAIR_HELP)
    tag.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    tag.add_argument("--rows-per-shard", type=positive_int, default=DEFAULT_ROWS_PER_SHARD)
    tag.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    tag.set_defaults(handler=_run_tag)


def _run_train(arguments: argparse.Namespace) -> None:
    config = load_config_file(arguments.config, TaggerTrainingConfig, arguments.overrides)
    check_output_place(config.output_dir, config_inputs(arguments.config, config),
                       option="output_dir")
    print_training_result(run_tagger_training(config))


def _run_tag(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"dataset": arguments.dataset, "candidates run":
                                 arguments.candidates, "checkpoint": arguments.checkpoint,
                                 "image root": arguments.image_root},
                 overwrite=arguments.overwrite)
    scorer = load_tagger_scorer(arguments.checkpoint, device=arguments.device)
    summary = run_tagging(
        arguments.dataset,
        arguments.candidates,
        arguments.out,
        scorer=scorer,
        image_root=arguments.image_root or ingested_image_root(arguments.dataset),
        save_threshold=arguments.save_threshold,
        top_k_per_pair=arguments.top_k_per_pair,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(summary.format())

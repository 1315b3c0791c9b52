"""``rlipv2 train-tagger`` and ``rlipv2 tag``: train the R-Tagger, tag candidates with it."""

import argparse
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from flows.cli_arguments import add_config_arguments, positive_int, print_training_result
from flows.cli_options import add_options, model_from_options, option_values
from flows.output_guard import check_output, check_output_place, config_inputs
from model.config_file import load_config_file, read_config_file
from pipeline.ingest import DEFAULT_ROWS_PER_SHARD
from pipeline.labelling.label_settings import LabelSettings

_SETTINGS = (
    "save_threshold", "top_k_per_pair", "tagger_device", "tagger_batch_size", "tagger_workers"
)
_FLAGS = {"tagger_device": "--device", "tagger_batch_size": "--batch-size",
          "tagger_workers": "--workers"}


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
    """The arguments of ``rlipv2 tag``: the labelling settings of the tag stage, and its own
    inputs and output."""
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
    add_options(tag, LabelSettings, only=_SETTINGS, flags=_FLAGS)
    tag.add_argument("--rows-per-shard", type=positive_int, default=DEFAULT_ROWS_PER_SHARD)
    tag.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    tag.set_defaults(handler=_run_tag)


def _run_train(arguments: argparse.Namespace) -> None:
    read_config_file(arguments.config, arguments.overrides)  # its errors before torch loads
    from rtagger.tagger_config import TaggerTrainingConfig
    from rtagger.train_tagger import run_tagger_training

    config = load_config_file(arguments.config, TaggerTrainingConfig, arguments.overrides)
    check_output_place(config.output_dir, config_inputs(arguments.config, config),
                       option="output_dir")
    print_training_result(run_tagger_training(config))


def _run_tag(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {"dataset": arguments.dataset, "candidates run":
                                 arguments.candidates, "checkpoint": arguments.checkpoint,
                                 "image root": arguments.image_root},
                 overwrite=arguments.overwrite)
    settings = model_from_options(
        LabelSettings, option_values(arguments, LabelSettings), command="tag"
    )
    if not arguments.checkpoint.is_file():  # before torch loads
        raise RLIPv2InputError(f"tagger checkpoint {arguments.checkpoint} does not exist")
    from pipeline.labelling.stage_run import run_tag_stages
    from pipeline.labelling.stage_run_report import tag_run_report
    from rtagger.tagger_scorer import load_tagger_scorer

    summary = run_tag_stages(
        settings,
        arguments.dataset,
        arguments.candidates,
        arguments.out,
        tagger_checkpoint=arguments.checkpoint,
        scorer=load_tagger_scorer(arguments.checkpoint, device=settings.tagger_device),
        image_root=arguments.image_root,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
    )
    print(tag_run_report(summary))

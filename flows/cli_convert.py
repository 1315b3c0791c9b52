"""``rlipv2 convert-checkpoint``: the paper's released checkpoints as rlipv2 weights."""

import argparse
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from flows.output_guard import check_output
from model.config_file import read_config_file


def configure(convert: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 convert-checkpoint``."""
    convert.description = (
        "Convert an official RLIPv2 checkpoint (RLIP-ParSeDA pre-training or fine-tuning, the "
        "R-Tagger) into an rlipv2 weight file that `rlipv2 tag --checkpoint` (a tagger) or "
        "`init_from` of `rlipv2 pretrain` (a detector) load; or a Deformable-DETR / "
        "DAB-Deformable-DETR checkpoint into the `init_from` of a pretraining --config. The "
        "file is read without running pickled code; every tensor must map, or nothing is "
        "written."
    )
    convert.add_argument("source", type=Path, help="the official .pth file")
    convert.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    convert.add_argument(
        "--text-encoder",
        help="hub name or directory of the RoBERTa tokenizer and configuration the checkpoint's "
        "text encoder has (default: the checkpoint's text_encoder_type, roberta-base)",
    )
    convert.add_argument(
        "--config", type=Path,
        help="for a detection checkpoint: the pretrain or train-tagger config whose model it "
        "initialises",
    )
    convert.add_argument("--overwrite", action="store_true", help="replace an existing output")
    convert.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    check_output(arguments.output, {"source checkpoint": arguments.source, "config":
                                    arguments.config}, overwrite=arguments.overwrite, option="-o")
    if not arguments.source.is_file():  # before torch loads
        raise RLIPv2InputError(f"{arguments.source} does not exist")
    if arguments.config is not None:
        read_config_file(arguments.config, section="model")
    from conversion.convert import convert_checkpoint_file
    from model.config_file import load_config_file
    from model.detector_config import DetectorConfig

    target = None
    if arguments.config is not None:
        target = load_config_file(arguments.config, DetectorConfig, section="model")
    summary = convert_checkpoint_file(
        arguments.source,
        arguments.output,
        text_encoder=arguments.text_encoder,
        target=target,
        overwrite=arguments.overwrite,
    )
    print(summary.format())

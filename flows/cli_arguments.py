"""Arguments, defaults and reports shared by the ``rlipv2`` subcommands."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from pipeline.matching.synonym_table import BuiltinVocabulary

TOP_K_PER_PAIR_HELP = (
    "keep at most the k best texts of each pair (default: every text above the threshold, as "
    "the paper); 1 suits data whose pairs rarely hold two relations"
)

if TYPE_CHECKING:  # imports torch: only the training commands need it, and they import it
    from model.training_loop import TrainingResult


def positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def add_synonym_table_arguments(group: argparse._ActionsContainer) -> None:
    """``--vocabulary`` (a built-in synonym table) and ``--synonyms`` (a file extending it);
    :func:`pipeline.matching.synonym_table` reads the pair."""
    group.add_argument("--vocabulary", choices=get_args(BuiltinVocabulary), default="coco",
                       help="built-in synonym table (coco)")
    group.add_argument("--synonyms", type=Path, help="JSON file of extra synonyms")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` and repeatable ``--set KEY=VALUE`` overrides of a training command."""
    parser.add_argument("--config", type=Path, required=True, help="a TOML config file")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set optimization.epochs=2 (repeatable)",
    )


def print_training_result(result: "TrainingResult") -> None:
    """One line per epoch trained by this run, then where training stands (rank 0 only)."""
    if result.is_main:
        print("\n".join(result.report_lines()))

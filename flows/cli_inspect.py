"""``rlipv2 inspect``: what a pipeline output holds, summarised, or one image in detail."""

import argparse
import json
from pathlib import Path

from flows.cli_arguments import positive_int
from inspection import image_detail_text, inspect_image, summarize_run
from inspection.run_summary import DEFAULT_TOP


def confidence_cut(text: str) -> float:
    """A ``--min-confidence`` value: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value:g}")
    return value


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        type=Path,
        help="the ingested dataset the run was built from (default: the one its manifest names)",
    )


def configure(inspect: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 inspect``."""
    inspect.description = (
        "Summarise any Parquet output of the pipeline: a run or dataset directory (every "
        "table in it), a table directory or one shard file. Per table: rows, images, "
        "relations per image, most frequent predicates and entity pairs, a confidence "
        "histogram, rejects by reason, schema version. With --image-id: that image's "
        "captions, triplets, candidates and kept relations with their evidence, gathered "
        "from the run and the directories its manifest names."
    )
    inspect.add_argument("path", type=Path, help="run directory, table directory or shard file")
    inspect.add_argument("--image-id", type=int, help="show this image's records")
    inspect.add_argument(
        "--min-confidence",
        type=confidence_cut,
        default=0.0,
        help="count relations with confidence >= this; human ones always count (0)",
    )
    inspect.add_argument(
        "--top",
        type=positive_int,
        default=DEFAULT_TOP,
        help=f"predicates and entity pairs listed ({DEFAULT_TOP})",
    )
    add_dataset_argument(inspect)
    inspect.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    inspect.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    if arguments.image_id is not None:
        detail = inspect_image(
            arguments.path,
            arguments.image_id,
            min_confidence=arguments.min_confidence,
            dataset_dir=arguments.dataset,
        )
        if arguments.format == "json":
            print(json.dumps(detail.as_dict(), indent=2))
        else:
            print(image_detail_text(detail), end="")
        return
    summary = summarize_run(
        arguments.path,
        min_confidence=arguments.min_confidence,
        top=arguments.top,
        dataset_dir=arguments.dataset,
    )
    if arguments.format == "json":
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        print(summary.as_text(), end="")

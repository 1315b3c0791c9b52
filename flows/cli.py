"""The ``rlipv2`` command line.

Each subcommand's arguments are configured by a function of a ``flows.cli_*`` module, and only
the module of the command being run is imported: the stages behind the commands import torch,
transformers, spaCy and Prefect, which takes seconds, so ``rlipv2 --help`` and a mistyped command
answer at once.
"""

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from data_schemas.errors import RLIPv2InputError
from flows.error_log import ErrorLog


@dataclass(frozen=True)
class Subcommand:
    """Where a subcommand's arguments are configured, and its line in ``rlipv2 --help``."""

    module: str
    configure: str
    summary: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "demo-data": Subcommand("flows.cli_demo", "configure", "write the synthetic demo world"),
    "demo-quality": Subcommand(
        "flows.cli_demo", "configure_quality",
        "score a labelling run of the demo world against its ground truth",
    ),
    "ingest": Subcommand(
        "flows.cli_ingest", "configure", "read dataset files into Parquet tables"
    ),
    "candidates": Subcommand(
        "flows.cli_candidates", "configure",
        "caption, parse and match a dataset into relation candidates",
    ),
    "wordnet-synonyms": Subcommand(
        "flows.cli_synonyms", "configure",
        "propose synonyms for a table's categories from WordNet, for review",
    ),
    "wordnet-data": Subcommand(
        "flows.cli_synonyms", "configure_wordnet_data",
        "make an nltk data directory from a WordNet 3.0 database (wordnet-base)",
    ),
    "train-tagger": Subcommand(
        "flows.cli_tagger", "configure_train_tagger",
        "train the R-Tagger by denoising on human scene graphs",
    ),
    "tag": Subcommand(
        "flows.cli_tagger", "configure_tag",
        "score caption candidates with a trained R-Tagger -> scene graphs",
    ),
    "pretrain": Subcommand(
        "flows.cli_pretrain", "configure_pretrain",
        "pretrain the RLIPv2 relation detector on Parquet scene graphs",
    ),
    "finetune": Subcommand(
        "flows.cli_finetune", "configure_finetune",
        "fine-tune the detector on an ingested relation benchmark (HICO-DET, V-COCO, OI)",
    ),
    "evaluate": Subcommand(
        "flows.cli_evaluate", "configure_evaluate",
        "score a checkpoint or a detections file on an ingested relation benchmark",
    ),
    "convert-checkpoint": Subcommand(
        "flows.cli_convert", "configure",
        "convert the paper's released checkpoints into rlipv2 weights",
    ),
    "tiny-text-encoder": Subcommand(
        "flows.cli_pretrain", "configure_tiny_text_encoder",
        "write a small random RoBERTa for offline runs",
    ),
    "label": Subcommand(
        "flows.cli_label", "configure",
        "label a dataset with relations end to end (the Prefect labelling flow)",
    ),
    "server": Subcommand(
        "flows.cli_server", "configure",
        "start a local Prefect server + UI serving label, train-tagger and pretrain",
    ),
    "inspect": Subcommand(
        "flows.cli_inspect", "configure",
        "summarise a pipeline output, or show one image's records",
    ),
    "show": Subcommand(
        "flows.cli_show", "configure",
        "draw an image's boxes and relations into a PNG (or a contact sheet)",
    ),
    "export": Subcommand(
        "flows.cli_export", "configure",
        "write a run's scene graphs as paper JSON, Visual Genome JSON or Label Studio tasks",
    ),
    "compare": Subcommand(
        "flows.cli_compare", "configure",
        "compare two runs' scene graphs: precision and recall against a reference",
    ),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser of ``argv``: the subcommand it names gets its arguments, the others only a name."""
    parser = argparse.ArgumentParser(
        prog="rlipv2", description="Relational pseudo-labelling and RLIPv2 pretraining."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    # Commands that run Prefect flows leave logging to Prefect (run and task names in each line).
    # A command that runs a flow to its end (label) logs the tracebacks of failed task and flow
    # runs to its log file, not the terminal (flows.error_log); the server keeps them there.
    parser.set_defaults(prefect_logging=False, flow_tracebacks_to_log=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = next((word for word in argv if not word.startswith("-")), None)
    for name, subcommand in SUBCOMMANDS.items():
        command = commands.add_parser(name, help=subcommand.summary)
        if name == named:
            module = importlib.import_module(subcommand.module)
            getattr(module, subcommand.configure)(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    arguments = build_parser(argv).parse_args(argv)
    if not arguments.prefect_logging:
        logging.basicConfig(
            level=logging.DEBUG if arguments.verbose else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
        )
    elif arguments.verbose:
        _log_prefect_runs_at_debug()
    error_log = ErrorLog(arguments.command)
    try:
        with (error_log.prefect_tracebacks_diverted()
              if arguments.flow_tracebacks_to_log and not arguments.verbose else nullcontext()):
            arguments.handler(arguments)
    except RLIPv2InputError as error:
        print(f"rlipv2: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rlipv2: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (unforeseen: one line, the traceback logged)
        print(f"rlipv2: error: {error_log.report(error, verbose=arguments.verbose)}",
              file=sys.stderr)
        return 1
    return 0


def _log_prefect_runs_at_debug() -> None:
    """``-v`` for the commands that run Prefect flows: Prefect's loggers, and the stage loggers
    that follow them (:mod:`flows.stage_logs`), at DEBUG in this process and in the flow-run
    processes it starts."""
    os.environ["PREFECT_LOGGING_LEVEL"] = "DEBUG"
    logging.getLogger("prefect").setLevel(logging.DEBUG)


if __name__ == "__main__":
    sys.exit(main())

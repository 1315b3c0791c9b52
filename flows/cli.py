"""The ``rlipv2`` command line.

Subcommands:
    demo-data   write the synthetic demo world (images + COCO/VG annotation files)
    ingest      read COCO, Objects365 or Visual Genome files into versioned Parquet tables
    candidates  caption, parse and match an ingested dataset into relation candidates
    train-tagger  train the R-Tagger by denoising on human scene graphs
    tag         score candidates with the R-Tagger into pseudo-labelled scene graphs
    pretrain    pretrain the RLIPv2 relation detector on scene graphs
    tiny-text-encoder  a small random RoBERTa for offline runs
    label       the labelling flow end to end (ingest -> ... -> scene graphs), no server needed
    server      a local Prefect server with the label, train-tagger and pretrain deployments
    inspect     summarise a pipeline output, or show one image's records with their evidence
    show        draw an image's boxes and relations into a PNG, or a contact sheet of several
    export      write scene graphs as paper JSON, Visual Genome JSON or Label Studio tasks
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from data_schemas.errors import RLIPv2InputError
from flows import (
    cli_candidates,
    cli_demo,
    cli_export,
    cli_ingest,
    cli_inspect,
    cli_label,
    cli_pretrain,
    cli_server,
    cli_show,
    cli_tagger,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlipv2", description="Relational pseudo-labelling and RLIPv2 pretraining."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    # Commands that run Prefect flows leave logging to Prefect (run and task names in each line).
    parser.set_defaults(prefect_logging=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (
        cli_demo, cli_ingest, cli_candidates, cli_tagger, cli_pretrain, cli_label, cli_server,
        cli_inspect, cli_show, cli_export,
    ):
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if not arguments.prefect_logging:
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


if __name__ == "__main__":
    sys.exit(main())

"""``rlipv2 compare RUN_A RUN_B``: how far a run's scene graphs agree with a reference's."""

import argparse
import json
from pathlib import Path

from flows.cli_inspect import confidence_cut

def configure(compare: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 compare``."""
    compare.description = (
        "Compare the scene graphs of RUN_A with those of RUN_B, the reference, on the images "
        "both have: relations and images with relations of each, precision (share of A's "
        "relations B has) and recall (share of B's that A has), the same for subject-object "
        "pairs, the overlap of their predicate distributions, and per predicate. Two "
        "relations match when the predicates are equal and subject and object boxes have the "
        "same category and overlap by --iou. Use it for pseudo-labels against a reviewed "
        "subset (rlipv2 ingest label-studio) or a run against the paper's released labels "
        "(rlipv2 ingest paper-json). The compare flow (rlipv2 server) publishes the same as "
        "Prefect artifacts."
    )
    compare.add_argument("run_a", type=Path, help="the run to judge (run, table or shard)")
    compare.add_argument("run_b", type=Path, help="the reference run")
    compare.add_argument(
        "--min-confidence",
        type=confidence_cut,
        nargs="+",
        default=[0.2],
        help="confidence cuts, one table row each (0.2); human relations always count",
    )
    compare.add_argument(
        "--iou", type=confidence_cut, default=0.5,
        help="box IoU at which a subject or object matches (0.5; above 0)",
    )
    compare.add_argument("--format", choices=("text", "json"), default="text")
    compare.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    from inspection.run_comparison import compare_runs

    comparison = compare_runs(
        arguments.run_a, arguments.run_b, cuts=arguments.min_confidence,
        iou_threshold=arguments.iou,
    )
    if arguments.format == "json":
        print(json.dumps(comparison.as_dict(), indent=2))
    else:
        print(comparison.as_text())


"""``rlipv2 evaluate``: score a checkpoint or a detections file on an ingested relation
benchmark's test split with the paper's protocol."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from pydantic import ValidationError

from data_schemas.errors import RLIPv2InputError
from flows.cli_arguments import positive_int
from flows.evaluation_parameters import Benchmark, EvaluateParameters, run_evaluation

if TYPE_CHECKING:  # imported where used: --help reads this module
    from model.relation_evaluation import EvaluationResult

BENCHMARKS = get_args(Benchmark)


def configure_evaluate(evaluate: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 evaluate``."""
    evaluate.description = (
        "Score relation detections on an ingested benchmark's test split with the paper's "
        "protocol: run a checkpoint (writing OUT/detections.parquet), or score a detections "
        "file (Parquet or JSON). The metrics are printed and appended to OUT/metrics.jsonl."
    )
    evaluate.add_argument("benchmark", choices=BENCHMARKS, help="the benchmark's protocol")
    evaluate.add_argument(
        "--dataset", type=Path, required=True, help="the ingested benchmark directory"
    )
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", type=Path, help="a detector checkpoint to run")
    source.add_argument("--detections", type=Path, help="a detections file to score")
    evaluate.add_argument(
        "--out", type=Path, help="output directory (needed with --checkpoint)"
    )
    evaluate.add_argument(
        "--zero-shot",
        metavar="SETTING",
        help="also report the unseen / seen means of a zero-shot setting of the benchmark "
        "(HICO-DET: UC-RF, UC-NF)",
    )
    evaluate.add_argument(
        "--no-pair-nms", action="store_true", help="score without pair NMS (default: NMS 0.7)"
    )
    evaluate.add_argument(
        "--person-subjects-only",
        action="store_true",
        help="keep only pairs whose subject the model calls a person (the paper's evaluation "
        "of a pretrained model without fine-tuning)",
    )
    evaluate.add_argument(
        "--batch-size", type=positive_int, default=1, help="images per forward pass (1)"
    )
    evaluate.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda:N")
    evaluate.set_defaults(handler=_run_evaluate)


def _run_evaluate(arguments: argparse.Namespace) -> None:
    try:
        parameters = EvaluateParameters(
            benchmark=arguments.benchmark,
            dataset=arguments.dataset,
            checkpoint=arguments.checkpoint,
            detections=arguments.detections,
            out=arguments.out,
            zero_shot=arguments.zero_shot,
            pair_nms=not arguments.no_pair_nms,
            person_subjects_only=arguments.person_subjects_only,
            batch_size=arguments.batch_size,
            device=arguments.device,
        )
    except ValidationError as error:
        raise RLIPv2InputError(error.errors()[0]["msg"]) from None
    print_evaluation(run_evaluation(parameters))


def print_evaluation(result: "EvaluationResult") -> None:
    """The metrics as percentages, then where the detections and metrics went."""
    print("\n".join(result.metrics.report_lines()))
    if result.metrics_file is not None:
        print(f"detections: {result.detections_file}; metrics appended to {result.metrics_file}")

"""``rlipv2 finetune``: fine-tune the detector on an ingested relation benchmark."""

import argparse

from flows.cli_arguments import add_config_arguments, print_training_result
from flows.cli_evaluate import print_evaluation
from flows.output_guard import check_output_place, config_inputs
from model.config_file import load_config_file, read_config_file


def configure_finetune(finetune: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 finetune``."""
    finetune.description = (
        "Fine-tune the RLIPv2 detector on an ingested relation benchmark (rlipv2 ingest "
        "hico-det | v-coco | open-images) over its fixed label texts, from init_from (a "
        "pretraining, converted or fine-tuning checkpoint) or from scratch. Resumes from the "
        "newest checkpoint in <output_dir>/checkpoints. Multi-GPU: launch with "
        "`torchrun --nproc-per-node N -m flows.cli finetune ...`."
    )
    add_config_arguments(finetune)
    finetune.add_argument(
        "--then-evaluate",
        action="store_true",
        help="then score the last checkpoint on the benchmark's test split "
        "(<output_dir>/detections.parquet, a metrics line in <output_dir>/metrics.jsonl)",
    )
    finetune.set_defaults(handler=_run_finetune)


def _run_finetune(arguments: argparse.Namespace) -> None:
    read_config_file(arguments.config, arguments.overrides)  # its errors before torch loads
    from model.finetune import evaluate_finetuned, run_finetuning
    from model.finetune_config import FinetuneConfig

    config = load_config_file(arguments.config, FinetuneConfig, arguments.overrides)
    check_output_place(config.output_dir, config_inputs(arguments.config, config),
                       option="output_dir")
    result = run_finetuning(config)
    print_training_result(result)
    if arguments.then_evaluate and result.is_main:
        print_evaluation(evaluate_finetuned(config))

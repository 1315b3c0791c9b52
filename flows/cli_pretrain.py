"""``rlipv2 pretrain`` and ``rlipv2 tiny-text-encoder``."""

import argparse
from pathlib import Path

from data_schemas.image_groups import table_rows
from data_schemas.parquet_io import read_table
from data_schemas.scene_graphs import SCENE_GRAPHS
from flows.cli_arguments import add_config_arguments, print_training_result
from flows.cli_evaluate import print_evaluation
from flows.output_guard import check_output, check_output_place, config_inputs
from model.config_file import load_config_file, read_config_file


def configure_pretrain(pretrain: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 pretrain``."""
    pretrain.description = (
        "Train the RLIPv2 detector (ALIF + ParSeD) on scene_graphs tables, human and "
        "pseudo-labelled (kept at confidence >= data.relation_threshold). Resumes from the "
        "newest checkpoint in <output_dir>/checkpoints. Multi-GPU: launch with "
        "`torchrun --nproc-per-node N -m flows.cli pretrain ...`."
    )
    add_config_arguments(pretrain)
    pretrain.add_argument(
        "--then-evaluate",
        type=Path,
        metavar="BENCHMARK_DIR",
        help="then score the last checkpoint without fine-tuning on this ingested benchmark's "
        "test split (<output_dir>/detections.parquet, a line in <output_dir>/metrics.jsonl)",
    )
    pretrain.set_defaults(handler=_run_pretrain)


def configure_tiny_text_encoder(encoder: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 tiny-text-encoder``."""
    encoder.description = (
        "Write a small randomly initialised RoBERTa (with a byte-level BPE trained on the "
        "label texts of the given scene graphs) to OUT, for offline runs where "
        "roberta-base cannot be downloaded. It has no pretrained knowledge; it is only "
        "fitted so that its pooled features of those texts differ from each other."
    )
    encoder.add_argument("out", type=Path, help="output directory")
    encoder.add_argument(
        "--scene-graphs", type=Path, nargs="+", required=True, help="scene_graphs table dirs"
    )
    encoder.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    encoder.set_defaults(handler=_run_tiny_text_encoder)


def _run_pretrain(arguments: argparse.Namespace) -> None:
    read_config_file(arguments.config, arguments.overrides)  # its errors before torch loads
    from model.pretrain import run_pretraining
    from model.pretrain_config import PretrainConfig
    from model.relation_evaluation import evaluate_pretrained

    config = load_config_file(arguments.config, PretrainConfig, arguments.overrides)
    check_output_place(config.output_dir, config_inputs(arguments.config, config)
                       | {"benchmark": arguments.then_evaluate}, option="output_dir")
    result = run_pretraining(config)
    print_training_result(result)
    if arguments.then_evaluate is not None and result.is_main:
        print_evaluation(evaluate_pretrained(config.output_dir, arguments.then_evaluate))


def _run_tiny_text_encoder(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, {f"scene graphs {index + 1}": directory
                                 for index, directory in enumerate(arguments.scene_graphs)},
                 overwrite=arguments.overwrite)
    texts = set()
    for directory in arguments.scene_graphs:
        for row in table_rows(read_table(directory, SCENE_GRAPHS)):
            texts.update(item["category_name"] for item in row["objects"])
            texts.update(item["predicate"] for item in row["relationships"])
    from model.random_text_encoder import save_random_text_encoder  # torch: after the checks

    save_random_text_encoder(arguments.out, sorted(texts) + ["no objects"])
    print(f"random text encoder ({len(texts)} label texts) written to {arguments.out}")

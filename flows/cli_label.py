"""``rlipv2 label``: run the labelling flow without a server (Prefect's ephemeral mode)."""

import argparse
from pathlib import Path

from pydantic import ValidationError

from data_schemas.errors import RLIPv2InputError
from flows.cli_arguments import (
    TOP_K_PER_PAIR_HELP,
    add_synonym_table_arguments,
    non_negative_int,
    positive_int,
)
from flows.label_parameters import BlipParameters, CocoSource, LabelParameters
from flows.training_parameters import PretrainParameters
from pipeline.captioning.blip_config import DEFAULT_BLIP_MODEL
from pipeline.tagging import DEFAULT_SAVE_THRESHOLD


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 label``."""
    parser.description = (
        "Run the labelling flow: (ingest ->) caption -> parse -> match -> tag -> scene "
        "graphs, shard by shard, writing one table directory per stage under --out. "
        "Finished shards are reused when run again with the same inputs and settings, so "
        "a killed run resumes. Needs no server: Prefect starts a temporary one."
    )
    parser.add_argument("--dataset", type=Path, required=True,
                        help="an ingested dataset; with --coco-instances, where to ingest it")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--tagger-checkpoint", type=Path, required=True,
                        help="an R-Tagger checkpoint (rlipv2 train-tagger or convert-checkpoint)")
    ingest = parser.add_argument_group("ingest COCO-format files first")
    ingest.add_argument("--coco-instances", type=Path, help="instances JSON")
    ingest.add_argument("--coco-captions", type=Path, help="captions JSON")
    ingest.add_argument("--dataset-name", default="coco", help="dataset name (coco)")
    ingest.add_argument("--split", default="train", help="split name (train)")
    parser.add_argument("--image-root", type=Path,
                        help="image directory (default: the one recorded at ingest)")
    parser.add_argument("--images-per-shard", type=positive_int, default=1000,
                        help="images per task (1000)")
    parser.add_argument("--captioner", choices=("existing", "blip"), default="existing",
                        help="reuse the dataset's captions (default) or caption with BLIP")
    blip = parser.add_argument_group("BLIP captioning (--captioner blip)")
    blip.add_argument("--blip-model", default=DEFAULT_BLIP_MODEL, help="hub name or directory")
    blip.add_argument("--num-captions", type=positive_int, default=10,
                      help="1: beam search; N > 1: N nucleus samples per image (10)")
    blip.add_argument("--batch-size", type=positive_int, default=32, help="images per batch")
    blip.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed (0)")
    blip.add_argument("--blip-device", default="auto", help="auto, cpu, cuda, ... (auto)")
    matching = parser.add_argument_group("matching")
    add_synonym_table_arguments(matching)
    matching.add_argument("--max-pairs-per-triplet", type=positive_int,
                          help="drop a triplet giving more ordered pairs than this")
    tagging = parser.add_argument_group("tagging")
    tagging.add_argument("--save-threshold", type=float, default=DEFAULT_SAVE_THRESHOLD,
                         help=f"keep scores >= this ({DEFAULT_SAVE_THRESHOLD})")
    tagging.add_argument("--top-k-per-pair", type=positive_int, help=TOP_K_PER_PAIR_HELP)
    tagging.add_argument("--tagger-device", default="auto", help="auto, cpu, cuda, ... (auto)")
    execution = parser.add_argument_group("execution")
    execution.add_argument("--task-runner", choices=("threads", "dask"), default="threads",
                           help="threads (default) or Dask (pip install 'rlipv2[dask]')")
    execution.add_argument("--max-workers", type=positive_int, default=4,
                           help="threads, or local Dask worker processes (4)")
    execution.add_argument("--dask-address", help="scheduler of an existing Dask cluster")
    execution.add_argument("--gpu-concurrency", type=positive_int, default=1,
                           help="GPU stage shards running at once (1)")
    parser.add_argument("--then-pretrain", type=Path, metavar="CONFIG",
                        help="pretrain with this rlipv2 pretrain config when labelling is done")
    parser.set_defaults(handler=_run, prefect_logging=True)


def _run(arguments: argparse.Namespace) -> None:
    from flows.label_flow import label
    from flows.label_inputs import check_label_inputs
    from flows.label_tasks import release_gpu_slots
    from flows.temporary_server import flow_run_api

    parameters = label_parameters(arguments)
    check_label_inputs(parameters)  # one line for a wrong path, before Prefect starts
    with flow_run_api() as temporary_server:
        if temporary_server:
            release_gpu_slots()
        summary = label(parameters)
    print(f"labelled {summary['images']:,} images into {arguments.out}: "
          f"{summary['relations_kept']:,} relations kept; tables and manifest.json there")


def label_parameters(arguments: argparse.Namespace) -> LabelParameters:
    """The flow parameters of ``rlipv2 label``'s arguments.

    Raises:
        RLIPv2InputError: an option the parameters refuse (e.g. a save threshold above 1).
    """
    ingest = None
    if arguments.coco_instances is not None:
        if arguments.image_root is None:
            raise RLIPv2InputError("--coco-instances needs --image-root")
        ingest = CocoSource(
            instances=arguments.coco_instances,
            captions=arguments.coco_captions,
            image_root=arguments.image_root,
            dataset=arguments.dataset_name,
            split=arguments.split,
        )
    try:
        return _parameters(arguments, ingest)
    except ValidationError as error:
        raise RLIPv2InputError(f"invalid label options:\n{error}") from None


def _parameters(arguments: argparse.Namespace, ingest: CocoSource | None) -> LabelParameters:
    return LabelParameters(
        dataset_dir=arguments.dataset,
        out_dir=arguments.out,
        tagger_checkpoint=arguments.tagger_checkpoint,
        ingest=ingest,
        image_root=arguments.image_root,
        images_per_shard=arguments.images_per_shard,
        captioner=arguments.captioner,
        blip=BlipParameters(
            model=arguments.blip_model,
            num_captions=arguments.num_captions,
            batch_size=arguments.batch_size,
            seed=arguments.seed,
            device=arguments.blip_device,
        ),
        vocabulary=arguments.vocabulary,
        synonyms_file=arguments.synonyms,
        max_pairs_per_triplet=arguments.max_pairs_per_triplet,
        save_threshold=arguments.save_threshold,
        top_k_per_pair=arguments.top_k_per_pair,
        tagger_device=arguments.tagger_device,
        task_runner=arguments.task_runner,
        max_workers=arguments.max_workers,
        dask_address=arguments.dask_address,
        gpu_concurrency=arguments.gpu_concurrency,
        then_pretrain=(
            None if arguments.then_pretrain is None
            else PretrainParameters(config_file=arguments.then_pretrain)
        ),
    )

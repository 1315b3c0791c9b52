"""``rlipv2 ingest paper-json | label-studio``: scene graphs made elsewhere (the paper's released
labels, reviewed Label Studio tasks) -> the tables labelling runs write and training reads."""

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flows.cli_arguments import add_output_options
from flows.output_guard import Inputs, check_output

if TYPE_CHECKING:
    from pipeline.ingest import IngestSummary


def add_scene_graph_formats(formats: argparse._SubParsersAction) -> None:
    """The ``paper-json`` and ``label-studio`` formats of ``rlipv2 ingest``."""
    paper = formats.add_parser(
        "paper-json",
        help="scene graphs in the RLIPv2 paper's JSON: its released pseudo-labels "
        "(RLIPv2_*_Tagger2*.json), VG scene_graphs_after_preprocessing.json",
        description="Read scene graphs in the RLIPv2 paper's JSON (the released COCO and "
        "Objects365 pseudo-labels, Visual Genome's scene_graphs_after_preprocessing.json, or "
        "rlipv2 export --to paper-json). Confidences are kept (pseudo-labels stay pseudo). "
        "Images are found as the official loader finds them under --image-root and their "
        "sizes read from the files: coco2017 records at <data_split>/<12-digit id>.jpg, o365 "
        "records where --image-paths says, records without a dataset (VG) at <id>.jpg.",
    )
    paper.add_argument("scene_graphs", type=Path, help="the JSON file (one record per image)")
    paper.add_argument(
        "--image-root",
        type=Path,
        required=True,
        help="the dataset folder of the official layout: COCO2017/ (with train2017/, "
        "val2017/), Objects365/, or VG/images/",
    )
    paper.add_argument(
        "--image-paths",
        type=Path,
        help="Objects365's image_id_to_filepath.json (needed for o365 records)",
    )
    paper.add_argument("--out", type=Path, required=True, help="output dataset directory")
    paper.add_argument(
        "--dataset", default="rlipv2_released", help="dataset name in the manifest "
        "(rlipv2_released; rows keep each record's dataset)",
    )
    paper.add_argument("--split", default="train", help="split name in the manifest (train)")
    add_output_options(paper)
    paper.set_defaults(handler=_run_paper_json)
    review = formats.add_parser(
        "label-studio",
        help="a Label Studio JSON export of tasks reviewed after rlipv2 export --to label-studio",
        description="Read the reviewed tasks of a Label Studio JSON export (of tasks that rlipv2 "
        "export --to label-studio made) as human scene graphs: each task's latest annotation "
        "that was not cancelled, with its accepted, corrected and added boxes and relations "
        "(deleted ones are gone). Tasks nobody annotated are left out. The summary counts "
        "what the review did to the predictions. pretrain and train-tagger read the result; "
        "rlipv2 compare RUN OUT gives the precision and recall of the run against it.",
    )
    review.add_argument("export", type=Path, help="the JSON export (a list of tasks)")
    review.add_argument("--out", type=Path, required=True, help="output dataset directory")
    review.add_argument(
        "--image-root",
        type=Path,
        help="directory the tasks' file names are relative to (the exported run's image "
        "root); when given, missing files are rejected and training can find the images",
    )
    review.add_argument("--dataset", default="reviewed", help="dataset name in the manifest")
    review.add_argument("--split", default="train", help="split name in the manifest (train)")
    add_output_options(review)
    review.set_defaults(handler=_run_label_studio)


def _run_paper_json(arguments: argparse.Namespace) -> None:
    from pipeline.ingest import ingest_scene_graph_json_dataset

    _run_ingest(
        arguments, ingest_scene_graph_json_dataset, arguments.scene_graphs,
        {"scene-graph file": arguments.scene_graphs, "image root": arguments.image_root,
         "image paths file": arguments.image_paths},
        image_root=arguments.image_root, image_paths_json=arguments.image_paths,
    )


def _run_label_studio(arguments: argparse.Namespace) -> None:
    from pipeline.ingest import ingest_label_studio_dataset

    _run_ingest(
        arguments, ingest_label_studio_dataset, arguments.export,
        {"Label Studio export": arguments.export, "image root": arguments.image_root},
        image_root=arguments.image_root,
    )


def _run_ingest(
    arguments: argparse.Namespace,
    ingest: Callable[..., "IngestSummary"],
    source: Path,
    inputs: Inputs,
    **options: object,
) -> None:
    """Check ``--out`` against ``inputs``, ingest ``source`` with the common options and
    ``options``, and print the summary."""
    check_output(arguments.out, inputs, overwrite=arguments.overwrite)
    summary = ingest(
        source,
        out_dir=arguments.out,
        dataset=arguments.dataset,
        split=arguments.split,
        rows_per_shard=arguments.rows_per_shard,
        overwrite=arguments.overwrite,
        **options,
    )
    print(summary.format())

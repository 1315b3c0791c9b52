"""``rlipv2 export``: a run's scene graphs in the formats other tools read."""

import argparse
from enum import StrEnum
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from export import (
    COCO_ID_START,
    CocoJsonExport,
    HoiJsonExport,
    DEFAULT_EXPORT_CONFIDENCE,
    LabelStudioExport,
    PaperDataset,
    PaperJsonExport,
    SceneGraphExporter,
    VisualGenomeExport,
    export_run,
)
from export.label_studio import LOCAL_FILES_PREFIX
from export.review_vocabulary import review_vocabulary, run_tagger_id
from flows.cli_arguments import non_negative_int, positive_int
from flows.cli_inspect import confidence_cut
from flows.output_guard import check_output, run_inputs
from inspection import locate_output


class ExportFormat(StrEnum):
    """The ``--to`` formats."""

    PAPER_JSON = "paper-json"
    VISUAL_GENOME = "vg"
    LABEL_STUDIO = "label-studio"
    COCO = "coco"
    HICO_DET = "hico-det"


def configure(export: argparse.ArgumentParser) -> None:
    """The arguments of ``rlipv2 export``."""
    export.description = (
        "Export the scene graphs of a run (relationships with confidence >= "
        "--min-confidence, human ones always; every object). paper-json: one JSON file in "
        "the RLIPv2 paper's pseudo-label format, read by its official training code. vg: a "
        "directory with image_data.json, objects.json and relationships.json (rlipv2 ingest "
        "vg reads it back). label-studio: a directory with tasks.json (boxes and relations "
        "as predictions, scores attached) and the matching config.xml (rlipv2 ingest "
        "label-studio reads the reviewed export back). coco: one COCO instances JSON with "
        "relations. hico-det: a directory in the HICO-DET annotation layout (rlipv2 ingest "
        "hico-det reads it back with its vocabulary.json)."
    )
    export.add_argument("path", type=Path, help="run directory with scene_graphs (or the table)")
    export.add_argument(
        "--to", type=ExportFormat, choices=list(ExportFormat), required=True, help="format"
    )
    export.add_argument(
        "-o", "--out", type=Path, required=True,
        help="output file (paper-json, coco) or directory"
    )
    export.add_argument(
        "--min-confidence",
        type=confidence_cut,
        default=DEFAULT_EXPORT_CONFIDENCE,
        help=f"keep relations with confidence >= this ({DEFAULT_EXPORT_CONFIDENCE:g}, as RLIPv2 "
        "pretrains); human ones always",
    )
    export.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    export.add_argument(
        "--id-start",
        type=non_negative_int,
        default=COCO_ID_START,
        help=f"paper-json: first object/relationship id ({COCO_ID_START:,}; the paper uses "
        "20,000,000 for Objects365)",
    )
    export.add_argument(
        "--paper-dataset",
        type=PaperDataset,
        choices=list(PaperDataset),
        help="paper-json: the official dataset name of every record (default: from the rlipv2 "
        "dataset name: coco* -> coco2017, o365/objects365* -> o365, vg* -> vg)",
    )
    export.add_argument(
        "--image-folder",
        help="paper-json: the data_split of each record, the image folder the official loader "
        "opens (default: the name of the image root the dataset was ingested with, e.g. "
        "train2017)",
    )
    export.add_argument(
        "--test-every",
        type=positive_int,
        default=10,
        help="hico-det: every N-th image (the first included) goes to the test split (10)",
    )
    export.add_argument(
        "--image-url-prefix",
        default=LOCAL_FILES_PREFIX,
        help=f"label-studio: prefix of each image's file_name ({LOCAL_FILES_PREFIX!r}: Label "
        "Studio local files with LOCAL_FILES_DOCUMENT_ROOT at the image root)",
    )
    export.add_argument(
        "--model-version",
        help="label-studio: name of the predictions (default: the run's tagger id; 'rlipv2' "
        "for human scene graphs)",
    )
    export.set_defaults(handler=_run)


def _run(arguments: argparse.Namespace) -> None:
    check_output(arguments.out, run_inputs(arguments.path), overwrite=arguments.overwrite,
                 option="-o")
    summary = export_run(
        arguments.path,
        arguments.out,
        _exporter(arguments),
        min_confidence=arguments.min_confidence,
        overwrite=arguments.overwrite,
    )
    print(summary.as_text())


def _exporter(arguments: argparse.Namespace) -> SceneGraphExporter:
    if arguments.to is ExportFormat.PAPER_JSON:
        return PaperJsonExport(
            id_start=arguments.id_start,
            dataset=arguments.paper_dataset,
            image_folder=arguments.image_folder or _image_folder(arguments.path),
        )
    if arguments.to is ExportFormat.VISUAL_GENOME:
        return VisualGenomeExport()
    if arguments.to is ExportFormat.COCO:
        return CocoJsonExport()
    if arguments.to is ExportFormat.HICO_DET:
        return HoiJsonExport(
            image_root=_image_root(arguments.path), test_every=arguments.test_every
        )
    run = locate_output(arguments.path).run
    vocabulary = review_vocabulary(run)
    return LabelStudioExport(
        image_url_prefix=arguments.image_url_prefix,
        model_version=arguments.model_version or run_tagger_id(run) or "rlipv2",
        categories=vocabulary.categories,
        predicates=vocabulary.predicates,
    )


def _image_folder(path: Path) -> str | None:
    """The directory name of the image root the run's dataset was ingested with, if known."""
    image_root = _image_root(path)
    return None if image_root is None else image_root.name


def _image_root(path: Path) -> Path | None:
    """The image root the run's dataset was ingested with, if known."""
    try:
        return locate_output(path).run.image_root()
    except RLIPv2InputError:
        return None

"""``rlipv2 ingest hico-det | v-coco | open-images``: a relation-detection benchmark in the layout
the HOI codebases share -> one directory of versioned Parquet tables.

Input (``ROOT``)::

    ROOT/annotations/trainval_hico.json, test_hico.json, corre_hico.npy   (HICO-DET)
    ROOT/images/train2015/…, ROOT/images/test2015/…

Output (``OUT``)::

    OUT/manifest.json        benchmark, vocabulary, splits, schema versions
    OUT/label_space/…        the fixed object and predicate vocabulary (labels from 0)
    OUT/label_combinations/… the allowed (predicate, object) combinations ("correct") and the
                             unseen ones of each zero-shot setting ("UC-RF", "UC-NF")
    OUT/train/, OUT/test/    one ingest directory per split (images, categories, entities,
                             relations, scene_graphs, rejects, manifest.json)
    OUT/evaluation_files/    V-COCO: its role annotations (vcoco_test.json,
                             instances_vcoco_all_2014.json, vcoco_test.ids), copied

The whole directory appears at once when complete (staged beside ``OUT``, then renamed).
"""

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from data_schemas.benchmark_manifest import BenchmarkManifest
from data_schemas.dataset_manifest import DatasetSources
from data_schemas.errors import RLIPv2InputError
from data_schemas.label_combinations import CORRECT_COMBINATIONS, LABEL_COMBINATIONS
from data_schemas.label_space import LABEL_SPACE, LabelKind
from evaluation.benchmark_tables import EVALUATION_FILES
from evaluation.vcoco_role_files import VCOCO_ROLE_FILES
from pipeline.ingest.benchmark_vocabulary import BenchmarkVocabulary
from pipeline.ingest.counts import IngestCounts
from pipeline.ingest.hoi_annotations import (
    HoiFileFormat,
    image_id_from_file_number,
    image_id_from_position,
    ingest_hoi_file,
)
from pipeline.ingest.rejection import RejectLog
from pipeline.ingest.run import IngestSummary, run_ingest, write_scene_graphs
from data_schemas.staged_output import StagedDatasetOutput


@dataclass(frozen=True)
class BenchmarkSplit:
    """One split: its annotation file under ``ROOT/annotations`` and its image directory
    under ``ROOT/images``."""

    split: str
    annotation_file: str
    image_directory: str


@dataclass(frozen=True)
class BenchmarkLayout:
    """Where a benchmark keeps its files, and how its annotation files read."""

    benchmark: str
    splits: tuple[BenchmarkSplit, ...]
    file_format: HoiFileFormat
    correct_combinations_file: str | None
    evaluation_files: tuple[str, ...] = ()
    """Files under ``ROOT/annotations`` the evaluator reads besides the tables: copied as they
    are into ``OUT/evaluation_files``."""


HICO_DET = BenchmarkLayout(
    benchmark="hico-det",
    splits=(
        BenchmarkSplit("train", "trainval_hico.json", "train2015"),
        BenchmarkSplit("test", "test_hico.json", "test2015"),
    ),
    file_format=HoiFileFormat("hoi_annotation", image_id_from_file_number),
    correct_combinations_file="corre_hico.npy",
)
V_COCO = BenchmarkLayout(
    benchmark="v-coco",
    splits=(
        BenchmarkSplit("train", "trainval_vcoco.json", "train2014"),
        BenchmarkSplit("test", "test_vcoco.json", "val2014"),
    ),
    file_format=HoiFileFormat("hoi_annotation", image_id_from_file_number),
    correct_combinations_file="corre_vcoco.npy",
    evaluation_files=VCOCO_ROLE_FILES,
)
OPEN_IMAGES = BenchmarkLayout(
    benchmark="open-images",
    splits=(
        BenchmarkSplit("train", "OI_SGG_train_finetuning.json", "."),
        BenchmarkSplit("test", "OI_SGG_test.json", "."),
    ),
    file_format=HoiFileFormat("rel_annotations", image_id_from_position),
    correct_combinations_file=None,
)
LAYOUTS: dict[str, BenchmarkLayout] = {
    layout.benchmark: layout for layout in (HICO_DET, V_COCO, OPEN_IMAGES)
}


@dataclass(frozen=True)
class BenchmarkIngestSummary:
    """What one benchmark ingest wrote: one summary per split."""

    out_dir: Path
    benchmark: str
    splits: tuple[IngestSummary, ...]
    seconds: float

    def format(self) -> str:
        lines = [f"ingested {self.benchmark} into {self.out_dir} in {self.seconds:.1f}s"]
        return "\n".join(lines + [summary.format() for summary in self.splits])


def ingest_relation_benchmark(
    layout: BenchmarkLayout,
    root: Path,
    *,
    out_dir: Path,
    vocabulary: BenchmarkVocabulary,
    vocabulary_source: str,
    rows_per_shard: int,
    overwrite: bool,
) -> BenchmarkIngestSummary:
    """Ingest every split of ``layout`` under ``root`` into ``out_dir`` (see the module
    docstring); ``vocabulary_source`` (a path, or "shipped") is recorded in the manifest.

    Raises:
        RLIPv2InputError: a missing annotation file or image directory, a file of another
            format, or a combination file that does not fit the vocabulary.
    """
    started = time.perf_counter()
    correct = _read_correct_combinations(layout, root, vocabulary)
    evaluation_files = [root / "annotations" / name for name in layout.evaluation_files]
    missing = [str(path) for path in evaluation_files if not path.is_file()]
    if missing:
        raise RLIPv2InputError(
            f"{', '.join(missing)} missing: {layout.benchmark}'s evaluation reads "
            f"ROOT/annotations/{{{','.join(layout.evaluation_files)}}}"
        )
    splits = []
    with StagedDatasetOutput(out_dir, rows_per_shard=rows_per_shard, overwrite=overwrite) as output:
        for split in layout.splits:
            summary = _ingest_split(
                layout, split, root, output.staging_dir / split.split, vocabulary, rows_per_shard
            )
            splits.append(replace(summary, out_dir=out_dir / split.split))
        _write_label_space(output, vocabulary)
        _copy_evaluation_files(evaluation_files, output.staging_dir / EVALUATION_FILES)
        _write_label_combinations(output, correct, vocabulary.zero_shot)
        output.commit(
            BenchmarkManifest(
                benchmark=layout.benchmark,
                root=root.resolve(),
                vocabulary=vocabulary_source,
                splits=[split.split for split in layout.splits],
                zero_shot_settings=sorted(vocabulary.zero_shot),
            )
        )
    return BenchmarkIngestSummary(
        out_dir=out_dir,
        benchmark=layout.benchmark,
        splits=tuple(splits),
        seconds=time.perf_counter() - started,
    )


def _ingest_split(
    layout: BenchmarkLayout,
    split: BenchmarkSplit,
    root: Path,
    split_dir: Path,
    vocabulary: BenchmarkVocabulary,
    rows_per_shard: int,
) -> IngestSummary:
    annotation_file = root / "annotations" / split.annotation_file
    image_root = root / "images" / split.image_directory
    if not annotation_file.is_file():
        raise RLIPv2InputError(
            f"{annotation_file} does not exist: {layout.benchmark} expects "
            f"ROOT/annotations/{split.annotation_file}"
        )
    if not image_root.is_dir():
        raise RLIPv2InputError(
            f"{image_root} is not a directory: {layout.benchmark} expects its {split.split} "
            f"images in ROOT/images/{split.image_directory}"
        )

    def read(output: StagedDatasetOutput, rejects: RejectLog, counts: IngestCounts) -> None:
        ingest_hoi_file(
            annotation_file,
            file_format=layout.file_format,
            vocabulary=vocabulary,
            benchmark=layout.benchmark,
            split=split.split,
            image_root=image_root,
            output=output,
            rejects=rejects,
            counts=counts,
        )
        write_scene_graphs(output, counts)

    sources = DatasetSources(
        annotations=annotation_file.resolve(), image_root=image_root.resolve()
    )
    return run_ingest(
        read, sources, split_dir, layout.benchmark, split.split, rows_per_shard, False
    )


def _read_correct_combinations(
    layout: BenchmarkLayout, root: Path, vocabulary: BenchmarkVocabulary
) -> np.ndarray | None:
    """``(num_predicates, num_objects)`` bool, or None when the layout has no such file."""
    if layout.correct_combinations_file is None:
        return None
    path = root / "annotations" / layout.correct_combinations_file
    try:
        matrix = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise RLIPv2InputError(f"{path} does not exist") from None
    except (OSError, ValueError) as error:
        raise RLIPv2InputError(f"{path} is not a numpy array file: {error}") from None
    expected = (len(vocabulary.predicates), len(vocabulary.objects))
    if matrix.shape != expected:
        raise RLIPv2InputError(
            f"{path} is {matrix.shape}, but the vocabulary has {expected[0]} predicates and "
            f"{expected[1]} object classes"
        )
    return matrix.astype(bool)


def _copy_evaluation_files(paths: list[Path], directory: Path) -> None:
    if paths:
        directory.mkdir()
    for path in paths:
        shutil.copyfile(path, directory / path.name)


def _write_label_space(output: StagedDatasetOutput, vocabulary: BenchmarkVocabulary) -> None:
    writer = output.writer(LABEL_SPACE)
    for kind, entries in (
        (LabelKind.OBJECT, vocabulary.objects),
        (LabelKind.PREDICATE, vocabulary.predicates),
    ):
        for label, entry in enumerate(entries):
            writer.append(
                {"kind": kind, "label": label, "name": entry.name, "source_id": entry.source_id}
            )


def _write_label_combinations(
    output: StagedDatasetOutput,
    correct: np.ndarray | None,
    zero_shot: Mapping[str, frozenset[tuple[int, int]]],
) -> None:
    writer = output.writer(LABEL_COMBINATIONS)
    settings = dict(zero_shot)
    if correct is not None:
        settings[CORRECT_COMBINATIONS] = frozenset(zip(*np.nonzero(correct)))
    for setting, combinations in sorted(settings.items()):
        for predicate_label, object_label in sorted(combinations):
            writer.append(
                {
                    "setting": setting,
                    "predicate_label": int(predicate_label),
                    "object_label": int(object_label),
                }
            )

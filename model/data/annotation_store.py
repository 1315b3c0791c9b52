"""One ``scene_graphs`` table's training annotations as memory-mapped numpy columns.

A store is a directory: one raw little-endian file per column (``<column>.bin``) and
``manifest.json`` (format version, column lengths, the texts that ids index, what reading the
table counted). It is written once (:class:`AnnotationStoreWriter`); every process that trains
on it then maps the same files read-only (:meth:`AnnotationStore.open`), so ranks and DataLoader
workers share the pages through the page cache instead of each holding a copy, and a store
pickles as its path. An item is decoded from the columns when it is read
(:meth:`AnnotationStore.annotation`).

Columns: per image, its id, dataset, file name, recorded size and kept relationships; image
``i``'s entities are rows ``entity_offsets[i]:entity_offsets[i + 1]`` (name, float32 xyxy box;
its related entities first), its pairs ``pair_offsets[i]:pair_offsets[i + 1]`` (subject and
object as image-local entity indices), and pair ``p``'s predicates
``predicate_offsets[p]:predicate_offsets[p + 1]``.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from data_schemas.errors import RLIPv2InputError
from model.data.fieldwise_sum import FieldwiseSum
from model.data.freed_memory import return_freed_memory
from model.data.image_annotation import ImageAnnotation, RelationPair, UnrelatedEntity
from model.data.scene_graph_columns import BatchColumns, PairedImages

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
COLUMNS: dict[str, tuple[type, tuple[int, ...]]] = {
    "image_ids": (np.int64, ()),
    "dataset_ids": (np.int32, ()),
    "widths": (np.int32, ()),
    "heights": (np.int32, ()),
    "relations_kept": (np.int32, ()),
    "file_name_offsets": (np.int64, ()),
    "file_name_bytes": (np.uint8, ()),
    "entity_offsets": (np.int64, ()),
    "entity_names": (np.int32, ()),
    "entity_boxes": (np.float32, (4,)),
    "pair_offsets": (np.int64, ()),
    "pair_subjects": (np.int32, ()),
    "pair_objects": (np.int32, ()),
    "predicate_offsets": (np.int64, ()),
    "predicates": (np.int32, ()),
}
"""Column name -> (dtype, shape of one row)."""

_OFFSETS_OF = {  # offsets column -> the column whose rows it delimits
    "file_name_offsets": "file_name_bytes",
    "entity_offsets": "entity_names",
    "pair_offsets": "pair_subjects",
    "predicate_offsets": "predicates",
}
_COUNTING_CHUNK = 8192  # images per step of the vocabulary counts (bounds their memory)


@dataclass(frozen=True)
class TableCounts(FieldwiseSum):
    """What reading a table counted before any image file was looked at; relationships are
    counted before pairing. ``relations_malformed`` name an entity the image lacks or a
    reserved one; ``images_without_relations`` were kept or dropped as the reading said."""

    images_read: int = 0
    images_without_relations: int = 0
    relations_read: int = 0
    relations_below_threshold: int = 0
    relations_malformed: int = 0


class AnnotationStoreWriter:
    """Appends batches of paired images to a new store directory, then writes its manifest."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True)
        self.directory = directory
        self._files = {name: open(directory / f"{name}.bin", "wb") for name in COLUMNS}
        self._lengths = dict.fromkeys(COLUMNS, 0)
        for name in _OFFSETS_OF:
            self._write(name, np.zeros(1, dtype=np.int64))

    def append(self, columns: BatchColumns, paired: PairedImages) -> None:
        rows = paired.image_rows
        name_offsets, name_bytes = _utf8_column(columns.file_names.take(pa.array(rows)))
        bases = {name: self._lengths[delimited] for name, delimited in _OFFSETS_OF.items()}
        for name, offsets in (
            ("file_name_offsets", name_offsets),
            ("entity_offsets", paired.entity_offsets),
            ("pair_offsets", paired.pair_offsets),
            ("predicate_offsets", paired.predicate_offsets),
        ):
            self._write(name, offsets[1:] + bases[name])
        for name, values in (
            ("image_ids", columns.image_ids[rows]),
            ("dataset_ids", columns.dataset_ids[rows]),
            ("widths", columns.widths[rows]),
            ("heights", columns.heights[rows]),
            ("relations_kept", paired.relations_kept),
            ("file_name_bytes", name_bytes),
            ("entity_names", paired.entity_names),
            ("entity_boxes", paired.entity_boxes),
            ("pair_subjects", paired.pair_subjects),
            ("pair_objects", paired.pair_objects),
            ("predicates", paired.predicates),
        ):
            self._write(name, values)

    def finish(
        self, *, entity_texts: list[str], predicate_texts: list[str], dataset_texts: list[str],
        counts: TableCounts,
    ) -> None:
        for file in self._files.values():
            file.close()
        manifest = {
            "format_version": FORMAT_VERSION,
            "lengths": self._lengths,
            "entity_texts": entity_texts,
            "predicate_texts": predicate_texts,
            "dataset_texts": dataset_texts,
            "counts": asdict(counts),
        }
        (self.directory / MANIFEST).write_text(json.dumps(manifest))

    def _write(self, name: str, values: np.ndarray) -> None:
        dtype, row_shape = COLUMNS[name]
        values = np.ascontiguousarray(values, dtype=dtype)
        assert values.shape[1:] == row_shape, (name, values.shape)
        self._files[name].write(values.tobytes())
        self._lengths[name] += len(values)


def _utf8_column(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow string array -> (num + 1,) int64 offsets from 0 and its uint8 UTF-8 bytes."""
    strings = strings.cast(pa.large_string())
    _, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0] : offsets[-1]]


class AnnotationStore:
    """A store opened read-only: columns memory-mapped, texts in memory. Pickles as its path."""

    def __init__(self, directory: Path) -> None:
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError) as error:
            raise RLIPv2InputError(
                f"annotation store {directory} cannot be read ({error}); delete it to rebuild it"
            ) from error
        if manifest.get("format_version") != FORMAT_VERSION:
            raise RLIPv2InputError(
                f"annotation store {directory} has format {manifest.get('format_version')}, "
                f"not {FORMAT_VERSION}; delete it to rebuild it"
            )
        self.directory = directory
        self.entity_texts: list[str] = manifest["entity_texts"]
        self.predicate_texts: list[str] = manifest["predicate_texts"]
        self.dataset_texts: list[str] = manifest["dataset_texts"]
        self.counts = TableCounts(**manifest["counts"])
        self.columns = {
            name: _map_column(directory / f"{name}.bin", *COLUMNS[name], manifest["lengths"][name])
            for name in COLUMNS
        }

    def __reduce__(self):
        return (AnnotationStore, (self.directory,))

    def __len__(self) -> int:
        return len(self.columns["image_ids"])

    def file_name(self, index: int) -> str:
        start, stop = self.columns["file_name_offsets"][index : index + 2].tolist()
        return self.columns["file_name_bytes"][start:stop].tobytes().decode("utf-8")

    def image_size(self, index: int) -> tuple[int, int]:
        """(width, height) as the table records it."""
        return int(self.columns["widths"][index]), int(self.columns["heights"][index])

    def pairs_per_image(self) -> np.ndarray:
        """(num_images,) int64."""
        return np.diff(self.columns["pair_offsets"])

    def annotation(self, index: int, image_root: Path) -> ImageAnnotation:
        """Image ``index`` decoded, its file under ``image_root``."""
        columns = self.columns
        entity_start, entity_stop = columns["entity_offsets"][index : index + 2].tolist()
        pair_start, pair_stop = columns["pair_offsets"][index : index + 2].tolist()
        names = [self.entity_texts[name]
                 for name in columns["entity_names"][entity_start:entity_stop].tolist()]
        boxes = [tuple(box) for box in columns["entity_boxes"][entity_start:entity_stop].tolist()]
        subjects = columns["pair_subjects"][pair_start:pair_stop].tolist()
        objects = columns["pair_objects"][pair_start:pair_stop].tolist()
        bounds = columns["predicate_offsets"][pair_start : pair_stop + 1].tolist()
        texts = [self.predicate_texts[predicate]
                 for predicate in columns["predicates"][bounds[0] : bounds[-1]].tolist()]
        pairs = tuple(
            RelationPair(
                subject_name=names[subject],
                object_name=names[object_],
                subject_box=boxes[subject],
                object_box=boxes[object_],
                predicates=tuple(texts[start - bounds[0] : stop - bounds[0]]),
            )
            for subject, object_, start, stop in zip(
                subjects, objects, bounds[:-1], bounds[1:], strict=True
            )
        )
        num_related = max(subjects + objects, default=-1) + 1
        width, height = self.image_size(index)
        return ImageAnnotation(
            image_path=image_root / self.file_name(index),
            image_root=image_root,
            dataset=self.dataset_texts[int(columns["dataset_ids"][index])],
            image_id=int(columns["image_ids"][index]),
            width=width,
            height=height,
            pairs=pairs,
            unrelated_entities=tuple(
                UnrelatedEntity(name=names[entity], box=boxes[entity])
                for entity in range(num_related, len(names))
            ),
        )

    def related_counts(self, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Over the images where ``kept`` (num_images,) bool is True: how many related entities
        bear each entity text, and how many pairs each predicate labels (indexed like
        ``entity_texts`` and ``predicate_texts``)."""
        columns = self.columns
        name_counts = np.zeros(len(self.entity_texts), dtype=np.int64)
        predicate_counts = np.zeros(len(self.predicate_texts), dtype=np.int64)
        for start in range(0, len(self), _COUNTING_CHUNK):
            stop = min(start + _COUNTING_CHUNK, len(self))
            pair_start, pair_stop = columns["pair_offsets"][[start, stop]].tolist()
            pair_images = np.repeat(
                np.arange(start, stop), np.diff(columns["pair_offsets"][start : stop + 1])
            )
            pair_kept = kept[pair_images]
            first_entity = columns["entity_offsets"][pair_images[pair_kept]]
            related = np.unique(np.concatenate([
                first_entity + columns["pair_subjects"][pair_start:pair_stop][pair_kept],
                first_entity + columns["pair_objects"][pair_start:pair_stop][pair_kept],
            ]))
            name_counts += np.bincount(columns["entity_names"][related],
                                       minlength=len(name_counts))
            bounds = columns["predicate_offsets"][pair_start : pair_stop + 1]
            predicate_kept = np.repeat(pair_kept, np.diff(bounds))
            predicates = columns["predicates"][bounds[0] : bounds[-1]][predicate_kept]
            predicate_counts += np.bincount(predicates, minlength=len(predicate_counts))
        return_freed_memory()
        return name_counts, predicate_counts


def _map_column(path: Path, dtype: type, row_shape: tuple[int, ...], length: int) -> np.ndarray:
    expected = length * int(np.prod(row_shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    size = path.stat().st_size if path.exists() else -1
    if size != expected:
        raise RLIPv2InputError(
            f"annotation store file {path} holds {size} bytes, not {expected}; delete its "
            "directory to rebuild it"
        )
    if length == 0:
        return np.zeros((0, *row_shape), dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(length, *row_shape))

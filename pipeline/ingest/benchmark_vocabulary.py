"""The fixed vocabulary of a relation-detection benchmark: object classes and predicates with
the ids its annotation files use, and its zero-shot settings.

A vocabulary file (JSON) reads::

    {"benchmark": "hico-det",
     "objects": [{"name": "person", "id": 1}, ...],        # label = position in the list
     "predicates": [{"name": "adjust", "id": 1}, ...],
     "zero_shot": {"UC-RF": [["hug", "suitcase"], ...]}}   # unseen (predicate, object) names

HICO-DET's and V-COCO's ship with rlipv2 (``benchmark_vocabularies/``); ``rlipv2 ingest
hico-det --vocabulary FILE`` reads another (the demo world's downstream task writes one).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from data_schemas.categories import is_reserved_category_name
from data_schemas.errors import RLIPv2InputError
from data_schemas.label_combinations import CORRECT_COMBINATIONS
from data_schemas.label_space import LabelKind

SHIPPED_VOCABULARIES = Path(__file__).resolve().parent / "benchmark_vocabularies"


@dataclass(frozen=True)
class VocabularyEntry:
    """One class: the text the model is shown, and the id annotation files give it."""

    name: str
    source_id: int


@dataclass(frozen=True)
class BenchmarkVocabulary:
    """Object classes and predicates (label = position), and the unseen (predicate label,
    object label) combinations of each zero-shot setting."""

    benchmark: str
    objects: tuple[VocabularyEntry, ...]
    predicates: tuple[VocabularyEntry, ...]
    zero_shot: Mapping[str, frozenset[tuple[int, int]]]

    def __post_init__(self) -> None:
        for kind, entries in ((LabelKind.OBJECT, self.objects), (LabelKind.PREDICATE, self.predicates)):
            if not entries:
                raise ValueError(f"the {kind} vocabulary is empty")
            for field, values in (
                ("name", [entry.name for entry in entries]),
                ("id", [entry.source_id for entry in entries]),
            ):
                repeated = sorted({value for value in values if values.count(value) > 1}, key=str)
                if repeated:
                    raise ValueError(f"{kind} {field}s {repeated[:5]} appear more than once")
        reserved = [entry.name for entry in self.objects if is_reserved_category_name(entry.name)]
        if reserved:
            raise ValueError(f"object {reserved[0]!r} is the model's reserved text 'no objects'")
        if CORRECT_COMBINATIONS in self.zero_shot:
            raise ValueError(f"{CORRECT_COMBINATIONS!r} cannot name a zero-shot setting")

    def object_labels(self) -> dict[int, int]:
        """Annotation id -> label of every object class."""
        return {entry.source_id: label for label, entry in enumerate(self.objects)}

    def predicate_labels(self) -> dict[int, int]:
        """Annotation id -> label of every predicate."""
        return {entry.source_id: label for label, entry in enumerate(self.predicates)}


def shipped_vocabulary(benchmark: str) -> Path:
    """The vocabulary file rlipv2 ships for ``benchmark`` ("hico-det", "v-coco")."""
    return SHIPPED_VOCABULARIES / f"{benchmark.replace('-', '_')}.json"


def read_benchmark_vocabulary(path: Path) -> BenchmarkVocabulary:
    """Read and check a vocabulary file (format in the module docstring).

    Raises:
        RLIPv2InputError: an unreadable file, or one that is not such a vocabulary.
    """
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise RLIPv2InputError(f"vocabulary file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RLIPv2InputError(f"vocabulary file {path} is not readable JSON: {error}") from None
    try:
        objects = _entries(raw["objects"])
        predicates = _entries(raw["predicates"])
        object_label = {entry.name: label for label, entry in enumerate(objects)}
        predicate_label = {entry.name: label for label, entry in enumerate(predicates)}
        zero_shot = {
            str(setting): frozenset(
                (predicate_label[predicate], object_label[object_])
                for predicate, object_ in combinations
            )
            for setting, combinations in raw.get("zero_shot", {}).items()
        }
        return BenchmarkVocabulary(
            benchmark=str(raw["benchmark"]),
            objects=objects,
            predicates=predicates,
            zero_shot=zero_shot,
        )
    except KeyError as error:
        raise RLIPv2InputError(
            f"vocabulary file {path} names no {error} (or a zero-shot combination names an "
            "unknown class)"
        ) from None
    except (TypeError, ValueError, AttributeError) as error:
        raise RLIPv2InputError(f"vocabulary file {path} is not a benchmark vocabulary: {error}") from None


def _entries(raw: object) -> tuple[VocabularyEntry, ...]:
    if not isinstance(raw, list):
        raise ValueError("'objects' and 'predicates' must be lists")
    entries = []
    for item in raw:
        name, source_id = item["name"], item["id"]
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"entry {item!r} has no name")
        if not isinstance(source_id, int) or isinstance(source_id, bool):
            raise ValueError(f"entry {item!r} has no integer id")
        entries.append(VocabularyEntry(name=" ".join(name.split()), source_id=source_id))
    return tuple(entries)

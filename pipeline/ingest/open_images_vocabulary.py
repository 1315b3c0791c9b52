"""The Open Images v6 relation vocabulary, from the category files of RLIPv2's conversion.

``categories_dict.json`` lists every Open Images class (``"obj"``) and the 30 predicates
(``"rel"``); the annotation files' object ``category_id`` indexes its ``"obj"`` list and a
relation's ``category_id`` its ``"rel"`` list. ``OI_SGG_trainval_test_categories_dict.json``
lists the classes the relation benchmark uses, in label order (the official ``oi_sgg.py``).
"""

import json
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from pipeline.ingest.benchmark_vocabulary import BenchmarkVocabulary, VocabularyEntry

ALL_CATEGORIES = "categories_dict.json"
BENCHMARK_CATEGORIES = "OI_SGG_trainval_test_categories_dict.json"


def read_open_images_vocabulary(annotations: Path) -> BenchmarkVocabulary:
    """The benchmark's classes (label order of :data:`BENCHMARK_CATEGORIES`, ids into
    :data:`ALL_CATEGORIES`) and predicates, from the two files in ``annotations``.

    Raises:
        RLIPv2InputError: a missing or unreadable file, or classes the full list lacks.
    """
    every, benchmark = (_read(annotations / name) for name in (ALL_CATEGORIES, BENCHMARK_CATEGORIES))
    index = {name: position for position, name in enumerate(every["obj"])}
    missing = [name for name in benchmark["obj"] if name not in index]
    if missing:
        raise RLIPv2InputError(
            f"{annotations / BENCHMARK_CATEGORIES} names classes {missing[:5]} that "
            f"{ALL_CATEGORIES} lacks"
        )
    try:
        return BenchmarkVocabulary(
            benchmark="open-images",
            objects=tuple(VocabularyEntry(name, index[name]) for name in benchmark["obj"]),
            predicates=tuple(
                VocabularyEntry(name, position) for position, name in enumerate(benchmark["rel"])
            ),
            zero_shot={},
        )
    except ValueError as error:
        raise RLIPv2InputError(f"{annotations}: {error}") from None


def _read(path: Path) -> dict[str, list[str]]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise RLIPv2InputError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RLIPv2InputError(f"{path} is not readable JSON: {error}") from None
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(key), list) and all(isinstance(name, str) for name in raw[key])
        for key in ("obj", "rel")
    ):
        raise RLIPv2InputError(f"{path} is not a category file: it needs 'obj' and 'rel' lists of names")
    return raw

"""Synonym tables: which words and phrases a caption may use for each category.

Built-in tables ship for COCO (80 categories), Objects365 (365) and the demo world; users add
their own with a JSON file, either the built-in format::

    {"dataset": "mine", "version": 1,
     "categories": [{"id": 1, "name": "person", "synonyms": ["person", "man", ...]}, ...]}

or a plain mapping ``{"person": ["man", "rider"], "forklift": ["fork lift"]}``. Synonyms are
singular and lower-case; plurals are generated (see :mod:`pipeline.matching.inflection`).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from data_schemas.categories import RESERVED_CATEGORY_NAME, is_reserved_category_name
from data_schemas.errors import RLIPv2InputError
from demo_world.vocabulary import category_synonym_table

BuiltinVocabulary = Literal["coco", "objects365", "demo"]


@dataclass(frozen=True)
class SynonymTable:
    """Category name (as in the dataset's annotations) -> its synonyms, singular, lower-case.

    Each category's own lower-cased name is always among its synonyms.
    """

    synonyms: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        for category, words in self.synonyms.items():
            if not category.strip():
                raise ValueError("a synonym table has an empty category name")
            for word in words:
                if not word or word != " ".join(word.lower().split()):
                    raise ValueError(
                        f"synonym {word!r} of {category!r} must be lower-case, single-spaced text"
                    )

    def extended_with(self, other: "SynonymTable") -> "SynonymTable":
        """This table with ``other``'s categories added and their synonyms appended."""
        merged = {category: list(words) for category, words in self.synonyms.items()}
        for category, words in other.synonyms.items():
            merged.setdefault(category, [])
            merged[category] += [word for word in words if word not in merged[category]]
        return SynonymTable(synonyms={key: tuple(words) for key, words in merged.items()})


def builtin_synonym_table(vocabulary: BuiltinVocabulary) -> SynonymTable:
    """The synonym table shipped for ``vocabulary``."""
    if vocabulary == "demo":
        return _table_from_mapping(category_synonym_table())
    package_file = resources.files("pipeline.matching") / "vocabularies" / f"{vocabulary}.json"
    return _table_from_json(json.loads(package_file.read_text()), source=str(package_file))


def synonym_table(vocabulary: BuiltinVocabulary, synonyms_file: Path | None) -> SynonymTable:
    """The built-in table of ``vocabulary``, extended with ``synonyms_file`` when given.

    Raises:
        RLIPv2InputError: the synonym file cannot be read (see :func:`load_synonym_file`).
    """
    table = builtin_synonym_table(vocabulary)
    return table if synonyms_file is None else table.extended_with(load_synonym_file(synonyms_file))


def load_synonym_file(path: Path) -> SynonymTable:
    """Read a user synonym file (either format described in the module docstring).

    Raises:
        RLIPv2InputError: the file is missing, not JSON, or not in either format.
    """
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise RLIPv2InputError(f"synonym file {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise RLIPv2InputError(
            f"synonym file {path} is not valid JSON: line {error.lineno}, column {error.colno}: "
            f"{error.msg}"
        ) from None
    return _table_from_json(payload, source=str(path))


def _table_from_json(payload: object, *, source: str) -> SynonymTable:
    if isinstance(payload, Mapping) and isinstance(payload.get("categories"), list):
        entries = payload["categories"]
        if not all(
            isinstance(entry, Mapping)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("synonyms", []), list)
            for entry in entries
        ):
            raise RLIPv2InputError(
                f"{source}: each entry of 'categories' needs a 'name' and a 'synonyms' list"
            )
        mapping = {entry["name"]: entry.get("synonyms", []) for entry in entries}
    elif isinstance(payload, Mapping) and all(
        isinstance(words, list) for words in payload.values()
    ):
        mapping = dict(payload)
    else:
        raise RLIPv2InputError(
            f"{source}: expected {{'categories': [{{'name', 'synonyms'}}]}} or "
            "{'category name': ['synonym', ...]}"
        )
    if not all(isinstance(word, str) for words in mapping.values() for word in words):
        raise RLIPv2InputError(f"{source}: synonyms must be strings")
    if any(not name.strip() for name in mapping):
        raise RLIPv2InputError(f"{source}: a category name is blank")
    reserved = [name for name in mapping if is_reserved_category_name(name)]
    if reserved:
        raise RLIPv2InputError(
            f"{source}: category {reserved[0]!r} is reserved: {RESERVED_CATEGORY_NAME!r} is the "
            "label text the model keeps for unmatched entity slots"
        )
    return _table_from_mapping(mapping)


def _table_from_mapping(mapping: Mapping[str, list[str]]) -> SynonymTable:
    normalised = {}
    for category, words in mapping.items():
        cleaned = [" ".join(word.lower().split()) for word in (category, *words)]
        normalised[category] = tuple(dict.fromkeys(word for word in cleaned if word))
    return SynonymTable(synonyms=normalised)

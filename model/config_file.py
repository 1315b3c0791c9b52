"""Configuration files: TOML -> a frozen dataclass tree, with ``key=value`` overrides."""

import dataclasses
import difflib
import os
import tomllib
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError

from data_schemas.errors import RLIPv2InputError

ConfigT = TypeVar("ConfigT")


def load_config_file(
    path: Path,
    config_type: type[ConfigT],
    overrides: Sequence[str] = (),
    *,
    section: str | None = None,
) -> ConfigT:
    """Read a TOML file into ``config_type`` (a frozen dataclass tree), after applying
    ``section.key=value`` overrides (values in TOML syntax,
    e.g. ``optimization.epochs=2``, ``model.fusion.kind="none"``). With ``section``, only
    that table of the file is read (``"model"``: the detector of a pretrain or train-tagger
    config).

    Relative paths in the file are taken relative to the file's directory.

    Raises:
        RLIPv2InputError: unreadable file, bad override, a key the config does not have (a
            misspelt key would otherwise be ignored), or a value the config refuses.
    """
    raw = read_config_file(path, overrides, section=section)
    unknown = _unknown_keys(raw, config_type, prefix=f"{section}." if section else "")
    if unknown:
        raise RLIPv2InputError(f"config {path} (with its overrides) has unknown keys: "
                               f"{'; '.join(unknown)}")
    try:
        return TypeAdapter(config_type).validate_python(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'config'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise RLIPv2InputError(f"config {path} is invalid: {problems}") from None


def read_config_file(
    path: Path, overrides: Sequence[str] = (), *, section: str | None = None
) -> dict:
    """The TOML table of :func:`load_config_file` before it is checked against a config type:
    overrides applied, relative paths resolved. It needs no config class, so a command can
    report a missing or malformed file before importing the model code.

    Raises:
        RLIPv2InputError: unreadable file, invalid TOML, a bad override or a missing section.
    """
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RLIPv2InputError(f"config file {path} does not exist") from None
    except OSError as error:
        raise RLIPv2InputError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise RLIPv2InputError(f"config file {path} is not valid TOML: {error}") from None
    for override in overrides:
        _apply_override(raw, override)
    _resolve_paths(raw, path.resolve().parent)
    if section is not None:
        if not isinstance(raw.get(section), dict):
            raise RLIPv2InputError(f"config {path} has no [{section}] table")
        raw = raw[section]
    return raw


def config_as_dict(config: object) -> dict:
    """A config as plain JSON-able values (stored in checkpoints)."""
    return TypeAdapter(type(config)).dump_python(config, mode="json")


def _apply_override(raw: dict, override: str) -> None:
    key, separator, value = override.partition("=")
    if not separator or not key.strip():
        raise RLIPv2InputError(f"override {override!r} is not key=value")
    try:
        parsed = tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string
    *sections, name = key.strip().split(".")
    table = raw
    for section in sections:
        table = table.setdefault(section, {})
        if not isinstance(table, dict):
            raise RLIPv2InputError(f"override {override!r}: {section!r} is not a section")
    table[name] = parsed


def _resolve_paths(raw: dict, base: Path) -> None:
    """Make ``output_dir``, ``init_from``, the data sources' paths, a fine-tuning benchmark's
    and model paths written as paths (``./…``, ``../…``) absolute against ``base``; hub names
    stay as they are. Values of the wrong type are left for validation to refuse."""
    for key in ("output_dir", "init_from"):
        if isinstance(raw.get(key), str):
            raw[key] = os.path.normpath(base / raw[key])
    model = raw.get("model")
    for section, key in (("text_encoder", "name_or_path"), ("backbone", "pretrained")):
        table = model.get(section) if isinstance(model, dict) else None
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and value.startswith(("./", "../")):
            table[key] = os.path.normpath(base / value)
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("benchmark_dir"), str):
        data["benchmark_dir"] = os.path.normpath(base / data["benchmark_dir"])
    sources = data.get("sources") if isinstance(data, dict) else None
    for source in sources if isinstance(sources, list) else ():
        for key in ("scene_graphs_dir", "image_root"):
            if isinstance(source, dict) and isinstance(source.get(key), str):
                source[key] = os.path.normpath(base / source[key])


def _unknown_keys(raw: object, config_type: object, *, prefix: str) -> list[str]:
    """The dotted keys of ``raw`` (TOML tables, arrays of tables) that no field of
    ``config_type`` (a dataclass tree) declares, each with the closest known key if any."""
    dataclass_type = _dataclass_in(config_type)
    if not isinstance(raw, dict) or dataclass_type is None:
        return []
    field_types = get_type_hints(dataclass_type)
    names = [field.name for field in dataclasses.fields(dataclass_type) if field.init]
    unknown = []
    for key, value in raw.items():
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            unknown.append(f"{prefix}{key}{hint}")
        elif isinstance(value, list):
            element_types = get_args(_without_none(field_types[key]))
            for index, item in enumerate(value):
                unknown += _unknown_keys(
                    item, element_types[0] if element_types else None,
                    prefix=f"{prefix}{key}[{index}].",
                )
        else:
            unknown += _unknown_keys(value, field_types[key], prefix=f"{prefix}{key}.")
    return unknown


def _without_none(annotation: object) -> object:
    """``X`` of ``X | None``; other annotations as they are."""
    if get_origin(annotation) in (Union, types.UnionType):
        arguments = [argument for argument in get_args(annotation) if argument is not type(None)]
        if len(arguments) == 1:
            return arguments[0]
    return annotation


def _dataclass_in(annotation: object) -> type | None:
    """The dataclass ``annotation`` names (``X`` or ``X | None``), else None."""
    candidate = _without_none(annotation)
    is_dataclass = isinstance(candidate, type) and dataclasses.is_dataclass(candidate)
    return candidate if is_dataclass else None

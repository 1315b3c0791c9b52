"""Configuration files: TOML -> a frozen dataclass tree, with ``key=value`` overrides."""

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from data_schemas.errors import RLIPv2InputError

ConfigT = TypeVar("ConfigT")


def load_config_file(
    path: Path, config_type: type[ConfigT], overrides: Sequence[str] = ()
) -> ConfigT:
    """Read a TOML file into ``config_type`` (a frozen dataclass tree), after applying
    ``section.key=value`` overrides (values in TOML syntax,
    e.g. ``optimization.epochs=2``, ``model.fusion.kind="none"``).

    Relative paths in the file are taken relative to the file's directory.

    Raises:
        RLIPv2InputError: unreadable file, bad override, or a value the config refuses.
    """
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RLIPv2InputError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise RLIPv2InputError(f"config file {path} is not valid TOML: {error}") from None
    for override in overrides:
        _apply_override(raw, override)
    _resolve_paths(raw, path.resolve().parent)
    try:
        return TypeAdapter(config_type).validate_python(raw)
    except ValidationError as error:
        raise RLIPv2InputError(f"config {path} is invalid:\n{error}") from None


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
    """Make ``output_dir``, the data sources' paths and model paths written as paths
    (``./…``, ``../…``) absolute against ``base``; hub names stay as they are."""
    if "output_dir" in raw:
        raw["output_dir"] = os.path.normpath(base / raw["output_dir"])
    model = raw.get("model", {})
    for section, key in (("text_encoder", "name_or_path"), ("backbone", "pretrained")):
        value = model.get(section, {}).get(key)
        if isinstance(value, str) and value.startswith(("./", "../")):
            model[section][key] = os.path.normpath(base / value)
    for source in raw.get("data", {}).get("sources", []):
        for key in ("scene_graphs_dir", "image_root"):
            if key in source:
                source[key] = os.path.normpath(base / source[key])

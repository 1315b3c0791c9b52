"""The configuration tree of ``rlipv2 pretrain``, read from a TOML file with overrides."""

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from data_schemas.errors import RLIPv2InputError
from model.criterion import CriterionConfig
from model.data import PretrainDataConfig
from model.detector_config import DetectorConfig
from model.optimization import OptimizationConfig


@dataclass(frozen=True)
class PretrainConfig:
    """Everything a pretraining run needs; checkpoints and metrics go to ``output_dir``.

    ``max_steps_per_epoch`` caps an epoch (None: the whole dataset); ``device`` is "auto"
    (CUDA when present), "cpu" or a CUDA device; under ``torchrun`` each process takes
    ``cuda:<LOCAL_RANK>``.
    """

    model: DetectorConfig
    data: PretrainDataConfig
    output_dir: Path
    criterion: CriterionConfig = field(default_factory=CriterionConfig)
    optimization: OptimizationConfig = field(default_factory=OptimizationConfig)
    batch_size: int = 4
    num_workers: int = 2
    max_steps_per_epoch: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError("batch_size must be >= 1 and num_workers >= 0")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise ValueError(f"max_steps_per_epoch must be >= 1, got {self.max_steps_per_epoch}")
        if self.criterion.num_decoder_layers != self.model.decoder_layers:
            raise ValueError(
                f"criterion.num_decoder_layers ({self.criterion.num_decoder_layers}) must equal "
                f"model.decoder_layers ({self.model.decoder_layers})"
            )


def load_pretrain_config(path: Path, overrides: list[str] = ()) -> PretrainConfig:
    """Read a TOML config and apply ``section.key=value`` overrides (values in TOML syntax,
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
    _resolve_paths(raw, path.parent)
    try:
        return TypeAdapter(PretrainConfig).validate_python(raw)
    except ValidationError as error:
        raise RLIPv2InputError(f"config {path} is invalid:\n{error}") from None


def config_as_dict(config: PretrainConfig) -> dict:
    """The config as plain JSON-able values (stored in checkpoints)."""
    return TypeAdapter(PretrainConfig).dump_python(config, mode="json")


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

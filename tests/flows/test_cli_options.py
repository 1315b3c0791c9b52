"""Command-line options derived from settings models: types, bounds, defaults, groups, nested
models and flag spellings come from the fields; values read back into the model."""

import argparse
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from data_schemas import RLIPv2InputError
from data_schemas.option import Option, settings_of
from flows.cli_options import add_options, model_from_options, option_values
from flows.label_parameters import LabelParameters


class Inner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Annotated[Path, Option("--inner-path")] = Field(description="a required file")
    size: Annotated[int, Option("--inner-size")] = Field(2, ge=0, description="a size")


class Example(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    count: Annotated[int, Option("--count", decides="stage")] = Field(
        1, ge=1, description="how many"
    )
    mode: Annotated[Literal["a", "b"], Option("--mode", group="modes")] = Field(
        "a", description="which mode"
    )
    threshold: Annotated[float | None, Option("--threshold")] = Field(
        None, ge=0, le=1, description="a cut"
    )
    device: Annotated[str, Option("--example-device")] = Field("auto", description="where")
    overrides: Annotated[list[str], Option("--set", metavar="KEY=VALUE")] = Field(
        [], description="overrides"
    )
    inner: Annotated[Inner | None, Option(group="inner")] = None
    form_only: Annotated[int, Option()] = Field(3, description="not on the command line")


def parser_of(**options) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="example", exit_on_error=False)
    add_options(parser, Example, **options)
    return parser


def test_options_take_their_fields_types_bounds_and_defaults() -> None:
    parser = parser_of()
    arguments = parser.parse_args([])
    assert option_values(arguments, Example) == {
        "count": 1, "mode": "a", "threshold": None, "device": "auto", "overrides": [],
        "inner": {"path": None, "size": 2},
    }
    arguments = parser.parse_args(["--count", "3", "--mode", "b", "--threshold", "0.5",
                                   "--set", "x=1", "--set", "y=2", "--inner-path", "f.json"])
    values = option_values(arguments, Example)
    assert values["inner"] == {"path": Path("f.json"), "size": 2}
    assert Example(**values) == Example(count=3, mode="b", threshold=0.5, overrides=["x=1", "y=2"],
                                        inner=Inner(path=Path("f.json")))
    for bad in (["--count", "0"], ["--mode", "c"], ["--inner-size", "-1"]):
        with pytest.raises(argparse.ArgumentError):
            parser.parse_args(bad)


def test_help_groups_flags_and_defaults() -> None:
    text = parser_of().format_help()
    assert "modes:\n  --mode {a,b}          which mode (a)" in text
    assert "inner:\n  --inner-path INNER_PATH" in text
    assert "--set KEY=VALUE" in text and "how many (1)" in text
    assert "--form-only" not in text and "--form_only" not in text


def test_a_command_may_offer_some_settings_under_its_own_spelling() -> None:
    parser = parser_of(only=("count", "device"), flags={"device": "--device"})
    assert option_values(parser.parse_args(["--device", "cpu"]), Example) == {
        "count": 1, "device": "cpu",
    }
    with pytest.raises(SystemExit):  # not an option of this command
        parser.parse_args(["--mode", "b"])


def test_values_the_model_refuses_are_one_input_error() -> None:
    with pytest.raises(RLIPv2InputError, match="^invalid example options: threshold: [^\n]* "
                                                "\\(got 2.0\\)$"):
        model_from_options(Example, {"threshold": 2.0}, command="example")


def test_every_field_of_a_settings_model_declares_its_option() -> None:
    class Undeclared(BaseModel):
        size: int = 1

    with pytest.raises(TypeError, match="Undeclared.size has no Option"):
        list(settings_of(Undeclared))


def test_rlipv2_label_offers_every_parameter_of_the_label_flow_under_its_flag() -> None:
    flags = {setting.name: setting.option.flag for setting in settings_of(LabelParameters)}
    assert flags == {
        "dataset_dir": "--dataset", "out_dir": "--out", "tagger_checkpoint": "--tagger-checkpoint",
        "ingest.instances": "--coco-instances", "ingest.captions": "--coco-captions",
        "ingest.image_root": None, "ingest.dataset": "--dataset-name", "ingest.split": "--split",
        "image_root": "--image-root", "images_per_shard": "--images-per-shard",
        "captioner": "--captioner", "blip.model": "--blip-model",
        "blip.num_captions": "--num-captions", "blip.batch_size": "--batch-size",
        "blip.seed": "--seed", "blip.device": "--blip-device", "vocabulary": "--vocabulary",
        "synonyms_file": "--synonyms", "max_pairs_per_triplet": "--max-pairs-per-triplet",
        "save_threshold": "--save-threshold", "top_k_per_pair": "--top-k-per-pair",
        "tagger_device": "--tagger-device", "tagger_batch_size": "--tagger-batch-size",
        "tagger_workers": "--tagger-workers", "task_runner": "--task-runner",
        "max_workers": "--max-workers", "dask_address": "--dask-address",
        "gpu_concurrency": "--gpu-concurrency", "ingest_rows_per_shard": None,
        "then_pretrain": "--then-pretrain",
    }

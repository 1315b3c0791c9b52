"""``rlipv2 convert-checkpoint``: a released-format checkpoint in, rlipv2 weights out that the
tagger, the parity harness and ``init_from`` load; bad inputs refused in one line, nothing
written."""

import os
import zipfile
from pathlib import Path

import pytest
import torch

from flows.cli import main
from model.checkpoint import read_checkpoint
from rtagger.tagger_config import EntityTextSource
from rtagger.tagger_scorer import load_tagger_scorer
from official_files import (
    fixture_args,
    fixture_state_dict,
    save_fixture_text_encoder,
    save_official_checkpoint,
)


@pytest.fixture(scope="module")
def released_tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("released")
    return save_official_checkpoint(
        directory / "tagger.pth",
        fixture_state_dict("rtagger_r50_small"),
        fixture_args("rtagger_r50_small"),
    )


@pytest.fixture(scope="module")
def text_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_fixture_text_encoder(tmp_path_factory.mktemp("roberta"), "rtagger_r50_small")


def convert_command(source: Path, output: Path, text_encoder: Path, *extra: str) -> list[str]:
    return [
        "convert-checkpoint",
        str(source),
        "-o",
        str(output),
        "--text-encoder",
        str(text_encoder),
        *extra,
    ]


def test_a_released_tagger_converts_into_a_tagger_rlipv2_tag_loads(
    released_tagger: Path, text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    output = tmp_path / "tagger.pt"

    assert main(convert_command(released_tagger, output, text_encoder_dir)) == 0

    assert "R-Tagger" in capsys.readouterr().out
    payload = read_checkpoint(output)  # weights_only: plain values and tensors
    assert payload["architecture"] == "rtagger" and payload["initialised"] == []
    scorer = load_tagger_scorer(output, device="cpu")
    assert scorer.max_pairs == 4
    assert scorer.entity_texts is EntityTextSource.DATASET  # as the released generator
    state = scorer.tagger.state_dict()
    official = fixture_state_dict("rtagger_r50_small")
    assert torch.equal(
        state["query_encoder.coordinate_projection.weight"],
        official["transformer.coord_proj.weight"],
    )


def test_converting_again_needs_overwrite_and_never_replaces_the_input(
    released_tagger: Path, text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    output = tmp_path / "tagger.pt"
    output.write_bytes(b"keep me")
    assert main(convert_command(released_tagger, output, text_encoder_dir)) == 2
    assert output.read_bytes() == b"keep me"
    assert main(convert_command(released_tagger, released_tagger, text_encoder_dir)) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("rlipv2: error: ") for line in errors)
    assert "--overwrite" in errors[0] and "is the source checkpoint" in errors[1]


class _RunsCode:
    """Pickles into a call of ``os.system``: what a malicious checkpoint would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_without_running_it(
    text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    marker = tmp_path / "ran"
    source = tmp_path / "evil.pth"
    torch.save({"model": {}, "args": _RunsCode(marker)}, source)
    output = tmp_path / "out.pt"

    assert main(convert_command(source, output, text_encoder_dir)) == 2

    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(source) in error
    assert "system" in error and "refused" in error
    assert not marker.exists(), "the pickled call ran"
    assert not output.exists()


@pytest.mark.parametrize("damage", ["truncated", "not_a_checkpoint", "rlipv2_checkpoint"])
def test_bad_files_are_one_line_naming_the_file_and_nothing_is_written(
    damage: str, released_tagger: Path, text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    source = tmp_path / f"{damage}.pth"
    if damage == "truncated":
        source.write_bytes(released_tagger.read_bytes()[:100_000])
    elif damage == "not_a_checkpoint":
        source.write_text("hello")
    else:
        torch.save({"model": {}, "optimizer": {}, "epoch": 1, "config": {}}, source)
    output = tmp_path / "out.pt"

    assert main(convert_command(source, output, text_encoder_dir)) == 2

    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: ") and error.count("\n") == 1
    assert str(source) in error
    assert not output.exists() and not list(tmp_path.glob(".out.pt*"))


def test_keys_that_do_not_map_are_listed_and_nothing_is_written(
    text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    state = fixture_state_dict("rtagger_r50_small")
    state["transformer.unknown_head.weight"] = torch.zeros(2, 2)
    del state["transformer.verb_tgt.weight"]
    source = save_official_checkpoint(
        tmp_path / "odd.pth", state, fixture_args("rtagger_r50_small")
    )
    output = tmp_path / "out.pt"

    assert main(convert_command(source, output, text_encoder_dir)) == 2

    error = capsys.readouterr().err
    assert "transformer.unknown_head.weight" in error and "transformer.verb_tgt.weight" in error
    assert not output.exists()


def test_zip_archives_of_another_program_are_refused(
    text_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    source = tmp_path / "archive.pth"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")
    assert main(convert_command(source, tmp_path / "out.pt", text_encoder_dir)) == 2
    assert str(source) in capsys.readouterr().err

"""The three commands of docs/finetuning.md from a released HICO-DET checkpoint to its mAP, run as written
on CPU: a small official ParSeDA model (the parity fixture's weights, saved as the official code
saves a checkpoint) stands for the released file, a two-image HICO-DET for the dataset, and the
fixture's tokenizer directory for ``roberta-base``."""

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tomllib

from doc_pages import REPOSITORY, code_blocks, page_text
from hoi_benchmark_files import write_hoi_layout
from model.config_file import load_config_file
from model.finetune_config import FinetuneConfig
from official_files import fixture_args, fixture_state_dict, save_fixture_text_encoder, save_official_checkpoint

PAGE = "docs/finetuning.md"
SUBSECTION = "## From a released HICO-DET checkpoint to its mAP"
FIXTURE = "parseda_r50_small"


def section_blocks(language: str, heading: str | None) -> list[str]:
    return [code for _, code in code_blocks(page_text(PAGE, heading), language)]


@pytest.mark.slow
def test_the_three_commands_print_the_map_of_a_converted_checkpoint(tmp_path: Path) -> None:
    (commands,) = section_blocks("bash", SUBSECTION)
    assert len(commands.strip().splitlines()) == 3
    released = re.search(r"convert-checkpoint (\S+)", commands)[1]
    dataset = re.search(r"ingest hico-det (\S+)", commands)[1]
    save_official_checkpoint(tmp_path / released, fixture_state_dict(FIXTURE), fixture_args(FIXTURE))
    text_encoder = save_fixture_text_encoder(tmp_path / "text_encoder", FIXTURE)
    root = write_hoi_layout(tmp_path / dataset)
    np.save(root / "annotations" / "corre_hico.npy", np.ones((117, 80), dtype=bool))
    (root / "annotations" / "vocabulary.json").unlink()  # the shipped vocabulary reads the files
    (tmp_path / ".venv").symlink_to(REPOSITORY / ".venv")
    script = commands.replace("--text-encoder roberta-base", f"--text-encoder {text_encoder}")

    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0, f"{result.stdout}\n--- stderr\n{result.stderr}"
    assert re.search(r"^default/full\s+\d+\.\d\d$", result.stdout, flags=re.MULTILINE)
    out = re.search(r"--out (\S+)$", commands.strip().splitlines()[-1])[1]
    (line,) = (tmp_path / out / "metrics.jsonl").read_text().splitlines()
    metrics = json.loads(line)["evaluation"]["metrics"]
    assert 0.0 <= metrics["default/full"] <= 1.0
    assert (tmp_path / out / "detections.parquet").is_file()


def test_the_finetune_config_of_the_readme_reads(tmp_path: Path) -> None:
    (config,) = section_blocks("toml", None)
    path = tmp_path / "finetune.toml"
    path.write_text(config)
    finetune = load_config_file(path, FinetuneConfig, [])
    raw = tomllib.loads(config)
    assert finetune.data.zero_shot == raw["data"]["zero_shot"]
    assert finetune.optimization.epochs == 20 and finetune.optimization.lr_drop_epoch == 15
    assert finetune.data.few_shot_fraction == 1.0

"""``scripts/check_parity.py``: the largest difference printed, and the exit status."""

import shutil
import subprocess
import sys
from pathlib import Path

import torch

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPT = REPOSITORY / "scripts" / "check_parity.py"
FIXTURE = REPOSITORY / "tests" / "fixtures" / "parity" / "rtagger_r50_small"


def run_script(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, cwd=REPOSITORY
    )


def test_an_output_off_by_more_than_the_tolerance_fails_and_is_named(tmp_path: Path) -> None:
    fixture = shutil.copytree(FIXTURE, tmp_path / "fixture")
    outputs = torch.load(fixture / "outputs.pt", weights_only=True)
    outputs["pred_verb_logits"] = outputs["pred_verb_logits"] + 1e-3
    torch.save(outputs, fixture / "outputs.pt")

    result = run_script(str(fixture))

    assert result.returncode == 1, result.stderr
    assert "largest output difference: 0.001" in result.stdout
    assert "(pred_verb_logits; tolerance 0.0001)" in result.stdout
    assert "ABOVE TOLERANCE: pred_verb_logits" in result.stderr


def test_a_directory_that_is_not_a_fixture_is_a_clear_error(tmp_path: Path) -> None:
    result = run_script(str(tmp_path))
    assert result.returncode == 2
    assert "is not a parity fixture" in result.stderr and result.stderr.count("\n") == 1

"""The snippets of docs/inspecting.md run as written, against a small label run laid out
where ``bash scripts/demo.sh`` puts it (``runs/demo/label``), from a directory holding it and
the repository's ``.venv``."""

import subprocess
import sys
from pathlib import Path

import pytest

from doc_pages import REPOSITORY, code_blocks, page_text
from label_run import shared_label_run

RUN_DIR = Path("runs/demo/label")
SNIPPET_TIMEOUT_S = 120


SNIPPETS = code_blocks(page_text("docs/inspecting.md"), "bash|python")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ``runs/demo/label`` (a link to the shared label run) and ``.venv``."""
    directory = tmp_path_factory.mktemp("readme")
    (directory / RUN_DIR).parent.mkdir(parents=True)
    (directory / RUN_DIR).symlink_to(shared_label_run(tmp_path_factory).label_dir)
    (directory / ".venv").symlink_to(REPOSITORY / ".venv")
    return directory


def test_section_has_cli_duckdb_and_pyarrow_snippets() -> None:
    code = "\n".join(snippet for _, snippet in SNIPPETS)
    assert {language for language, _ in SNIPPETS} == {"bash", "python"}
    for command in ("rlipv2 inspect", "rlipv2 show", "rlipv2 export", "duckdb", "pyarrow"):
        assert command in code, command
    assert str(RUN_DIR) in code


@pytest.mark.parametrize(
    ("language", "code"),
    SNIPPETS,
    ids=[f"{index}-{language}" for index, (language, _) in enumerate(SNIPPETS)],
)
def test_snippet_runs(workdir: Path, language: str, code: str) -> None:
    if language == "bash":
        command = ["bash", "-euo", "pipefail", "-c", code]
    else:
        command = [sys.executable, "-c", code]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=SNIPPET_TIMEOUT_S, check=False
    )
    assert result.returncode == 0, (
        f"{code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    assert result.stdout.strip(), "every snippet prints something to look at"

"""The Python snippets of docs/evaluation.md run as written."""

import subprocess
import sys

import pytest

from doc_pages import REPOSITORY, code_blocks, page_text

SNIPPETS = [code for _, code in code_blocks(page_text("docs/evaluation.md"), "python")]


def test_section_has_a_snippet() -> None:
    assert SNIPPETS and "evaluate_hico_det" in SNIPPETS[0]


@pytest.mark.parametrize("code", SNIPPETS, ids=[str(index) for index in range(len(SNIPPETS))])
def test_snippet_runs(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Full 1.0000  Rare 1.0000  Non-rare nan\n"

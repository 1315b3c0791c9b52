"""The README's "Evaluating relation detections" Python snippets run as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SECTION = "## Evaluating relation detections"


def section_snippets() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text()
    start = readme.index(f"\n{SECTION}\n")
    end = readme.find("\n## ", start + len(SECTION) + 2)
    return re.findall(r"^```python\n(.*?)^```$", readme[start:end], flags=re.DOTALL | re.MULTILINE)


SNIPPETS = section_snippets()


def test_section_has_a_snippet() -> None:
    assert SNIPPETS and "evaluate_hico_det" in SNIPPETS[0]


@pytest.mark.parametrize("code", SNIPPETS, ids=[str(index) for index in range(len(SNIPPETS))])
def test_snippet_runs(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Full 1.0000  Rare 1.0000  Non-rare nan\n"

"""The text and code blocks of the README and the pages under ``docs/``, for the tests that run
what the documentation says."""

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def page_text(page: str, heading: str | None = None) -> str:
    """The text of ``page`` (a path from the repository root, e.g. ``docs/review.md``), or of
    its section ``heading`` (e.g. ``## Exports``) up to the next heading of its level or above."""
    text = (REPOSITORY / page).read_text(encoding="utf-8")
    if heading is None:
        return text
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ", 1)[0]
    following = re.compile(rf"^#{{1,{len(level)}}} ", flags=re.MULTILINE)
    end = following.search(text, start + len(heading) + 2)
    return text[start : end.start() if end else len(text)]


def code_blocks(text: str, languages: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block of ``text`` in ``languages`` (``bash|python``)."""
    return re.findall(rf"^```({languages})\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)

"""The README's "After the demo" path: every command it gives is one rlipv2 accepts as written,
and every page it points to exists."""

import re
import shlex

from doc_pages import REPOSITORY, page_text
from flows.cli import build_parser

SECTION = page_text("README.md", "## After the demo")


def test_every_rlipv2_command_parses() -> None:
    commands = [
        shlex.split(line.strip())[1:]
        for line in SECTION.splitlines()
        if line.strip().startswith(".venv/bin/rlipv2 ")
    ]
    assert [command[0] for command in commands] == ["inspect", "inspect", "show"]
    for command in commands:
        assert callable(build_parser(command).parse_args(command).handler)


def test_every_linked_page_exists() -> None:
    pages = set(re.findall(r"\]\((docs/[^)#]+)\)", page_text("README.md")))
    assert "docs/review.md" in pages and "docs/ui.md" in pages
    assert all((REPOSITORY / page).is_file() for page in pages)


def test_every_docs_page_is_listed_in_the_documentation_table() -> None:
    listed = set(re.findall(r"\]\((docs/[^)#]+\.md)\)", page_text("README.md", "## Documentation")))
    on_disk = {f"docs/{path.name}" for path in (REPOSITORY / "docs").glob("*.md")}
    assert listed == on_disk

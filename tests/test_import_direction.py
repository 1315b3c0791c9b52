"""The packages import one another in the direction the README's Layout section states.

The README's line ``Dependencies point one way: ...`` lists chains such as
`` `data_schemas` ← `model` ← `rtagger` ``: a package may import the packages to its left in any
chain it is in (and theirs, transitively), never one to its right. Every top-level package must
appear in a chain, and no package but ``flows`` (the command line and the Prefect layer) imports
``flows`` (benchmarks and scripts that drive the flows may). The imports are read with ``ast``,
without importing anything. The Layout table above that line names every folder.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
_NOT_PACKAGES = {"tests", "benchmarks", "scripts", "configs", "docs"}


def top_level_packages() -> set[str]:
    """The importable packages at the repository's root (folders with an ``__init__.py``)."""
    return {
        path.parent.name
        for path in REPOSITORY.glob("*/__init__.py")
        if path.parent.name not in _NOT_PACKAGES
    }


def stated_chains(readme: str) -> list[list[str]]:
    """The dependency chains of the README's ``Dependencies point one way`` paragraph, each
    from the lowest package to the highest."""
    match = re.search(r"Dependencies point one way:(.*?)(?:\n\n|$)", readme, re.DOTALL)
    assert match, "README.md has no 'Dependencies point one way:' paragraph"
    chains = []
    for sentence in re.split(r"[;.]", match.group(1)):
        names = re.findall(r"`(\w+)`", sentence)
        if "←" in sentence and len(names) >= 2:
            chains.append(names)
    return chains


def allowed_imports(chains: list[list[str]]) -> dict[str, set[str]]:
    """Package -> every package below it in the stated chains, transitively."""
    below: dict[str, set[str]] = {}
    for chain in chains:
        for position, package in enumerate(chain):
            below.setdefault(package, set()).update(chain[:position])
    changed = True
    while changed:
        changed = False
        for package, lower in below.items():
            reachable = set().union(lower, *(below.get(name, set()) for name in lower))
            if reachable != lower:
                below[package] = reachable
                changed = True
    return below


def imported_packages(path: Path, packages: set[str]) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import of one of ``packages`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in packages:
                yield node.lineno, top


@pytest.fixture(scope="module")
def allowed() -> dict[str, set[str]]:
    return allowed_imports(stated_chains((REPOSITORY / "README.md").read_text(encoding="utf-8")))


def test_every_package_has_a_place_in_the_stated_order(allowed: dict[str, set[str]]) -> None:
    assert top_level_packages() == set(allowed)


def test_the_layout_table_names_every_folder_of_the_repository() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("Dependencies point one way:")]
    listed = set(re.findall(r"^\| `(\w+)/` \|", layout, flags=re.MULTILINE))
    folders = {
        path.name
        for path in REPOSITORY.iterdir()
        if path.is_dir() and not path.name.startswith(".") and any(path.rglob("*.py"))
        or path.name in _NOT_PACKAGES
    }
    assert listed == folders


def test_the_stated_order_has_no_cycle(allowed: dict[str, set[str]]) -> None:
    assert [package for package, lower in allowed.items() if package in lower] == []


def test_no_package_imports_one_above_it(allowed: dict[str, set[str]]) -> None:
    packages = top_level_packages()
    wrong = [
        f"{path.relative_to(REPOSITORY)}:{line} imports {imported}"
        for package in sorted(packages)
        for path in sorted((REPOSITORY / package).rglob("*.py"))
        for line, imported in imported_packages(path, packages)
        if imported != package and imported not in allowed[package]
    ]
    assert wrong == []


def test_only_flows_imports_flows() -> None:
    importers = [
        f"{path.relative_to(REPOSITORY)}:{line}"
        for package in sorted(top_level_packages() - {"flows"})
        for path in sorted((REPOSITORY / package).rglob("*.py"))
        for line, _ in imported_packages(path, {"flows"})
    ]
    assert importers == []


def test_an_import_against_the_order_is_found(tmp_path: Path) -> None:
    module = tmp_path / "stage.py"
    module.write_text("import os\nfrom flows.cli import main\nfrom .local import x\n")
    assert list(imported_packages(module, {"flows", "model"})) == [(2, "flows")]
    chains = stated_chains("Dependencies point one way: `a` ← `b` ← `c`; `b` ← `d`.\n")
    assert allowed_imports(chains) == {"a": set(), "b": {"a"}, "c": {"a", "b"}, "d": {"a", "b"}}

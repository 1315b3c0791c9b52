"""Output directories of rlipv2 runs, their tables, and the directories their manifests name.

An output directory holds tables side by side (``OUT/<table>/shard-*.parquet``) and a
``manifest.json``. Runs built on other outputs name them in the manifest: the ingested
``dataset`` (images, entities, categories) and, for a tagging run, its ``candidates`` run. An
ingested dataset's manifest names its sources instead. Relative paths in manifests are resolved
from the current directory, as the runs that wrote them were given them.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_schemas.dataset_manifest import DatasetManifest
from data_schemas.errors import RLIPv2InputError
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import Manifest, read_manifest
from data_schemas.stage_run_manifest import StageRunManifest
from data_schemas.table_spec import TableSpec
from inspection.table_files import TableFiles, detect_table, is_table_directory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunDirectory:
    """An output directory: its own tables and the output directories its manifest names.

    ``missing_links`` are manifest entries that name no existing directory (``{key: path}``), so
    that an error about a table that is not found can say where it was looked for.
    """

    root: Path
    manifest: Manifest | None
    tables: dict[str, TableFiles]
    links: tuple["RunDirectory", ...]
    missing_links: dict[str, str]

    def find(self, spec: TableSpec) -> TableFiles | None:
        """Table ``spec`` of this directory, else of the directories it names (first found)."""
        return next(self.find_all(spec), None)

    def find_all(self, spec: TableSpec) -> Iterator[TableFiles]:
        """Table ``spec`` of this directory and of every directory it names, each once."""
        seen: set[Path] = set()
        for directory in self._walk(set()):
            table = directory.tables.get(spec.name)
            if table is not None and table.path.resolve() not in seen:
                seen.add(table.path.resolve())
                yield table

    def require(self, spec: TableSpec, *, purpose: str) -> TableFiles:
        """Like :meth:`find`, raising an error that says where the table was looked for.

        Raises:
            RLIPv2InputError: no directory of the run holds the table.
        """
        table = self.find(spec)
        if table is None:
            raise RLIPv2InputError(
                f"{purpose} needs a {spec.name!r} table, and neither {self.root} nor the "
                f"directories its manifest names have one{self._missing_links_hint()}"
            )
        return table

    def image_root(self) -> Path:
        """The ``--image-root`` the run's ingested dataset was read with.

        Raises:
            RLIPv2InputError: no directory of the run is an ingested dataset with an image root.
        """
        for directory in self._walk(set()):
            manifest = directory.manifest
            if isinstance(manifest, DatasetManifest) and manifest.sources.image_root is not None:
                return manifest.sources.image_root
        if self._missing_links_hint():
            raise RLIPv2InputError(
                f"cannot find the image root of {self.root}{self._missing_links_hint()}; or "
                "pass --image-root"
            )
        raise RLIPv2InputError(
            f"no image root is recorded for {self.root} (its dataset was ingested without "
            "--image-root, or it names no dataset); pass --image-root"
        )

    def _walk(self, visited: set[Path]) -> Iterator["RunDirectory"]:
        if self.root.resolve() in visited:
            return
        visited.add(self.root.resolve())
        yield self
        for link in self.links:
            yield from link._walk(visited)

    def _missing_links_hint(self) -> str:
        missing = {
            key: path
            for directory in self._walk(set())
            for key, path in directory.missing_links.items()
        }
        if not missing:
            return ""
        named = ", ".join(f"{key} {path!r}" for key, path in missing.items())
        return (
            f"; the manifest names {named}, which does not exist from the current directory "
            "(run from where the run was made, or pass --dataset)"
        )


def open_run_directory(root: Path, *, dataset_dir: Path | None = None) -> RunDirectory:
    """The output directory ``root`` with its tables and linked directories.

    ``dataset_dir`` replaces every ``"dataset"`` link of the manifests (an ingested dataset that
    has moved since the run).

    Raises:
        RLIPv2InputError: ``root`` is not a directory, its manifest is not JSON, or a table in it
            is unreadable or of another schema version.
    """
    return _open(root, dataset_dir, visited=frozenset())


def _open(root: Path, dataset_dir: Path | None, *, visited: frozenset[Path]) -> RunDirectory:
    if not root.is_dir():
        raise RLIPv2InputError(f"{root} is not a directory")
    manifest = read_manifest(root)
    tables = {}
    for child in sorted(root.iterdir()):
        if not child.name.startswith(".") and is_table_directory(child):
            table = detect_table(child)
            tables[table.spec.name] = table
    links = []
    missing = {}
    visited = visited | {root.resolve()}
    for key, target in _link_targets(manifest, dataset_dir):
        if target.is_dir():
            if target.resolve() not in visited:
                links.append(_open(target, dataset_dir, visited=visited))
        else:
            missing[key] = str(target)
            logger.debug("%s: manifest %s %s does not exist", root, key, target)
    return RunDirectory(
        root=root, manifest=manifest, tables=tables, links=tuple(links), missing_links=missing
    )


def _link_targets(
    manifest: Manifest | None, dataset_dir: Path | None
) -> Iterator[tuple[str, Path]]:
    """The directories ``manifest`` names, by key, in the order they are searched: a tagging
    run's candidates, then the dataset (``dataset_dir`` when given)."""
    if isinstance(manifest, DatasetManifest):
        return  # an ingested dataset names the files it was read from, not outputs
    if isinstance(manifest, StageRunManifest) and manifest.candidates is not None:
        yield "candidates", manifest.candidates
    if dataset_dir is not None:
        yield "dataset", dataset_dir
    elif isinstance(manifest, (StageRunManifest, LabelRunManifest)):
        yield "dataset", manifest.dataset

"""What a user-given PATH points at: one table, or every table of an output directory.

PATH may be a run (or ingested dataset) directory, one of its table directories, or one shard
file. A table is looked at in the context of the directory that holds it, so that its entity
ids can be named by category and its image files found; a directory without ``manifest.json``
gives no context.
"""

from dataclasses import dataclass
from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.manifest_file import MANIFEST_NAME
from inspection.run_directory import RunDirectory, open_run_directory
from inspection.table_files import TableFiles, detect_table, is_table_directory


@dataclass(frozen=True)
class LocatedOutput:
    """The tables PATH selects (``tables``) and the run directory they belong to (``run``)."""

    path: Path
    tables: tuple[TableFiles, ...]
    run: RunDirectory


def locate_output(path: Path, *, dataset_dir: Path | None = None) -> LocatedOutput:
    """Resolve PATH (see the module docstring); ``dataset_dir`` overrides manifests' dataset.

    Raises:
        RLIPv2InputError: PATH does not exist, is not Parquet, is not an rlipv2 table, or is a
            directory holding no rlipv2 table.
    """
    if not path.exists():
        raise RLIPv2InputError(f"{path} does not exist")
    if path.is_file() or is_table_directory(path):
        table = detect_table(path)
        run_dir = (path.parent if path.is_file() else path).parent
        if (run_dir / MANIFEST_NAME).is_file():
            run = open_run_directory(run_dir, dataset_dir=dataset_dir)
        else:
            run = RunDirectory(
                root=run_dir,
                manifest=None,
                tables={table.spec.name: table},
                links=(),
                missing_links={},
            )
        return LocatedOutput(path=path, tables=(table,), run=run)
    run = open_run_directory(path, dataset_dir=dataset_dir)
    if not run.tables:
        raise RLIPv2InputError(
            f"{path} holds no rlipv2 table: give a run or dataset directory (with table "
            "directories such as scene_graphs/), a table directory, or a shard-*.parquet file"
        )
    return LocatedOutput(path=path, tables=tuple(run.tables.values()), run=run)

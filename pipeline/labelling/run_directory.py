"""Whether a directory is a labelling run's output, which a new run may resume in place.

A run writes its shards under ``OUT/work/`` as it goes, and ``OUT/manifest.json`` (a
:class:`~data_schemas.label_run_manifest.LabelRunManifest`) when it is done. So ``OUT`` is a
run's when its manifest is a labelling run's, or, with no manifest yet (a killed run), when it
has the shard store; an empty directory holds nothing to lose. Any other directory (notes,
another dataset, another tool's output) is not: a run there would replace same-named entries.
"""

from pathlib import Path

from data_schemas.errors import RLIPv2InputError
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import MANIFEST_NAME, read_manifest
from pipeline.labelling.stages import SPLIT_STAGE, WORK_DIR_NAME


def is_label_run_directory(directory: Path) -> bool:
    """Whether ``directory`` is empty or holds a labelling run (finished or killed)."""
    if not directory.is_dir():
        return False
    if (directory / MANIFEST_NAME).is_file():
        try:
            return isinstance(read_manifest(directory), LabelRunManifest)
        except RLIPv2InputError:
            return False
    if (directory / WORK_DIR_NAME / SPLIT_STAGE).is_dir():
        return True
    return not any(directory.iterdir())

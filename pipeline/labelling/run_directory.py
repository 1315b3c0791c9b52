"""Whether a directory is a labelling run's output, which a new run may resume in place.

A run writes its shards under ``OUT/work/`` as it goes, and ``OUT/manifest.json`` (holding the
run's plan and summary) when it is done. So ``OUT`` is a run's when its manifest is a labelling
run's, or, with no manifest yet (a killed run), when it has the shard store; an empty directory
holds nothing to lose. Any other directory (notes, another dataset, another tool's output) is
not: a run there would replace same-named entries.
"""

import json
from pathlib import Path

from pipeline.labelling.label_plan import WORK_DIR_NAME
from pipeline.labelling.publish import RUN_MANIFEST_NAME
from pipeline.labelling.split_stage import SPLIT_STAGE

_LABEL_RUN_MANIFEST_KEYS = frozenset({"plan", "summary", "table_shards"})


def is_label_run_directory(directory: Path) -> bool:
    """Whether ``directory`` is empty or holds a labelling run (finished or killed)."""
    if not directory.is_dir():
        return False
    manifest = directory / RUN_MANIFEST_NAME
    if manifest.is_file():
        try:
            content = json.loads(manifest.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(content, dict) and _LABEL_RUN_MANIFEST_KEYS <= content.keys()
    if (directory / WORK_DIR_NAME / SPLIT_STAGE).is_dir():
        return True
    return not any(directory.iterdir())

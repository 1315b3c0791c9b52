"""Whether a synonym table fits a dataset: its categories must be the table's keys."""

import logging
from pathlib import Path

from data_schemas.categories import CATEGORIES
from data_schemas.errors import RLIPv2InputError
from data_schemas.parquet_io import read_table
from pipeline.matching.synonym_table import SynonymTable

logger = logging.getLogger(__name__)

_NAMES_SHOWN = 10


def check_vocabulary_coverage(table: SynonymTable, dataset_dir: Path) -> None:
    """Check that the categories of the ingested dataset ``dataset_dir`` are in ``table``.

    A category without an entry can never be matched: its entities get no candidates. Some
    missing ones are logged as a warning; all missing (the table of another dataset, e.g.
    ``--vocabulary coco`` on Objects365, whose names are capitalised) is an error, as the run
    would find no candidate at all.

    Raises:
        RLIPv2InputError: no category of the dataset has an entry in ``table``.
    """
    names = sorted(set(read_table(dataset_dir / CATEGORIES.name, CATEGORIES)["name"].to_pylist()))
    missing = [name for name in names if name not in table.synonyms]
    if not missing:
        return
    shown = ", ".join(repr(name) for name in missing[:_NAMES_SHOWN])
    more = f" and {len(missing) - _NAMES_SHOWN} more" if len(missing) > _NAMES_SHOWN else ""
    if len(missing) == len(names):
        raise RLIPv2InputError(
            f"none of the {len(names)} categories of {dataset_dir} is in the synonym table "
            f"({shown}{more}), so no caption phrase could match them: choose this dataset's "
            "--vocabulary, or add its names with --synonyms FILE"
        )
    logger.warning(
        "%d of the %d categories of %s are not in the synonym table and will never be "
        "matched: %s%s (add them with --synonyms FILE)",
        len(missing), len(names), dataset_dir, shown, more,
    )

"""What a reviewer may label a run's boxes and relations with, and which tagger scored them.

A review config that declared only the predicates kept at the export's cut would stop a
reviewer from relabelling a relation with one the tagger scored lower: the vocabulary is every
category of the dataset and every relation text the run stored or considered.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from data_schemas.candidates import CANDIDATES
from data_schemas.categories import CATEGORIES
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.relations import RELATIONS
from data_schemas.scene_graphs import SCENE_GRAPHS
from data_schemas.stage_run_manifest import StageRunManifest
from data_schemas.table_spec import TableSpec
from data_schemas.tagged_relations import TAGGED_RELATIONS
from inspection.run_directory import RunDirectory


@dataclass(frozen=True)
class ReviewVocabulary:
    """Sorted category names and predicates a review config declares."""

    categories: tuple[str, ...]
    predicates: tuple[str, ...]


def review_vocabulary(run: RunDirectory) -> ReviewVocabulary:
    """The categories of ``run``'s dataset and its scene graphs' objects, and the predicates of
    its scene graphs (below any cut too), human relations, tagged relations and candidates
    (every relation text its captions gave), over the run and the directories it names."""
    categories = _unique(run, CATEGORIES, "name")
    categories |= _unique_in_scene_graphs(run, "objects", "category_name")
    predicates = _unique(run, RELATIONS, "predicate")
    predicates |= _unique(run, TAGGED_RELATIONS, "relation")
    predicates |= _unique(run, CANDIDATES, "relation")
    predicates |= _unique_in_scene_graphs(run, "relationships", "predicate")
    return ReviewVocabulary(
        categories=tuple(sorted(categories)), predicates=tuple(sorted(predicates))
    )


def run_tagger_id(run: RunDirectory) -> str | None:
    """The tagger that scored ``run``'s relations: from its manifest (a labelling or ``tag``
    run), else the one id of its ``tagged_relations`` rows; None for human scene graphs or a
    table scored by several taggers."""
    manifest = run.manifest
    if isinstance(manifest, LabelRunManifest) and manifest.tagger_id is not None:
        return manifest.tagger_id
    if isinstance(manifest, StageRunManifest) and manifest.settings.get("tagger_id"):
        return str(manifest.settings["tagger_id"])
    table = run.tables.get(TAGGED_RELATIONS.name)
    if table is None:
        return None
    ids = _column_values([table.read(columns=["tagger_id"])["tagger_id"]])
    return next(iter(ids)) if len(ids) == 1 else None


def _unique(run: RunDirectory, spec: TableSpec, column: str) -> set[str]:
    return _column_values(table.read(columns=[column])[column] for table in run.find_all(spec))


def _unique_in_scene_graphs(run: RunDirectory, list_column: str, field: str) -> set[str]:
    """Distinct ``field`` of the structs in the list column ``list_column`` of scene graphs."""
    return _column_values(
        pc.struct_field(pc.list_flatten(table.read(columns=[list_column])[list_column]), field)
        for table in run.find_all(SCENE_GRAPHS)
    )


def _column_values(columns: Iterable[pa.ChunkedArray | pa.Array]) -> set[str]:
    values: set[str] = set()
    for column in columns:
        values.update(value for value in pc.unique(column).to_pylist() if value)
    return values

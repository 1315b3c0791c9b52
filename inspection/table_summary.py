"""The summary of one table: rows, images, and for relation tables what the relations are.

Relation counts, relations per image, predicates and entity pairs count the relations kept at a
confidence cut (human relations, with no confidence, are always kept); the confidence histogram
shows every scored relation, so that the effect of another cut can be read off it.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_schemas.rejects import REJECTS
from inspection.distributions import ConfidenceHistogram, CountDistribution
from inspection.relation_view import (
    RELATION_TABLES,
    SCORED_TABLES,
    TABLES_NEEDING_ENTITIES,
    relation_view,
)
from inspection.table_files import TableFiles

UNNAMED = "?"
"""Shown for an entity that the entities table at hand does not have."""


@dataclass(frozen=True)
class NamedCount:
    """How often one value (a predicate, a reject reason) occurs."""

    name: str
    count: int


@dataclass(frozen=True)
class EntityPairCount:
    """How many relations have a subject of category ``subject`` and an object of ``object``."""

    subject: str
    object: str
    count: int


@dataclass(frozen=True)
class TableSummary:
    """What one table holds. Fields that do not apply to the table are None.

    ``images`` counts the distinct image ids of the table; ``relations_per_image`` is taken over
    those images (an image whose relations all fall below the cut counts as 0). ``relations``
    counts the relations kept at ``min_confidence``, ``relations_below_cut`` the others.
    ``top_entity_pairs`` is None when no entities table names the table's entity ids.
    """

    table: str
    schema_version: int
    path: Path
    rows: int
    images: int | None
    min_confidence: float
    relations: int | None = None
    relations_below_cut: int | None = None
    relations_per_image: CountDistribution | None = None
    predicate_kinds: int | None = None
    top_predicates: tuple[NamedCount, ...] | None = None
    top_entity_pairs: tuple[EntityPairCount, ...] | None = None
    confidence_histogram: ConfidenceHistogram | None = None
    rejects_by_reason: tuple[NamedCount, ...] | None = None

    def as_dict(self) -> dict:
        """JSON-ready: plain types only."""
        return {
            "table": self.table,
            "schema_version": self.schema_version,
            "path": str(self.path),
            "rows": self.rows,
            "images": self.images,
            "min_confidence": self.min_confidence,
            "relations": self.relations,
            "relations_below_cut": self.relations_below_cut,
            "relations_per_image": _optional_dict(self.relations_per_image),
            "predicate_kinds": self.predicate_kinds,
            "top_predicates": _named_counts(self.top_predicates),
            "top_entity_pairs": None
            if self.top_entity_pairs is None
            else [
                {"subject": pair.subject, "object": pair.object, "count": pair.count}
                for pair in self.top_entity_pairs
            ],
            "confidence_histogram": _optional_dict(self.confidence_histogram),
            "rejects_by_reason": _named_counts(self.rejects_by_reason),
        }


def summarize_table(
    table_files: TableFiles, *, entities: pa.Table | None, min_confidence: float, top: int
) -> TableSummary:
    """The summary of ``table_files``, with the ``top`` most frequent predicates and pairs.

    ``entities`` (an ``entities`` table, or None) names the entity ids of candidates, tagged
    relations and relations.
    """
    spec = table_files.spec
    table = table_files.read()
    summary = TableSummary(
        table=spec.name,
        schema_version=spec.version,
        path=table_files.path,
        rows=table.num_rows,
        images=(
            len(pc.unique(table["image_id"].drop_null())) if table_files.has_image_ids else None
        ),
        min_confidence=min_confidence,
    )
    if spec.name in RELATION_TABLES:
        needs_entities = spec.name in TABLES_NEEDING_ENTITIES
        summary = _with_relations(
            summary,
            table,
            relation_view(table, spec, entities=entities if needs_entities else None),
            scored=spec.name in SCORED_TABLES,
            names_known=entities is not None or not needs_entities,
            top=top,
        )
    if spec.name == REJECTS.name:
        summary = replace(summary, rejects_by_reason=_value_counts(table["reason"], top=None))
    return summary


def _with_relations(
    summary: TableSummary,
    table: pa.Table,
    relations: pa.Table,
    *,
    scored: bool,
    names_known: bool,
    top: int,
) -> TableSummary:
    confidence = relations["confidence"]
    kept_mask = pc.or_kleene(
        pc.is_null(confidence), pc.greater_equal(confidence, summary.min_confidence)
    )
    kept = relations.filter(kept_mask)
    predicates = _value_counts(kept["predicate"], top=None)
    return replace(
        summary,
        relations=kept.num_rows,
        relations_below_cut=relations.num_rows - kept.num_rows,
        relations_per_image=_per_image(table["image_id"], kept["image_id"]),
        predicate_kinds=len(predicates),
        top_predicates=predicates[:top],
        top_entity_pairs=_top_pairs(kept, top) if names_known else None,
        confidence_histogram=ConfidenceHistogram.of(confidence) if scored else None,
    )


def _per_image(image_ids: pa.ChunkedArray, kept_image_ids: pa.ChunkedArray) -> CountDistribution:
    """Relations per image over every image of ``image_ids`` (0 for those with none kept)."""
    images = np.unique(image_ids.to_numpy())
    with_relations, counts = np.unique(kept_image_ids.to_numpy(), return_counts=True)
    per_image = np.zeros(len(images), dtype=np.int64)
    per_image[np.searchsorted(images, with_relations)] = counts
    return CountDistribution.of(per_image)


def _value_counts(column: pa.ChunkedArray, *, top: int | None) -> tuple[NamedCount, ...]:
    """Values of ``column`` by descending count (ties by value), the ``top`` first (or all)."""
    counted = pc.value_counts(column).to_pylist()
    ordered = sorted(counted, key=lambda item: (-item["counts"], str(item["values"])))
    return tuple(NamedCount(str(item["values"]), item["counts"]) for item in ordered[:top])


def _top_pairs(relations: pa.Table, top: int) -> tuple[EntityPairCount, ...]:
    grouped = relations.group_by(["subject_name", "object_name"]).aggregate([([], "count_all")])
    ordered = sorted(
        grouped.to_pylist(),
        key=lambda row: (-row["count_all"], str(row["subject_name"]), str(row["object_name"])),
    )
    return tuple(
        EntityPairCount(
            subject=row["subject_name"] or UNNAMED,
            object=row["object_name"] or UNNAMED,
            count=row["count_all"],
        )
        for row in ordered[:top]
    )


def _optional_dict(value: CountDistribution | ConfidenceHistogram | None) -> dict | None:
    return None if value is None else value.as_dict()


def _named_counts(counts: tuple[NamedCount, ...] | None) -> dict[str, int] | None:
    return None if counts is None else {item.name: item.count for item in counts}

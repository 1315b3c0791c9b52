"""The summary of a run directory (every table in it) or of one table."""

import logging
from dataclasses import dataclass
from pathlib import Path

from data_schemas import ALL_TABLES
from data_schemas.entities import ENTITIES
from data_schemas.relation_confidence import check_relation_threshold
from inspection.located_output import locate_output
from inspection.relation_view import TABLES_NEEDING_ENTITIES
from inspection.summary_report import summary_markdown, summary_text
from inspection.table_summary import TableSummary, summarize_table

logger = logging.getLogger(__name__)

DEFAULT_TOP = 10
_TABLE_ORDER = {spec.name: index for index, spec in enumerate(ALL_TABLES)}


@dataclass(frozen=True)
class RunSummary:
    """The summaries of the tables of ``path``, in pipeline order (images ... scene graphs,
    rejects), with relations counted at confidence >= ``min_confidence``."""

    path: Path
    min_confidence: float
    tables: tuple[TableSummary, ...]

    def table(self, name: str) -> TableSummary | None:
        """The summary of table ``name``, or None when the run has no such table."""
        return next((summary for summary in self.tables if summary.table == name), None)

    def as_dict(self) -> dict:
        """JSON-ready: ``{"path", "min_confidence", "tables": {name: summary}}``."""
        return {
            "path": str(self.path),
            "min_confidence": self.min_confidence,
            "tables": {summary.table: summary.as_dict() for summary in self.tables},
        }

    def as_text(self) -> str:
        """For a terminal: one block per table."""
        blocks = [f"{self.path}: relations counted at confidence >= {self.min_confidence:g}"]
        blocks += ["\n".join(summary_text(summary)) for summary in self.tables]
        return "\n\n".join(blocks) + "\n"

    def as_markdown(self) -> str:
        """A Markdown report: an overview table, then one section per table."""
        lines = [
            f"## Run summary: `{self.path}`",
            "",
            f"Relations counted at confidence >= {self.min_confidence:g} (human relations "
            "always count).",
            "",
            "| table | schema | rows | images | relations |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| `{row['table']}` | v{row['schema_version']} | {row['rows']:,} | "
            f"{_optional(row['images'])} | {_optional(row['relations'])} |"
            for row in self.as_table_rows()
        ]
        for summary in self.tables:
            lines += ["", *summary_markdown(summary)]
        return "\n".join(lines) + "\n"

    def as_table_rows(self) -> list[dict]:
        """One flat row per table (table, schema_version, rows, images, relations,
        relations_below_cut, predicate_kinds, rejects), e.g. for a table artifact."""
        return [
            {
                "table": summary.table,
                "schema_version": summary.schema_version,
                "rows": summary.rows,
                "images": summary.images,
                "relations": summary.relations,
                "relations_below_cut": summary.relations_below_cut,
                "predicate_kinds": summary.predicate_kinds,
                "rejects": None
                if summary.rejects_by_reason is None
                else sum(item.count for item in summary.rejects_by_reason),
            }
            for summary in self.tables
        ]


def summarize_run(
    run_dir: Path,
    *,
    min_confidence: float = 0.0,
    top: int = DEFAULT_TOP,
    dataset_dir: Path | None = None,
) -> RunSummary:
    """Summarise every table of ``run_dir`` (a run or dataset directory), or the one table that
    ``run_dir`` is (a table directory or shard file).

    Candidates, tagged relations and relations name entities by id; their entity pairs are
    named from the ``entities`` table of the run's dataset (the manifest's ``"dataset"``, or
    ``dataset_dir``). ``top``: how many predicates and entity pairs to list.

    Raises:
        RLIPv2InputError: ``run_dir`` holds no rlipv2 table, or a table is unreadable.
        ValueError: ``min_confidence`` is outside [0, 1] or ``top`` < 1.
    """
    check_relation_threshold(min_confidence)
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    located = locate_output(run_dir, dataset_dir=dataset_dir)
    entities = None
    if any(table.spec.name in TABLES_NEEDING_ENTITIES for table in located.tables):
        entities_files = located.run.find(ENTITIES)
        if entities_files is None:
            logger.warning("%s: no entities table found; entity pairs are not named", run_dir)
        else:
            entities = entities_files.read(["image_id", "entity_id", "category_name"])
    summaries = [
        summarize_table(table, entities=entities, min_confidence=min_confidence, top=top)
        for table in sorted(located.tables, key=lambda table: _TABLE_ORDER[table.spec.name])
    ]
    return RunSummary(path=run_dir, min_confidence=min_confidence, tables=tuple(summaries))


def _optional(value: int | None) -> str:
    return "" if value is None else f"{value:,}"

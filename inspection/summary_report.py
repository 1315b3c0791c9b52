"""A table summary as plain text (terminals) and as Markdown (Prefect artifacts, reports)."""

import math

from inspection.distributions import ConfidenceHistogram, CountDistribution
from inspection.table_summary import TableSummary

BAR_WIDTH = 30
MAX_HISTOGRAM_LINES = 12


def summary_text(summary: TableSummary) -> list[str]:
    """The lines of ``summary`` for a terminal: key figures, then bar-chart histograms."""
    lines = [f"{summary.table} (schema v{summary.schema_version})  {summary.path}"]
    lines.append(f"  rows                 {summary.rows:>10,}")
    if summary.images is not None:
        lines.append(f"  images               {summary.images:>10,}")
    if summary.relations is not None:
        lines.append(f"  relations            {summary.relations:>10,}{_cut_note(summary)}")
    if summary.relations_per_image is not None:
        lines.append(f"  relations per image  {_distribution_line(summary.relations_per_image)}")
        lines += [
            f"    {label:>9} {_bar(images, summary.relations_per_image.images)} {images:,}"
            for label, images in _count_histogram(summary.relations_per_image)
        ]
    if summary.top_predicates is not None:
        lines.append(f"  predicate kinds      {summary.predicate_kinds:>10,}; most frequent:")
        lines += [f"    {item.name:<30} {item.count:>8,}" for item in summary.top_predicates]
    if summary.top_entity_pairs is not None:
        lines.append("  most frequent entity pairs (subject -> object):")
        lines += [
            f"    {pair.subject + ' -> ' + pair.object:<30} {pair.count:>8,}"
            for pair in summary.top_entity_pairs
        ]
    elif summary.relations is not None:
        lines.append("  entity pairs: no entities table found to name the entity ids")
    if summary.confidence_histogram is not None:
        histogram = summary.confidence_histogram
        total = histogram.scored + histogram.unscored
        lines.append("  confidence (every relation, before the cut):")
        lines += [
            f"    {label:>12} {_bar(count, total)} {count:,}"
            for label, count in _confidence_rows(histogram)
        ]
    if summary.rejects_by_reason is not None:
        lines.append("  rejects by reason:" + ("" if summary.rejects_by_reason else " none"))
        lines += [f"    {item.name:<30} {item.count:>8,}" for item in summary.rejects_by_reason]
    return lines


def summary_markdown(summary: TableSummary) -> list[str]:
    """The lines of ``summary`` as Markdown: a heading, a figures table, then one table each."""
    lines = [
        f"### `{summary.table}` (schema v{summary.schema_version})",
        "",
        f"`{summary.path}`",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| rows | {summary.rows:,} |",
    ]
    if summary.images is not None:
        lines.append(f"| images | {summary.images:,} |")
    if summary.relations is not None:
        lines += [
            f"| relations (confidence >= {summary.min_confidence:g}) | {summary.relations:,} |",
            f"| relations below the cut | {summary.relations_below_cut:,} |",
            f"| predicate kinds | {summary.predicate_kinds:,} |",
        ]
    if summary.relations_per_image is not None:
        lines.append(
            f"| relations per image | {_distribution_line(summary.relations_per_image)} |"
        )
        lines += _markdown_table(
            ("relations per image", "images"),
            _count_histogram(summary.relations_per_image),
        )
    if summary.top_predicates:
        lines += _markdown_table(
            ("predicate", "relations"), [(item.name, item.count) for item in summary.top_predicates]
        )
    if summary.top_entity_pairs:
        lines += _markdown_table(
            ("subject", "object", "relations"),
            [(pair.subject, pair.object, pair.count) for pair in summary.top_entity_pairs],
        )
    if summary.confidence_histogram is not None:
        lines += _markdown_table(
            ("confidence", "relations"), _confidence_rows(summary.confidence_histogram)
        )
    if summary.rejects_by_reason:
        lines += _markdown_table(
            ("reject reason", "records"),
            [(item.name, item.count) for item in summary.rejects_by_reason],
        )
    return lines


def _cut_note(summary: TableSummary) -> str:
    if not summary.relations_below_cut:
        return ""
    return f"  (and {summary.relations_below_cut:,} below confidence {summary.min_confidence:g})"


def _distribution_line(distribution: CountDistribution) -> str:
    if not distribution.images:
        return "no images"
    return (
        f"min {distribution.counts[0]}, median {distribution.quantile(0.5)}, "
        f"p90 {distribution.quantile(0.9)}, max {distribution.counts[-1]}, "
        f"mean {distribution.mean:.2f}"
    )


def _count_histogram(distribution: CountDistribution) -> list[tuple[str, int]]:
    """(label, images) lines: one per count, or equal ranges of counts when there are many."""
    pairs = list(zip(distribution.counts, distribution.images_with))
    if len(pairs) <= MAX_HISTOGRAM_LINES:
        return [(str(count), images) for count, images in pairs]
    low, high = distribution.counts[0], distribution.counts[-1]
    width = math.ceil((high - low + 1) / MAX_HISTOGRAM_LINES)
    ranges = [(start, min(start + width - 1, high)) for start in range(low, high + 1, width)]
    return [
        (f"{start}-{end}", sum(images for count, images in pairs if start <= count <= end))
        for start, end in ranges
    ]


def _confidence_rows(histogram: ConfidenceHistogram) -> list[tuple[str, int]]:
    rows = [
        (f"[{low:.1f}, {high:.1f}{']' if high == 1.0 else ')'}", count)
        for low, high, count in histogram.bins()
    ]
    return rows + [("none (human)", histogram.unscored)]


def _bar(count: int, total: int) -> str:
    filled = round(BAR_WIDTH * count / total) if total else 0
    return ("#" * filled).ljust(BAR_WIDTH)


def _markdown_table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    alignment = ["---"] * (len(header) - 1) + ["---:"]
    lines = ["", "| " + " | ".join(header) + " |", "|" + "|".join(alignment) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _cell(value: object) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text.replace("|", "\\|")

"""What a labelling run produced, from its shard manifests: the run report."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from data_schemas.shard_manifest import ShardManifest
from pipeline.labelling.stages import (
    CAPTION_STAGE,
    MATCH_STAGE,
    PARSE_STAGE,
    SPLIT_STAGE,
    TAG_STAGE,
)

TOP_PREDICATES = 10


@dataclass(frozen=True)
class LabelRunSummary:
    """Totals of a labelling run.

    ``relations_at_threshold`` counts kept relations at the reported confidences (pretraining
    keeps those at or above its threshold, 0.20 by default); ``reused_shards`` counts stage
    shards found complete from an earlier run, out of ``stage_shards``.
    """

    shards: int
    images: int
    captions: int
    triplets: int
    candidates: int
    relations_kept: int
    save_threshold: float
    relations_at_threshold: dict[str, int]
    top_predicates: list[tuple[str, int]]
    rejects_by_reason: dict[str, int]
    stage_shards: int
    reused_shards: int

    def rows(self) -> list[tuple[str, str]]:
        """(what, value) rows of the report, in reading order."""
        rows = [
            ("shards", f"{self.shards:,}"),
            ("images", f"{self.images:,}"),
            ("captions", f"{self.captions:,}"),
            ("triplets", f"{self.triplets:,}"),
            ("candidates", f"{self.candidates:,}"),
            (f"relations kept (score >= {self.save_threshold:g})", f"{self.relations_kept:,}"),
        ]
        rows += [
            (f"relations at score >= {threshold}", f"{count:,}")
            for threshold, count in self.relations_at_threshold.items()
        ]
        rows.append(
            ("rejects", ", ".join(f"{reason} {n:,}" for reason, n in self.rejects_by_reason.items())
             or "none")
        )
        rows.append(("stage shards reused", f"{self.reused_shards:,} of {self.stage_shards:,}"))
        return rows

    def format(self) -> str:
        lines = [f"  {what:<34} {value}" for what, value in self.rows()]
        if self.top_predicates:
            lines.append(
                "  top predicates                     "
                + ", ".join(f"{text} ({count:,})" for text, count in self.top_predicates)
            )
        return "\n".join(lines)

    def as_markdown(self) -> str:
        lines = ["| | |", "|---|---|"] + [f"| {what} | {value} |" for what, value in self.rows()]
        if self.top_predicates:
            lines += ["", "**Top predicates**", "", "| predicate | relations |", "|---|---:|"]
            lines += [f"| {text} | {count:,} |" for text, count in self.top_predicates]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "shards": self.shards,
            "images": self.images,
            "captions": self.captions,
            "triplets": self.triplets,
            "candidates": self.candidates,
            "relations_kept": self.relations_kept,
            "save_threshold": self.save_threshold,
            "relations_at_threshold": self.relations_at_threshold,
            "top_predicates": dict(self.top_predicates),
            "rejects_by_reason": self.rejects_by_reason,
            "stage_shards": self.stage_shards,
            "reused_shards": self.reused_shards,
        }


def summarize_label_run(
    stages: Mapping[str, Sequence[ShardManifest]],
    *,
    save_threshold: float,
    rejects_at_ingest: Mapping[str, int],
) -> LabelRunSummary:
    """Sum the manifests of every stage (stage name -> its shards' manifests)."""

    def total(stage: str, count: str) -> int:
        return sum(manifest.counts.get(count, 0) for manifest in stages.get(stage, ()))

    def histogram(stage: str, name: str) -> Counter[str]:
        summed: Counter[str] = Counter()
        for manifest in stages.get(stage, ()):
            summed.update(manifest.histograms.get(name, {}))
        return summed

    rejects = (
        Counter(rejects_at_ingest)
        + histogram(CAPTION_STAGE, "rejects")
        + histogram(TAG_STAGE, "rejects")
    )
    at_threshold = histogram(TAG_STAGE, "relations_at_threshold")
    return LabelRunSummary(
        shards=len(stages.get(SPLIT_STAGE, ())),
        images=total(SPLIT_STAGE, "images"),
        captions=total(CAPTION_STAGE, "captions"),
        triplets=total(PARSE_STAGE, "triplets"),
        candidates=total(MATCH_STAGE, "candidates"),
        relations_kept=total(TAG_STAGE, "relations_kept"),
        save_threshold=save_threshold,
        relations_at_threshold=dict(sorted(at_threshold.items(), key=lambda item: float(item[0]))),
        top_predicates=histogram(TAG_STAGE, "predicates").most_common(TOP_PREDICATES),
        rejects_by_reason=dict(rejects.most_common()),
        stage_shards=sum(len(manifests) for manifests in stages.values()),
        reused_shards=sum(
            manifest.reused for manifests in stages.values() for manifest in manifests
        ),
    )

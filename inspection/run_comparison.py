"""The agreement of two runs' scene graphs on the images they share: a label run against
reviewed labels (``rlipv2 ingest label-studio``), or against the paper's released labels.

B is the reference: precision is the share of A's relations (pairs) that B has, recall the
share of B's that A has, both counted one to one (see :mod:`inspection.relation_agreement`).
Relations are cut at each confidence (human ones always count); images are joined by id.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_schemas.errors import RLIPv2InputError
from data_schemas.relation_confidence import check_relation_threshold, keeps_relationship
from data_schemas.scene_graphs import SCENE_GRAPHS
from inspection.located_output import locate_output
from inspection.relation_agreement import DEFAULT_MATCH_IOU, AgreementCounts, GraphRelation
from inspection.table_files import TableFiles

_BATCH_ROWS = 1024
TOP_PREDICATES = 10


@dataclass(frozen=True)
class PredicateAgreement:
    """One predicate's relations in A and in B, and how many matched."""

    predicate: str
    relations_a: int
    relations_b: int
    matched: int


@dataclass(frozen=True)
class CutAgreement:
    """The agreement at one confidence cut, over the shared images."""

    min_confidence: float
    relations_a: int
    relations_b: int
    relations_matched: int
    pairs_a: int
    pairs_b: int
    pairs_matched: int
    images_with_relations_a: int
    images_with_relations_b: int
    predicate_overlap: float
    """Histogram intersection of the two predicate distributions: 1 = the same shares."""
    top_predicates: tuple[PredicateAgreement, ...]
    """The reference's most frequent predicates (A's when B has none)."""

    @property
    def precision(self) -> float | None:
        return _ratio(self.relations_matched, self.relations_a)

    @property
    def recall(self) -> float | None:
        return _ratio(self.relations_matched, self.relations_b)

    @property
    def pair_precision(self) -> float | None:
        return _ratio(self.pairs_matched, self.pairs_a)

    @property
    def pair_recall(self) -> float | None:
        return _ratio(self.pairs_matched, self.pairs_b)


@dataclass(frozen=True)
class RunComparison:
    """Two runs' scene graphs compared at one or more cuts."""

    run_a: Path
    run_b: Path
    images_a: int
    images_b: int
    shared_images: int
    iou_threshold: float
    cuts: tuple[CutAgreement, ...]

    def as_table_rows(self) -> list[dict]:
        """One row per cut (for a Prefect table artifact, or JSON)."""
        return [
            {
                "min_confidence": cut.min_confidence,
                "relations_a": cut.relations_a,
                "relations_b": cut.relations_b,
                "matched": cut.relations_matched,
                "precision": _rounded(cut.precision),
                "recall": _rounded(cut.recall),
                "pair_precision": _rounded(cut.pair_precision),
                "pair_recall": _rounded(cut.pair_recall),
                "images_with_relations_a": cut.images_with_relations_a,
                "images_with_relations_b": cut.images_with_relations_b,
                "predicate_overlap": round(cut.predicate_overlap, 4),
            }
            for cut in self.cuts
        ]

    def as_dict(self) -> dict:
        return {
            "run_a": str(self.run_a),
            "run_b": str(self.run_b),
            "images_a": self.images_a,
            "images_b": self.images_b,
            "shared_images": self.shared_images,
            "iou_threshold": self.iou_threshold,
            "cuts": self.as_table_rows(),
            "top_predicates": {
                f"{cut.min_confidence:g}": [vars(item) for item in cut.top_predicates]
                for cut in self.cuts
            },
        }

    def as_text(self) -> str:
        """The report for a terminal: the cut table, then per-predicate agreement at each cut."""
        lines = [
            f"A {self.run_a} ({self.images_a:,} images)",
            f"B {self.run_b} ({self.images_b:,} images; the reference)",
            f"shared images {self.shared_images:,}; boxes match at IoU >= {self.iou_threshold:g} "
            "and the same category",
            "",
            f"{'cut':>5} {'rel A':>8} {'rel B':>8} {'matched':>8} {'prec':>6} {'recall':>6} "
            f"{'pair P':>6} {'pair R':>6} {'img A':>6} {'img B':>6} {'pred ov':>7}",
        ]
        for row in self.as_table_rows():
            lines.append(
                f"{row['min_confidence']:>5g} {row['relations_a']:>8,} {row['relations_b']:>8,} "
                f"{row['matched']:>8,} {_cell(row['precision']):>6} {_cell(row['recall']):>6} "
                f"{_cell(row['pair_precision']):>6} {_cell(row['pair_recall']):>6} "
                f"{row['images_with_relations_a']:>6,} {row['images_with_relations_b']:>6,} "
                f"{row['predicate_overlap']:>7.3f}"
            )
        for cut in self.cuts:
            lines += [
                "", f"predicates at {cut.min_confidence:g} (A, B, matched, precision, recall)"
            ]
            lines += [
                f"  {item.predicate:<24} {item.relations_a:>7,} {item.relations_b:>7,} "
                f"{item.matched:>7,} {_cell(_ratio(item.matched, item.relations_a)):>6} "
                f"{_cell(_ratio(item.matched, item.relations_b)):>6}"
                for item in cut.top_predicates
            ]
        return "\n".join(lines)

    def as_markdown(self) -> str:
        rows = self.as_table_rows()
        header = "| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]) + "\n"
        body = "".join(
            "| " + " | ".join(_cell(value) for value in row.values()) + " |\n" for row in rows
        )
        return (
            f"# `{self.run_a}` against `{self.run_b}`\n\n"
            f"{self.shared_images:,} shared images (A has {self.images_a:,}, B {self.images_b:,}); "
            f"B is the reference; boxes match at IoU >= {self.iou_threshold:g}.\n\n"
            + header + body
        )


def compare_runs(
    run_a: Path,
    run_b: Path,
    *,
    cuts: Sequence[float] = (0.2,),
    iou_threshold: float = DEFAULT_MATCH_IOU,
) -> RunComparison:
    """Compare the scene graphs of ``run_a`` with those of the reference ``run_b`` (run or
    dataset directories, scene_graphs tables or shards) on the images both have. A's graphs
    are streamed; B's relations on the shared images, at the lowest cut, are held in memory.

    Raises:
        RLIPv2InputError: a path has no scene graphs, the runs share no image, or
            ``iou_threshold`` is outside (0, 1].
        ValueError: a cut is outside [0, 1], or no cut is given.
    """
    if not cuts:
        raise ValueError("compare needs at least one confidence cut")
    for cut in cuts:
        check_relation_threshold(cut)
    if not 0.0 < iou_threshold <= 1.0:
        raise RLIPv2InputError(f"the match IoU must be in (0, 1], got {iou_threshold:g}")
    table_a, table_b = _scene_graphs(run_a), _scene_graphs(run_b)
    ids_a, ids_b = _image_ids(table_a), _image_ids(table_b)
    shared = ids_a & ids_b
    if not shared:
        raise RLIPv2InputError(
            f"{run_a} and {run_b} share no image id: compare needs runs over the same images"
        )
    lowest = min(cuts)
    reference = dict(_graphs(table_b, shared, lowest))
    counts = [AgreementCounts() for _ in cuts]
    for image_id, relations_a in _graphs(table_a, shared, lowest):
        relations_b = reference[image_id]
        for cut, agreement in zip(cuts, counts, strict=True):
            agreement.add_image(
                _kept(relations_a, cut), _kept(relations_b, cut), iou_threshold=iou_threshold
            )
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        images_a=len(ids_a),
        images_b=len(ids_b),
        shared_images=len(shared),
        iou_threshold=iou_threshold,
        cuts=tuple(
            _cut_agreement(cut, agreement) for cut, agreement in zip(cuts, counts, strict=True)
        ),
    )


def _scene_graphs(path: Path) -> TableFiles:
    for table in locate_output(path).tables:
        if table.spec.name == SCENE_GRAPHS.name:
            return table
    raise RLIPv2InputError(
        f"{path} has no {SCENE_GRAPHS.name!r} table: compare reads the scene graphs of label and "
        "tag runs and of ingested scene graphs (vg, paper-json, label-studio)"
    )


def _image_ids(table: TableFiles) -> set[int]:
    return set(pc.unique(table.read(columns=["image_id"])["image_id"]).to_pylist())


def _graphs(
    table: TableFiles, image_ids: set[int], min_confidence: float
) -> Iterator[tuple[int, list[GraphRelation]]]:
    """``(image id, relations kept at min_confidence)`` of every image in ``image_ids``."""
    for file in table.files:
        for batch in pq.ParquetFile(file).iter_batches(
            batch_size=_BATCH_ROWS, columns=["image_id", "objects", "relationships"]
        ):
            for row in batch.to_pylist():
                if row["image_id"] in image_ids:
                    yield row["image_id"], _relations(row, min_confidence)


def _relations(row: dict, min_confidence: float) -> list[GraphRelation]:
    objects = {
        item["entity_id"]: (
            item["category_name"].lower(), (item["x1"], item["y1"], item["x2"], item["y2"])
        )
        for item in row["objects"]
    }
    relations = []
    for item in row["relationships"]:
        if not keeps_relationship(item["confidence"], min_confidence):
            continue
        subject, object_ = objects[item["subject_entity_id"]], objects[item["object_entity_id"]]
        relations.append(
            GraphRelation(
                predicate=" ".join(item["predicate"].lower().split()),
                subject_category=subject[0],
                subject_box=subject[1],
                object_category=object_[0],
                object_box=object_[1],
                confidence=item["confidence"],
            )
        )
    return relations


def _kept(relations: list[GraphRelation], min_confidence: float) -> list[GraphRelation]:
    return [r for r in relations if keeps_relationship(r.confidence, min_confidence)]


def _cut_agreement(min_confidence: float, counts: AgreementCounts) -> CutAgreement:
    total_a, total_b = sum(counts.predicates_a.values()), sum(counts.predicates_b.values())
    overlap = (
        sum(
            min(count / total_a, counts.predicates_b[predicate] / total_b)
            for predicate, count in counts.predicates_a.items()
        )
        if total_a and total_b
        else 0.0
    )
    ranked = counts.predicates_b if total_b else counts.predicates_a
    return CutAgreement(
        min_confidence=min_confidence,
        relations_a=counts.relations_a,
        relations_b=counts.relations_b,
        relations_matched=counts.relations_matched,
        pairs_a=counts.pairs_a,
        pairs_b=counts.pairs_b,
        pairs_matched=counts.pairs_matched,
        images_with_relations_a=counts.images_with_relations_a,
        images_with_relations_b=counts.images_with_relations_b,
        predicate_overlap=overlap,
        top_predicates=tuple(
            PredicateAgreement(
                predicate=predicate,
                relations_a=counts.predicates_a[predicate],
                relations_b=counts.predicates_b[predicate],
                matched=counts.predicates_matched[predicate],
            )
            for predicate, _ in ranked.most_common(TOP_PREDICATES)
        ),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)

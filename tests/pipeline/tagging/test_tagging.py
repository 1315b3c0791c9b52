"""Tagging: candidates scored by a relation scorer -> tagged relations and scene graphs."""

import math
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch

import data_schemas as ds
from conftest import write_image
from data_schemas.manifest_file import read_manifest
from demo_world import write_demo_world
from model.data import SceneGraphSource, load_rgb_image, read_scene_graph_annotations
from pipeline.ingest import ingest_coco_dataset, ingest_visual_genome_dataset
from pipeline.labelling import LabelSettings
from pipeline.labelling.stage_run import StageRunSummary, run_candidate_stages, run_tag_stages
from pipeline.labelling.stage_run_report import tag_run_report
from pipeline.matching import build_phrase_matcher
from pipeline.parsing import CaptionParserConfig, build_caption_parser
from pipeline.tagging import tag_image

Triplet = tuple[int, int, str]
"""(subject_entity_id, object_entity_id, relation text)."""


# --- named fake scorers ---------------------------------------------------------------------


class FakeUnreadableImageError(ds.RLIPv2InputError):
    """What a real scorer raises for an image file it cannot read."""


@dataclass(frozen=True)
class ScoreCall:
    image_id: int
    pairs: list[tuple[int, int]]
    texts: list[str]


class FakeScorerFromTable:
    """Scores (subject, object, text) from ``scores``, ``default`` otherwise (float64 tensors),
    at most ``max_pairs`` pairs a call.

    Records every call; raises :class:`FakeUnreadableImageError` for ``unreadable_image_ids``.
    """

    tagger_id = "fake-table-scorer"

    def __init__(
        self,
        scores: Mapping[Triplet, float],
        *,
        default: float,
        unreadable_image_ids: Collection[int] = (),
        max_pairs: int = 100,
    ) -> None:
        self.scores = dict(scores)
        self.default = default
        self.unreadable_image_ids = set(unreadable_image_ids)
        self.max_pairs = max_pairs
        self.calls: list[ScoreCall] = []

    def score(
        self,
        image: ds.ImageRecord,
        image_root: Path,
        entities: Sequence[ds.EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> torch.Tensor:
        if image.image_id in self.unreadable_image_ids:
            raise FakeUnreadableImageError(f"{image_root / image.file_name} cannot be decoded")
        assert len(pairs) <= self.max_pairs
        entity_ids = {entity.entity_id for entity in entities}
        assert all(subject in entity_ids and object_ in entity_ids for subject, object_ in pairs)
        self.calls.append(ScoreCall(image.image_id, list(pairs), list(relation_texts)))
        return torch.tensor(
            [
                [self.scores.get((subject, object_, text), self.default) for text in relation_texts]
                for subject, object_ in pairs
            ],
            dtype=torch.float64,
        )


class FakeScorerFromTruth(FakeScorerFromTable):
    """Scores ``hit_score`` for a ground-truth (subject, object, predicate), ``miss_score`` else."""

    tagger_id = "fake-truth-scorer"

    def __init__(
        self,
        truth: Collection[Triplet],
        *,
        hit_score: float = 0.9,
        miss_score: float = 0.01,
        unreadable_image_ids: Collection[int] = (),
    ) -> None:
        super().__init__(
            {triplet: hit_score for triplet in truth},
            default=miss_score,
            unreadable_image_ids=unreadable_image_ids,
        )


class FakeScorerReadingFiles(FakeScorerFromTruth):
    """:class:`FakeScorerFromTruth` that first decodes the image file as the R-Tagger's scorer
    does, raising its :class:`~model.data.image_files.ImageFileError`."""

    def score(
        self,
        image: ds.ImageRecord,
        image_root: Path,
        entities: Sequence[ds.EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> torch.Tensor:
        load_rgb_image(
            image_root / image.file_name,
            image_root=image_root,
            expected_size=(image.width, image.height),
        )
        return super().score(image, image_root, entities, pairs, relation_texts)


class ConstantFakeScorer:
    """Scores every (pair, text) ``value`` (a numpy array), or returns a fixed ``scores`` array."""

    tagger_id = "fake-constant-scorer"

    def __init__(
        self, value: float, *, scores: np.ndarray | None = None, max_pairs: int = 100
    ) -> None:
        self.value = value
        self.fixed_scores = scores
        self.max_pairs = max_pairs

    def score(
        self,
        image: ds.ImageRecord,
        image_root: Path,
        entities: Sequence[ds.EntityRecord],
        pairs: Sequence[tuple[int, int]],
        relation_texts: Sequence[str],
    ) -> np.ndarray:
        if self.fixed_scores is not None:
            return self.fixed_scores
        return np.full((len(pairs), len(relation_texts)), self.value, dtype=np.float32)


# --- a small hand-made image ----------------------------------------------------------------

IMAGE = ds.ImageRecord(
    image_id=7, dataset="hand", split="train", file_name="7.png", width=100, height=80
)
NAMES = {1: "person", 2: "person", 3: "horse", 4: "dog", 5: "dog"}
HAND_ENTITIES = [
    ds.EntityRecord(
        entity_id=entity_id, image_id=7, category_id=entity_id, category_name=name,
        x1=entity_id, y1=1.0, x2=entity_id + 10.0, y2=20.0,
    )
    for entity_id, name in NAMES.items()
]


def evidence(caption_index: int) -> ds.MatchEvidence:
    return ds.MatchEvidence(
        caption_index=caption_index, triplet_index=0, subject_words="man",
        subject_synonym="man", object_words="horse", object_synonym="horse",
    )


def candidate(subject: int, object_: int, relation: str, caption_index: int = 0):
    return ds.CandidateRecord(
        image_id=7, subject_entity_id=subject, object_entity_id=object_, relation=relation,
        provenance=[evidence(caption_index)],
    )


HAND_CANDIDATES = [
    candidate(1, 3, "riding", 0),
    candidate(1, 3, "next to", 1),
    candidate(2, 4, "walking", 2),
    candidate(2, 5, "walking", 3),
    candidate(4, 5, "next to", 4),
]
TEXTS = ["riding", "next to", "walking"]


def tag(scorer, candidates=HAND_CANDIDATES, **options) -> list[ds.TaggedRelationRecord]:
    return tag_image(IMAGE, HAND_ENTITIES, candidates, scorer, image_root=Path("images"), **options)


def triplets(relations: Sequence[ds.TaggedRelationRecord]) -> list[Triplet]:
    return [(r.subject_entity_id, r.object_entity_id, r.relation) for r in relations]


# --- tag_image ------------------------------------------------------------------------------


def test_every_pair_is_scored_against_every_text_and_threshold_is_inclusive() -> None:
    scorer = FakeScorerFromTable(
        {(1, 3, "riding"): 0.05, (1, 3, "next to"): 0.0499, (2, 4, "riding"): 0.7},
        default=0.0,
    )
    relations = tag(scorer, save_threshold=0.05)
    assert scorer.calls == [ScoreCall(7, [(1, 3), (2, 4), (2, 5), (4, 5)], TEXTS)]
    assert triplets(relations) == [(1, 3, "riding"), (2, 4, "riding")]  # 0.05 kept, 0.0499 not
    assert [r.score for r in relations] == [0.05, 0.7]
    assert {r.tagger_id for r in relations} == {"fake-table-scorer"}
    assert triplets(tag(scorer, save_threshold=0.5)) == [(2, 4, "riding")]


def test_provenance_of_candidate_texts_and_empty_for_reassigned_texts() -> None:
    relations = tag(ConstantFakeScorer(0.6))
    assert len(relations) == 4 * 3
    by_triplet = {triplet: r.provenance for triplet, r in zip(triplets(relations), relations)}
    for original in HAND_CANDIDATES:
        key = (original.subject_entity_id, original.object_entity_id, original.relation)
        assert by_triplet.pop(key) == original.provenance
    assert all(provenance == [] for provenance in by_triplet.values())
    assert (2, 4, "riding") in by_triplet  # a text assigned to a pair it was not parsed for


def test_pair_with_no_text_above_threshold_produces_nothing() -> None:
    scorer = FakeScorerFromTable({(1, 3, "riding"): 0.9, (4, 5, "next to"): 0.3}, default=0.04)
    relations = tag(scorer)
    assert triplets(relations) == [(1, 3, "riding"), (4, 5, "next to")]  # (2,4), (2,5) nothing


def test_top_k_per_pair_keeps_the_best_texts_in_text_order_ties_to_the_earlier() -> None:
    scorer = FakeScorerFromTable(
        {
            (1, 3, "riding"): 0.3, (1, 3, "next to"): 0.8, (1, 3, "walking"): 0.5,
            (2, 4, "riding"): 0.4, (2, 4, "next to"): 0.4, (2, 4, "walking"): 0.4,
            (4, 5, "walking"): 0.9,
        },
        default=0.01,
    )
    relations = tag(scorer, top_k_per_pair=2)
    assert triplets(relations) == [
        (1, 3, "next to"), (1, 3, "walking"),
        (2, 4, "riding"), (2, 4, "next to"),
        (4, 5, "walking"),
    ]
    assert len(tag(scorer, top_k_per_pair=1)) == 3
    assert len(tag(scorer)) == 7


def test_pairs_are_scored_in_chunks_with_all_texts_and_give_the_same_result() -> None:
    scores = {(s, o, text): 0.1 * (s + o) + 0.01 * len(text) for s in NAMES for o in NAMES
              for text in TEXTS}
    whole = FakeScorerFromTable(scores, default=0.0)
    in_twos = FakeScorerFromTable(scores, default=0.0, max_pairs=2)
    assert tag(whole) != [] and tag(whole) == tag(in_twos)
    assert [call.pairs for call in whole.calls] == [[(1, 3), (2, 4), (2, 5), (4, 5)]] * 2
    assert [call.pairs for call in in_twos.calls] == [[(1, 3), (2, 4)], [(2, 5), (4, 5)]]
    assert all(call.texts == TEXTS for call in in_twos.calls)
    in_threes = FakeScorerFromTable(scores, default=0.0, max_pairs=3)
    tag(in_threes)
    assert [len(call.pairs) for call in in_threes.calls] == [3, 1]


def test_image_without_candidates_gives_nothing_and_never_calls_the_scorer() -> None:
    scorer = FakeScorerFromTable({}, default=1.0)
    assert tag(scorer, candidates=[]) == []
    assert scorer.calls == []


def test_scores_breaking_the_scorer_contract_are_refused() -> None:
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        tag(ConstantFakeScorer(0.5, scores=np.zeros((4, 2))))
    with pytest.raises(ValueError, match="outside"):
        tag(ConstantFakeScorer(1.5))
    with pytest.raises(ValueError, match="NaN"):
        tag(ConstantFakeScorer(math.nan))


def test_a_scorer_taking_no_pairs_is_refused() -> None:
    with pytest.raises(ValueError, match="fake-constant-scorer has max_pairs=0"):
        tag(ConstantFakeScorer(0.5, max_pairs=0))


def test_candidates_of_unknown_entities_or_duplicated_are_refused() -> None:
    with pytest.raises(ValueError, match=r"entities \[9\]"):
        tag(ConstantFakeScorer(0.5), candidates=[candidate(1, 9, "riding")])
    with pytest.raises(ValueError, match="twice"):
        tag(ConstantFakeScorer(0.5), candidates=[candidate(1, 3, "riding")] * 2)


# --- the run over the demo world ------------------------------------------------------------


@dataclass(frozen=True)
class DemoInputs:
    images_dir: Path
    dataset_dir: Path
    candidates_dir: Path
    truth: frozenset[Triplet]
    candidates: list[ds.CandidateRecord]
    entity_ids_by_image: dict[int, list[int]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    """Twelve demo-world images: COCO ingest + caption candidates, and the VG ingest's truth."""
    root = tmp_path_factory.mktemp("tagging")
    paths = write_demo_world(root / "world", num_images=12, seed=0)
    ingest_coco_dataset(
        paths.instances_json, out_dir=root / "coco", dataset="demo", split="train",
        image_root=paths.images_dir, captions_json=paths.captions_json,
    )
    ingest_visual_genome_dataset(
        paths.vg_image_data_json, relationships_json=paths.vg_relationships_json,
        objects_json=paths.vg_objects_json, out_dir=root / "vg", dataset="demo_vg", split="train",
    )
    run_candidate_stages(
        LabelSettings(vocabulary="demo"), root / "coco", root / "candidates", captions_dir=None,
        image_root=None, captioner=None, parser=build_caption_parser(CaptionParserConfig()),
        matcher=build_phrase_matcher("demo", None), rows_per_shard=1000, overwrite=False,
    )
    relations = ds.read_table(root / "vg" / "relations", ds.RELATIONS).to_pylist()
    entities = ds.read_table(root / "coco" / "entities", ds.ENTITIES).to_pylist()
    entity_ids_by_image: dict[int, list[int]] = {}
    for entity in entities:
        entity_ids_by_image.setdefault(entity["image_id"], []).append(entity["entity_id"])
    return DemoInputs(
        images_dir=paths.images_dir,
        dataset_dir=root / "coco",
        candidates_dir=root / "candidates",
        truth=frozenset(
            (r["subject_entity_id"], r["object_entity_id"], r["predicate"]) for r in relations
        ),
        candidates=ds.CANDIDATES.to_records(
            ds.read_table(root / "candidates" / "candidates", ds.CANDIDATES)
        ),
        entity_ids_by_image=entity_ids_by_image,
    )


def tag_demo(
    demo: DemoInputs,
    out_dir: Path,
    scorer,
    *,
    candidates_dir: Path | None = None,
    image_root: Path | None = None,
    top_k_per_pair: int | None = None,
) -> StageRunSummary:
    """``rlipv2 tag``'s run of ``scorer`` on the demo's candidates (or ``candidates_dir``'s)."""
    stand_in = out_dir.with_name(f"{out_dir.name}-tagger.pt")  # the checkpoint keying the shards
    stand_in.write_text(scorer.tagger_id)
    return run_tag_stages(
        LabelSettings(save_threshold=0.05, top_k_per_pair=top_k_per_pair),
        demo.dataset_dir, candidates_dir or demo.candidates_dir, out_dir,
        tagger_checkpoint=stand_in, scorer=scorer, image_root=image_root or demo.images_dir,
        rows_per_shard=7, overwrite=False,
    )


def tag_counts(summary: StageRunSummary) -> dict[str, int]:
    return summary.manifest.stages["tag"].counts


def read_tagged(out_dir: Path) -> list[ds.TaggedRelationRecord]:
    return ds.TAGGED_RELATIONS.to_records(
        ds.read_table(out_dir / "tagged_relations", ds.TAGGED_RELATIONS)
    )


def read_graphs(out_dir: Path) -> list[ds.SceneGraphRecord]:
    return ds.SCENE_GRAPHS.to_records(ds.read_table(out_dir / "scene_graphs", ds.SCENE_GRAPHS))


def candidate_combinations(candidates: Sequence[ds.CandidateRecord]) -> set[Triplet]:
    """Every (pair, text) of an image's candidates, over all images: what the tagger scores."""
    pairs: dict[int, set[tuple[int, int]]] = {}
    texts: dict[int, set[str]] = {}
    for c in candidates:
        pairs.setdefault(c.image_id, set()).add((c.subject_entity_id, c.object_entity_id))
        texts.setdefault(c.image_id, set()).add(c.relation)
    return {(s, o, text) for image_id in pairs for s, o in pairs[image_id]
            for text in texts[image_id]}


def test_run_keeps_exactly_the_ground_truth_among_candidate_combinations(
    demo: DemoInputs, tmp_path: Path
) -> None:
    summary = tag_demo(demo, tmp_path / "tagged", FakeScorerFromTruth(demo.truth))
    relations = read_tagged(tmp_path / "tagged")
    expected = candidate_combinations(demo.candidates) & demo.truth
    assert expected  # the demo's candidates do hold ground truth: the check is not vacuous
    assert set(triplets(relations)) == expected and len(relations) == len(expected)
    assert all(r.score == 0.9 and r.tagger_id == "fake-truth-scorer" for r in relations)

    # a text reassigned from another pair of the image has no evidence (unit test above)
    evidence_of = {(c.subject_entity_id, c.object_entity_id, c.relation): c.provenance
                   for c in demo.candidates}
    assert all(r.provenance == evidence_of.get(t, [])
               for t, r in zip(triplets(relations), relations, strict=True))

    manifest = read_manifest(tmp_path / "tagged")
    tagging = manifest.stages["tag"]
    assert tagging.counts["images"] == tag_counts(summary)["images"] == 12
    assert tagging.counts["relations_kept"] == len(relations)
    assert tagging.counts["pair_texts_scored"] == len(candidate_combinations(demo.candidates))
    assert tagging.counts["pairs_scored"] == len({(c.subject_entity_id, c.object_entity_id)
                                                 for c in demo.candidates})
    assert tagging.histograms["relations_at_threshold"]["0.2"] == len(relations)
    assert sum(tagging.histograms["predicates"].values()) == len(relations)
    assert manifest.tables["tagged_relations"].rows == len(relations)
    assert manifest.tables["rejects"].rows == 0
    report = tag_run_report(summary)
    assert "relations kept" in report and "fake-truth-scorer" in report


def test_scene_graphs_hold_all_entities_and_are_read_by_pretraining(
    demo: DemoInputs, tmp_path: Path
) -> None:
    # misses at 0.1 are saved (>= 0.05) but dropped by pre-training's 0.20
    tag_demo(demo, tmp_path / "tagged", FakeScorerFromTruth(demo.truth, miss_score=0.1))
    relations = read_tagged(tmp_path / "tagged")
    assert len(relations) == len(candidate_combinations(demo.candidates))
    graphs = read_graphs(tmp_path / "tagged")
    assert [g.image_id for g in graphs] == sorted(demo.entity_ids_by_image)
    assert all([o.entity_id for o in g.objects] == demo.entity_ids_by_image[g.image_id]
               for g in graphs)
    relationships = [r for g in graphs for r in g.relationships]
    assert [r.relationship_id for r in relationships] == list(range(1, len(relations) + 1))
    assert [(r.subject_entity_id, r.object_entity_id, r.predicate, r.confidence)
            for r in relationships] == [(*t, r.score) for t, r in zip(triplets(relations),
                                                                      relations)]

    reading = read_scene_graph_annotations(
        SceneGraphSource(tmp_path / "tagged" / "scene_graphs", demo.images_dir),
        relation_threshold=0.2,
    )
    annotations, counts = reading.annotations, reading.counts
    assert reading.rejects == ()
    expected = candidate_combinations(demo.candidates) & demo.truth
    assert counts.relations_read == len(relations) and counts.relations_kept == len(expected)
    names = {o.entity_id: o.category_name for g in graphs for o in g.objects}
    assert sum(len(pair.predicates) for a in annotations for pair in a.pairs) == len(expected)
    assert {(a.image_id, p.subject_name, p.object_name) for a in annotations for p in a.pairs} == {
        (g.image_id, names[r.subject_entity_id], names[r.object_entity_id])
        for g in graphs for r in g.relationships if (r.subject_entity_id, r.object_entity_id,
                                                     r.predicate) in expected
    }


def test_run_with_small_chunks_and_top_k_matches_per_pair_selection(
    demo: DemoInputs, tmp_path: Path
) -> None:
    scores = {(c.subject_entity_id, c.object_entity_id, c.relation): 0.5 for c in demo.candidates}
    tag_demo(demo, tmp_path / "whole", FakeScorerFromTable(scores, default=0.1))
    tag_demo(demo, tmp_path / "chunked", FakeScorerFromTable(scores, default=0.1, max_pairs=2))
    assert read_tagged(tmp_path / "whole") == read_tagged(tmp_path / "chunked")
    assert read_graphs(tmp_path / "whole") == read_graphs(tmp_path / "chunked")

    tag_demo(demo, tmp_path / "top1", FakeScorerFromTable(scores, default=0.1), top_k_per_pair=1)
    top1 = read_tagged(tmp_path / "top1")
    pairs = [(r.image_id, r.subject_entity_id, r.object_entity_id) for r in top1]
    assert len(pairs) == len(set(pairs)) == len({(c.image_id, c.subject_entity_id,
                                                  c.object_entity_id) for c in demo.candidates})
    assert all(r.score == 0.5 for r in top1)  # every pair has a candidate text at 0.5


def image_records(demo: DemoInputs) -> dict[int, ds.ImageRecord]:
    return {record.image_id: record for record in
            ds.IMAGES.to_records(ds.read_table(demo.dataset_dir / "images", ds.IMAGES))}


def copy_of_images(demo: DemoInputs, images_dir: Path) -> Path:
    """A copy of the demo's image files, for a test to break some (the fixture's are shared)."""
    shutil.copytree(demo.images_dir, images_dir)
    return images_dir


def test_image_without_candidates_gets_a_scene_graph_without_relationships(
    demo: DemoInputs, tmp_path: Path
) -> None:
    table = ds.read_table(demo.candidates_dir / "candidates", ds.CANDIDATES)
    without_image_1 = table.filter(table["image_id"].to_numpy() != 1)
    ds.write_table_atomic(without_image_1, ds.shard_path(tmp_path / "cand" / "candidates", 0),
                          ds.CANDIDATES)
    images_dir = copy_of_images(demo, tmp_path / "images")
    (images_dir / image_records(demo)[1].file_name).unlink()  # never opened: not rejected
    scorer = FakeScorerReadingFiles(demo.truth)
    summary = tag_demo(demo, tmp_path / "tagged", scorer, candidates_dir=tmp_path / "cand",
                       image_root=images_dir)
    assert 1 not in {call.image_id for call in scorer.calls}
    counts = tag_counts(summary)
    assert (counts["images"], counts["images_with_candidates"]) == (12, 11)
    assert counts["images_rejected"] == 0
    (graph,) = [g for g in read_graphs(tmp_path / "tagged") if g.image_id == 1]
    assert graph.relationships == [] and len(graph.objects) == len(demo.entity_ids_by_image[1])


def test_unreadable_image_is_rejected_and_the_rest_are_written(
    demo: DemoInputs, tmp_path: Path
) -> None:
    summary = tag_demo(demo, tmp_path / "tagged",
                       FakeScorerFromTruth(demo.truth, unreadable_image_ids={3}))
    (reject,) = ds.REJECTS.to_records(ds.read_table(tmp_path / "tagged" / "rejects", ds.REJECTS))
    assert (reject.stage, reject.image_id, reject.reason) == ("tag", 3,
                                                             ds.RejectReason.UNREADABLE_IMAGE)
    assert "cannot be decoded" in reject.detail
    assert [g.image_id for g in read_graphs(tmp_path / "tagged")] == [i for i in range(1, 13)
                                                                       if i != 3]
    expected = {t for t in candidate_combinations(demo.candidates) & demo.truth
                if t[0] not in demo.entity_ids_by_image[3]}
    assert expected
    assert set(triplets(read_tagged(tmp_path / "tagged"))) == expected
    assert tag_counts(summary)["images_rejected"] == 1


def test_missing_and_resized_image_files_are_rejected_with_their_own_reasons(
    demo: DemoInputs, tmp_path: Path
) -> None:
    images = image_records(demo)
    missing, resized = sorted({c.image_id for c in demo.candidates})[:2]
    images_dir = copy_of_images(demo, tmp_path / "images")
    (images_dir / images[missing].file_name).unlink()
    write_image(images_dir / images[resized].file_name, images[resized].width + 1,
                images[resized].height)
    summary = tag_demo(demo, tmp_path / "tagged", FakeScorerReadingFiles(demo.truth),
                       image_root=images_dir)
    rejects = ds.REJECTS.to_records(ds.read_table(tmp_path / "tagged" / "rejects", ds.REJECTS))
    assert [(r.stage, r.image_id, r.reason) for r in rejects] == [
        ("tag", missing, ds.RejectReason.MISSING_IMAGE_FILE),
        ("tag", resized, ds.RejectReason.IMAGE_SIZE_MISMATCH),
    ]
    assert images[missing].file_name in rejects[0].detail and "does not exist" in rejects[0].detail
    assert "but its record says" in rejects[1].detail
    assert tag_counts(summary)["images_rejected"] == 2
    assert "rejected images              2" in tag_run_report(summary)
    graph_ids = {g.image_id for g in read_graphs(tmp_path / "tagged")}
    assert graph_ids == set(images) - {missing, resized}


def test_candidates_of_another_dataset_are_refused(demo: DemoInputs, tmp_path: Path) -> None:
    table = ds.read_table(demo.candidates_dir / "candidates", ds.CANDIDATES)
    moved = table.set_column(
        0, ds.CANDIDATES.schema.field("image_id"), pa.array([999] * table.num_rows, pa.int64())
    )
    ds.write_table_atomic(moved, ds.shard_path(tmp_path / "cand" / "candidates", 0),
                          ds.CANDIDATES)
    with pytest.raises(ds.RLIPv2InputError, match="image 999"):
        tag_demo(demo, tmp_path / "tagged", ConstantFakeScorer(0.5),
                 candidates_dir=tmp_path / "cand")
    assert not (tmp_path / "tagged").exists()

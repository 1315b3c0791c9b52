"""The tagger benchmark's own logic (benchmarks/tagger_eval.py)."""

import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import data_schemas as ds
from pipeline.tagging import tag_image

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def tagger_eval(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as a script, it imports its sibling modules
    return importlib.import_module("tagger_eval")


EVIDENCE = ds.MatchEvidence(caption_index=0, triplet_index=0, subject_words="man",
                            subject_synonym="person", object_words="man", object_synonym="person")


class FakeMatrixScorer:
    """Returns one fixed (pairs, texts) score matrix, whatever the image."""

    tagger_id = "fake-matrix-scorer"
    max_pairs = 10

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def score(self, image: ds.ImageRecord, image_root: Path, entities: Sequence[ds.EntityRecord],
              pairs: Sequence[tuple[int, int]], relation_texts: Sequence[str]) -> np.ndarray:
        return self.scores


def test_best_text_per_pair_keeps_what_top_k_per_pair_1_keeps(tagger_eval: ModuleType) -> None:
    image = ds.ImageRecord(image_id=3, dataset="hand", split="eval", file_name="3.png",
                           width=50, height=40)
    entities = [
        ds.EntityRecord(entity_id=entity_id, image_id=3, category_id=1, category_name="person",
                        x1=1.0, y1=1.0, x2=20.0, y2=20.0)
        for entity_id in (1, 2, 3)
    ]
    candidates = [
        ds.CandidateRecord(image_id=3, subject_entity_id=subject, object_entity_id=object_,
                           relation=text, provenance=[EVIDENCE])
        for subject, object_, text in ((1, 2, "riding"), (1, 2, "next to"),
                                       (2, 3, "walking"), (1, 3, "riding"))
    ]
    # pairs (1, 2), (2, 3), (1, 3) against "riding", "next to", "walking": a clear best, a tie
    # (the earlier text wins), and a pair below the save threshold
    scorer = FakeMatrixScorer(np.array([[0.3, 0.8, 0.5], [0.4, 0.4, 0.04], [0.02, 0.03, 0.01]],
                                       dtype=np.float32))

    def tagged(top_k_per_pair: int | None) -> list[dict]:
        return [relation.model_dump() for relation in tag_image(
            image, entities, candidates, scorer, image_root=Path("images"),
            save_threshold=0.05, top_k_per_pair=top_k_per_pair,
        )]

    best = tagger_eval.best_text_per_pair(tagged(None))
    assert best == tagged(1)
    assert [(row["subject_entity_id"], row["relation"]) for row in best] == [
        (1, "next to"), (2, "riding")
    ]

"""Precision and recall of a labelling run against the demo world's ground truth."""

import json
from pathlib import Path

import pytest

from data_schemas.errors import RLIPv2InputError
from demo_world.label_quality import (
    LabelQuality,
    RelationTriplet,
    canonical_predicate,
    ground_truth_relations,
    score_relations,
)


def triplet(image_id: int, subject: int, predicate: str, object_: int) -> RelationTriplet:
    return RelationTriplet(image_id, subject, predicate, object_)


def test_precision_and_recall_of_known_sets():
    truth = [triplet(1, 1, "on", 2), triplet(1, 3, "under", 4), triplet(2, 5, "riding", 6),
             triplet(2, 7, "holding", 8)]
    kept = [triplet(1, 1, "on", 2), triplet(1, 1, "on", 2),  # a duplicate counts once
            triplet(1, 3, "above", 4),  # right pair, wrong predicate
            triplet(2, 6, "riding", 5),  # subject and object swapped
            triplet(2, 7, "holding", 8), triplet(3, 7, "holding", 8)]  # another image
    quality = score_relations(kept, truth)
    assert quality == LabelQuality(kept=5, correct=2, ground_truth=4)
    assert quality.precision == pytest.approx(2 / 5) and quality.recall == pytest.approx(2 / 4)


def test_nothing_kept_or_nothing_true_scores_zero_not_an_error():
    assert score_relations([], [triplet(1, 1, "on", 2)]).precision == 0.0
    assert score_relations([triplet(1, 1, "on", 2)], []).recall == 0.0


@pytest.mark.parametrize(
    ("phrase", "predicate"),
    [("beneath", "under"), ("Underneath", "under"), ("on  top of", "on"), ("carrying", "holding"),
     ("stroking", "petting"), ("next to", "next to"), ("eating", "eating")],
)
def test_caption_phrases_stand_for_their_predicate(phrase, predicate):
    assert canonical_predicate(phrase) == predicate


def test_ground_truth_is_read_from_the_worlds_relationships_file(tmp_path: Path):
    path = tmp_path / "relationships.json"
    path.write_text(json.dumps([{"image_id": 4, "relationships": [
        {"relationship_id": 1, "predicate": "beneath",
         "subject": {"object_id": 9}, "object": {"object_id": 10}}]}]))
    assert ground_truth_relations(path) == {triplet(4, 9, "under", 10)}
    with pytest.raises(RLIPv2InputError, match="no such file"):
        ground_truth_relations(tmp_path / "missing.json")
    path.write_text('[{"image_id": 4}]')
    with pytest.raises(RLIPv2InputError, match="not a demo world's relationships file"):
        ground_truth_relations(path)

"""The official HOI / SGG post-processing: verb score x object (x subject) score, subject
labels, boxes in pixels, and the NF subject filter."""

import math

import numpy as np
import pytest
import torch

from model.detections_postprocess import RelationScoring, detections_from_output
from model.outputs import RelationDetectionOutput, RelationPredictions


def one_image_output() -> RelationDetectionOutput:
    """Two slots over entity texts (person, horse, no objects) and verbs (ride, hold)."""
    big = 10.0
    predictions = RelationPredictions(
        subject_boxes=torch.tensor([[[0.25, 0.5, 0.5, 1.0], [0.5, 0.5, 0.2, 0.2]]]),
        object_boxes=torch.tensor([[[0.75, 0.5, 0.5, 1.0], [0.5, 0.5, 0.4, 0.4]]]),
        # slot 0: a person subject; slot 1: the subject looks like a horse
        subject_logits=torch.tensor([[[big, 0.0, 0.0], [0.0, big, 0.0]]]),
        # object scores: slot 0 horse at softmax([0, ln 3, 0])[1] = 0.6; slot 1 "no objects" wins
        # but the label is the best real text (person, 1 / (4 + e^-10))
        object_logits=torch.tensor([[[0.0, math.log(3.0), 0.0], [0.0, -big, math.log(3.0)]]]),
        relation_logits=torch.tensor([[[0.0, -big], [big, 0.0]]]),
    )
    return RelationDetectionOutput(layers=(predictions,), relation_text_features=torch.zeros(2, 4))


def test_hoi_scores_verbs_by_the_object_and_labels_every_subject_a_person() -> None:
    (image,) = detections_from_output(
        one_image_output(),
        image_sizes=torch.tensor([[100, 200]]),
        image_ids=[42],
        scoring=RelationScoring.HOI,
        subject_label=0,
    )
    assert image.image_id == 42
    assert image.labels.tolist() == [0, 0, 1, 0]  # subjects forced to person; objects argmax
    assert image.subject_index.tolist() == [0, 1] and image.object_index.tolist() == [2, 3]
    np.testing.assert_allclose(image.boxes[0], [0, 0, 100, 100])  # cx .25 w .5 of width 200
    np.testing.assert_allclose(image.boxes[2], [100, 0, 200, 100])
    object_scores = np.array([0.6, 1 / (4 + math.exp(-10.0))])  # horse; person beside "no objects"
    expected = 1 / (1 + np.exp(-np.array([[0.0, -10.0], [10.0, 0.0]]))) * object_scores[:, None]
    np.testing.assert_allclose(image.verb_scores, expected, rtol=1e-5)


def test_sgg_also_scores_and_labels_the_subject() -> None:
    (image,) = detections_from_output(
        one_image_output(), image_sizes=torch.tensor([[100, 200]]), image_ids=[1],
        scoring=RelationScoring.SGG,
    )
    assert image.labels.tolist() == [0, 1, 1, 0]
    hoi = detections_from_output(
        one_image_output(), image_sizes=torch.tensor([[100, 200]]), image_ids=[1],
        scoring=RelationScoring.HOI, subject_label=0,
    )[0]
    subject_scores = torch.tensor([[10.0, 0, 0], [0, 10.0, 0]]).softmax(-1)[:, :-1].max(-1).values
    np.testing.assert_allclose(
        image.verb_scores, hoi.verb_scores * subject_scores.numpy()[:, None], rtol=1e-5
    )


def test_the_nf_filter_keeps_only_slots_whose_subject_is_a_person() -> None:
    (image,) = detections_from_output(
        one_image_output(), image_sizes=torch.tensor([[100, 200]]), image_ids=[1],
        scoring=RelationScoring.HOI, subject_label=0, filter_subjects=True,
    )
    assert image.num_pairs == 1 and len(image.boxes) == 2
    np.testing.assert_allclose(image.boxes[1], [100, 0, 200, 100])


def test_hoi_needs_its_subject_class() -> None:
    with pytest.raises(ValueError, match="subject class"):
        detections_from_output(
            one_image_output(), image_sizes=torch.tensor([[100, 200]]), image_ids=[1],
            scoring=RelationScoring.HOI,
        )

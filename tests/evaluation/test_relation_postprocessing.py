"""The official post-processing steps: box overlaps, ranking with the combination mask and
top-k, pair NMS and phrase (box) NMS, each with the official conventions."""

import numpy as np
import pytest

from data_schemas.errors import RLIPv2InputError
from evaluation import ImageDetections, PairNms, align_detections, suppress_pairs, top_relations
from evaluation.box_overlap import class_iou_matrix, clamped_iou
from evaluation.suppression import suppress_boxes
from evaluation_fixtures import detections_of

SUBJECT, OBJECT = [0.0, 0.0, 9.0, 9.0], [20.0, 20.0, 39.0, 29.0]


def test_overlaps_count_pixels_inclusively() -> None:
    # 10 x 10 pixels each, sharing a 5 x 10 strip: 50 / 150.
    assert clamped_iou(np.array([[0, 0, 9, 9]]), np.array([5, 0, 14, 9]))[0] == pytest.approx(1 / 3)
    # Touching boxes (x2 == x1): the clamped rule still sees one column, the class rule none.
    touching = np.array([[9.0, 0.0, 18.0, 9.0]])
    assert clamped_iou(touching, np.array(SUBJECT))[0] == pytest.approx(10 / 190)
    assert class_iou_matrix(np.array([SUBJECT]), np.array([0]), touching, np.array([0]))[0, 0] == 0
    # Another class never overlaps; NaN gives NaN.
    assert (
        class_iou_matrix(np.array([SUBJECT]), np.array([0]), np.array([SUBJECT]), np.array([1]))[
            0, 0
        ]
        == 0
    )
    assert np.isnan(clamped_iou(np.array([SUBJECT]), np.full(4, np.nan))[0])


def test_top_relations_masks_ranks_stably_and_cuts() -> None:
    detections = detections_of(
        1,
        [
            (SUBJECT, 0, OBJECT, 1, [0.5, 0.9, 0.5]),
            (SUBJECT, 0, OBJECT, 2, [0.7, 0.5, 0.8]),
        ],
    )
    mask = np.ones((3, 3), dtype=bool)
    mask[2, 2] = False  # verb 2 never takes an object of class 2
    ranked = top_relations(detections, top_k=4, combination_mask=mask)
    # Scores 0.9, 0.7, then the three 0.5 ties in pair-major order (0.8 became 0, cut).
    assert ranked.score.tolist() == pytest.approx([0.9, 0.7, 0.5, 0.5])
    assert ranked.verb.tolist() == [1, 0, 0, 2]
    assert ranked.object_index.tolist() == [2, 3, 2, 2]
    unmasked = top_relations(detections, top_k=None)
    assert len(unmasked) == 6 and unmasked.score[0] == pytest.approx(0.9)


def test_pair_nms_drops_close_copies_and_keeps_the_official_order() -> None:
    near_subject = [0.0, 0.0, 9.0, 8.0]  # IoU 0.9 with SUBJECT
    shifted_subject = [5.0, 0.0, 14.0, 9.0]  # IoU 1/3
    detections = detections_of(
        1,
        [
            (SUBJECT, 0, OBJECT, 1, [0.9, 0.2]),
            (near_subject, 0, OBJECT, 1, [0.8, 0.7]),
            (shifted_subject, 0, OBJECT, 1, [0.6, 0.1]),
        ],
    )
    ranked = top_relations(detections, top_k=None)
    kept = suppress_pairs(ranked, detections.boxes, detections.labels, PairNms())
    # Triplet (0, 1, 0) first (its best, 0.9, leads): the near copy (0.9 * 1 > 0.7) goes.
    # Then triplet (0, 1, 1): 0.7 survives, its copies 0.2 (0.9 > 0.7) go, 0.1 (1/3) stays.
    assert kept.score.tolist() == pytest.approx([0.9, 0.6, 0.7, 0.1])
    assert kept.verb.tolist() == [0, 0, 1, 1]
    assert kept.by_score().score.tolist() == pytest.approx([0.9, 0.7, 0.6, 0.1])
    loose = suppress_pairs(ranked, detections.boxes, detections.labels, PairNms(threshold=0.95))
    assert len(loose) == 6


def test_box_nms_suppresses_within_a_class_only() -> None:
    boxes = np.array([SUBJECT, [0.0, 0.0, 9.0, 8.0], SUBJECT, OBJECT], dtype=np.float32)
    scores = np.array([0.5, 0.9, 0.4, 0.3], dtype=np.float32)
    keep = suppress_boxes(boxes, scores, ["a", "a", "b", "a"], threshold=0.5)
    assert keep.tolist() == [1, 3, 2]


@pytest.mark.parametrize("threshold", [0.0, 1.5])
def test_pair_nms_threshold_is_checked(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        PairNms(threshold=threshold)


def test_detections_are_aligned_with_the_ground_truth_or_refused() -> None:
    one = detections_of(1, [(SUBJECT, 0, OBJECT, 1, [0.5, 0.5])])
    empty = ImageDetections(
        image_id=2,
        boxes=np.zeros((0, 4)),
        labels=[],
        subject_index=[],
        object_index=[],
        verb_scores=[],
    )
    aligned = align_detections({2: empty, 1: one}, [1, 2], num_object_labels=2, num_verbs=2)
    assert [image.image_id for image in aligned] == [1, 2]
    assert aligned[1].verb_scores.shape == (0, 2)
    problems = [
        (
            {1: one, 2: empty, 9: empty},
            2,
            2,
            "name 1 image(s) that the ground truth lacks (first: 9)",
        ),
        ({1: one}, 2, 2, "lack 1 of the 2 ground-truth images (first: 2)"),
        (
            {1: one, 2: empty},
            1,
            2,
            "image 1: box label 1 is not among the dataset's 1 object labels",
        ),
        ({1: one, 2: empty}, 2, 3, "image 1: 2 verb scores per pair, but the dataset has 3 verbs"),
    ]
    for detections, num_object_labels, num_verbs, expected in problems:
        with pytest.raises(
            RLIPv2InputError, match=expected.replace("(", r"\(").replace(")", r"\)")
        ):
            align_detections(
                detections, [1, 2], num_object_labels=num_object_labels, num_verbs=num_verbs
            )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"labels": [0.5, 1.0]}, "labels must be numbers of kind int64"),
        ({"labels": [-1, 1]}, "a box label is negative"),
        ({"verb_scores": [0.5, 0.5]}, r"verb_scores must be \(num_pairs, num_verbs\)"),
        ({"boxes": [[0, 0, 9, np.inf], OBJECT]}, "a box has a non-finite coordinate"),
        ({"labels": [0]}, "1 labels for 2 boxes"),
    ],
)
def test_image_detections_refuse_malformed_arrays(changes: dict, expected: str) -> None:
    fields = {
        "image_id": 1,
        "boxes": [SUBJECT, OBJECT],
        "labels": [0, 1],
        "subject_index": [0],
        "object_index": [1],
        "verb_scores": [[0.5, 0.5]],
    }
    with pytest.raises(ValueError, match=expected):
        ImageDetections(**{**fields, **changes})

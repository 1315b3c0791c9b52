"""HICO-DET evaluator on hand-built cases: perfect detections, the Known-Object setting, the
rare split, the faults the CORRECTED protocol fixes, and refused inputs."""

import numpy as np
import pytest

from evaluation import (
    EvaluationProtocol,
    HicoDetSettings,
    ImageRelationTruth,
    RelationTruth,
    TripletSplit,
    evaluate_hico_det,
)
from evaluation_fixtures import detections_of

PERSON, HORSE, CUP = [0.0, 0.0, 99.0, 199.0], [80.0, 50.0, 299.0, 249.0], [300.0, 0.0, 349.0, 49.0]
FAR = [500.0, 300.0, 599.0, 399.0]
ALL_COMBINATIONS = np.ones((2, 3), dtype=bool)  # verbs x objects: 0 person, 1 horse, 2 cup


def image(image_id: int, boxes: list, labels: list, relations: list) -> ImageRelationTruth:
    return ImageRelationTruth(
        image_id,
        np.array(boxes).reshape(-1, 4),
        np.array(labels),
        np.array(relations).reshape(-1, 3),
    )


def world() -> RelationTruth:
    return RelationTruth(
        images=(
            image(1, [PERSON, HORSE], [0, 1], [[0, 1, 0]]),  # ride horse
            image(2, [PERSON, CUP], [0, 2], [[0, 1, 1]]),  # hold cup
            image(3, [PERSON, HORSE], [0, 1], [[0, 1, 0]]),
        ),
        num_object_classes=3,
        num_verbs=2,
    )


SPLIT = TripletSplit.from_training_counts({(0, 1, 0): 3, (0, 2, 1): 40})


def evaluate(detections, **settings):
    return evaluate_hico_det(
        world(),
        detections,
        correct_combinations=ALL_COMBINATIONS,
        split=SPLIT,
        settings=HicoDetSettings(**settings),
    )


def perfect() -> dict:
    return {
        1: detections_of(1, [(PERSON, 0, HORSE, 1, [0.9, 0.1])]),
        2: detections_of(2, [(PERSON, 0, CUP, 2, [0.2, 0.8])]),
        3: detections_of(3, [(PERSON, 0, HORSE, 1, [0.7, 0.05])]),
    }


def test_perfect_detections_score_one() -> None:
    metrics = evaluate(perfect())
    assert (metrics.default.full, metrics.default.rare, metrics.default.non_rare) == pytest.approx(
        (1, 1, 1)
    )
    assert metrics.triplet_ap == pytest.approx({(0, 1, 0): 1.0, (0, 2, 1): 1.0})


def test_known_object_ignores_detections_on_images_without_that_object() -> None:
    detections = perfect()
    # A confident "ride horse" on the cup image: a false positive by default; in the
    # Known-Object setting image 2 has no horse, so it does not count.
    detections[2] = detections_of(
        2, [(PERSON, 0, CUP, 2, [0.2, 0.8]), (PERSON, 0, CUP, 1, [0.95, 0.0])]
    )
    metrics = evaluate(detections)
    assert metrics.triplet_ap[(0, 1, 0)] == pytest.approx(2 / 3)  # a miss first, then two hits
    assert metrics.known_object_triplet_ap[(0, 1, 0)] == pytest.approx(1.0)
    assert metrics.known_object.full == pytest.approx(1.0) and metrics.default.full < 1.0


def test_rare_and_non_rare_follow_the_split_and_a_class_missing_from_it_counts_in_full_only() -> (
    None
):
    detections = perfect()
    detections[2] = detections_of(2, [(PERSON, 0, FAR, 2, [0.2, 0.8])])  # the held cup is missed
    metrics = evaluate(detections, protocol=EvaluationProtocol.CORRECTED)
    assert (metrics.default.rare, metrics.default.non_rare, metrics.default.full) == pytest.approx(
        (1.0, 0.0, 0.5)
    )
    unknown = TripletSplit.from_training_counts({(0, 1, 0): 3})
    metrics = evaluate_hico_det(
        world(), detections, correct_combinations=ALL_COMBINATIONS, split=unknown
    )
    assert metrics.default.full == pytest.approx(0.5) and np.isnan(metrics.default.non_rare)


def test_top_k_keeps_only_the_best_relations_of_each_image() -> None:
    detections = perfect()
    detections[1] = detections_of(
        1, [(FAR, 0, FAR, 1, [0.99, 0.98]), (PERSON, 0, HORSE, 1, [0.9, 0.1])]
    )
    assert evaluate(detections, top_k=2).triplet_ap[(0, 1, 0)] < 1.0
    assert evaluate(detections, top_k=3).triplet_ap[(0, 1, 0)] == pytest.approx(
        evaluate(detections, top_k=100).triplet_ap[(0, 1, 0)]
    )


def test_the_combination_mask_zeroes_impossible_verbs() -> None:
    detections = perfect()
    detections[2] = detections_of(
        2, [(PERSON, 0, CUP, 2, [0.2, 0.8]), (FAR, 0, HORSE, 1, [0.95, 0.0])]
    )
    assert evaluate(detections).triplet_ap[(0, 1, 0)] < 1.0
    no_riding_horses = ALL_COMBINATIONS.copy()
    no_riding_horses[0, 1] = False
    metrics = evaluate_hico_det(
        world(), detections, correct_combinations=no_riding_horses, split=SPLIT
    )
    # Every ride-horse score is now 0 but still ranked: hit (image 1), miss (image 2) and hit
    # (image 3) tie at 0 and keep the order of the images.
    assert metrics.triplet_ap[(0, 1, 0)] == pytest.approx((6 * 1.0 + 5 * 2 / 3) / 11)


def test_corrected_protocol_counts_predictions_on_images_without_boxes() -> None:
    truth = RelationTruth(
        images=(*world().images, image(4, [], [], [])), num_object_classes=3, num_verbs=2
    )
    detections = {**perfect(), 4: detections_of(4, [(PERSON, 0, HORSE, 1, [0.95, 0.0])])}
    official = evaluate_hico_det(
        truth, detections, correct_combinations=ALL_COMBINATIONS, split=SPLIT
    )
    corrected = evaluate_hico_det(
        truth,
        detections,
        correct_combinations=ALL_COMBINATIONS,
        split=SPLIT,
        settings=HicoDetSettings(protocol=EvaluationProtocol.CORRECTED),
    )
    assert official.triplet_ap[(0, 1, 0)] == pytest.approx(1.0)
    assert corrected.triplet_ap[(0, 1, 0)] == pytest.approx(2 / 3)  # a miss first, then two hits


def test_settings_and_mask_shape_are_checked() -> None:
    with pytest.raises(ValueError, match="top_k"):
        HicoDetSettings(top_k=0)
    with pytest.raises(ValueError, match="iou_threshold"):
        HicoDetSettings(iou_threshold=0.0)
    with pytest.raises(ValueError, match=r"expected \(num_verbs, num_object_classes\) = \(2, 3\)"):
        evaluate_hico_det(
            world(), perfect(), correct_combinations=np.ones((3, 2), bool), split=SPLIT
        )
    with pytest.raises(ValueError, match="both rare and non-rare"):
        TripletSplit(rare=frozenset({(0, 1, 0)}), non_rare=frozenset({(0, 1, 0)}))


def test_ground_truth_is_checked() -> None:
    with pytest.raises(ValueError, match="a relation names a box it does not have"):
        image(1, [PERSON], [0], [[0, 1, 0]])
    with pytest.raises(ValueError, match="outside the 2 verbs"):
        RelationTruth(
            images=(image(1, [PERSON, HORSE], [0, 1], [[0, 1, 5]]),),
            num_object_classes=3,
            num_verbs=2,
        )
    with pytest.raises(ValueError, match="names an image twice"):
        RelationTruth(images=world().images[:1] * 2, num_object_classes=3, num_verbs=2)

"""V-COCO: the ground truth read from the official files, and role AP in both scenarios."""

import numpy as np
import pytest

from data_schemas.errors import RLIPv2InputError
from evaluation import evaluate_vcoco, vcoco_truth_from_official
from evaluation_fixtures import detections_of

ROLES = {"hold": ["agent", "obj"], "eat": ["agent", "obj", "instr"], "smile": ["agent"]}
VERBS = ["hold_obj", "eat_obj", "eat_instr", "smile"]
MISSING = 3  # detections label "no object" one past the 3 object classes


def coco_box(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    """The COCO xywh box whose V-COCO box is (x1, y1, x2, y2) (V-COCO: x2 = x + w - 1)."""
    return [x1, y1, x2 - x1 + 1, y2 - y1 + 1]


def annotation(ann_id: int, category: int, box: list[float], area: float = 100.0) -> dict:
    return {
        "id": ann_id,
        "image_id": 7,
        "category_id": category,
        "bbox": box,
        "area": area,
        "iscrowd": 0,
    }


PERSON, CUP, SPOON = (
    [10.0, 10.0, 109.0, 209.0],
    [200.0, 50.0, 249.0, 99.0],
    [300.0, 100.0, 319.0, 139.0],
)
INSTANCES = {
    "images": [{"id": 7, "width": 330, "height": 200}],
    "categories": [
        {"id": 1, "name": "person"},
        {"id": 2, "name": "cup"},
        {"id": 3, "name": "spoon"},
    ],
    "annotations": [
        annotation(1, 1, coco_box(*PERSON)),  # a person in V-COCO, past the bottom edge
        annotation(2, 1, coco_box(120.0, 10.0, 189.0, 150.0)),  # a person V-COCO leaves out
        annotation(3, 2, coco_box(*CUP)),
        annotation(4, 3, [250.0, 20.0, 0.4, 30.0], area=0.0),  # a sliver COCO drops
        annotation(5, 3, coco_box(*SPOON)),
    ],
}


def vsrl(hold: int = 3, eat: tuple[int, int] = (0, 5)) -> list[dict]:
    """Person 1 holds ``hold`` and eats (object, instrument) ``eat``; 0: no such role object."""
    return [
        {
            "action_name": "hold",
            "role_name": ROLES["hold"],
            "image_id": [7],
            "ann_id": [1],
            "label": [1],
            "role_object_id": [1, hold],
        },
        {
            "action_name": "eat",
            "role_name": ROLES["eat"],
            "image_id": [7],
            "ann_id": [1],
            "label": [1],
            "role_object_id": [1, *eat],
        },
        {
            "action_name": "smile",
            "role_name": ROLES["smile"],
            "image_id": [7],
            "ann_id": [1],
            "label": [0],
            "role_object_id": [1],
        },
    ]


def test_ground_truth_follows_the_official_reading() -> None:
    truth = vcoco_truth_from_official(vsrl(), INSTANCES, [7])
    assert truth.actions == ("hold", "eat", "smile")
    image = truth.images[0]
    # The sliver is dropped; the person is clipped to the image (height 200: y2 <= 199).
    np.testing.assert_array_equal(image.boxes[0], [10, 10, 109, 199])
    np.testing.assert_array_equal(image.boxes[3], SPOON)
    assert image.is_agent.tolist() == [True, True, False, False]
    assert image.actions.tolist() == [[1, 1, 0], [-1, -1, -1], [-1, -1, -1], [-1, -1, -1]]
    assert image.role_boxes[0].tolist() == [[2, -1], [-1, 3], [-1, -1]]


def test_a_role_on_a_dropped_box_and_a_missing_image_are_refused() -> None:
    with pytest.raises(RLIPv2InputError, match="the obj of 'hold' by annotation 1 is annotation 4"):
        vcoco_truth_from_official(vsrl(hold=4), INSTANCES, [7])
    with pytest.raises(RLIPv2InputError, match="image 8 is not in the COCO instances file"):
        vcoco_truth_from_official(vsrl(), INSTANCES, [8])


def evaluate(pairs: list[tuple], **changes):
    arguments = {
        "verb_names": VERBS,
        "correct_combinations": np.ones((4, 3), dtype=bool),
        **changes,
    }
    truth = vcoco_truth_from_official(vsrl(), INSTANCES, [7])
    return evaluate_vcoco(truth, {7: detections_of(7, pairs)}, **arguments)


def test_perfect_pairs_and_the_two_scenarios() -> None:
    holds = (PERSON, 0, CUP, 1, [0.9, 0.0, 0.0, 0.1])
    eats_with_spoon = (PERSON, 0, SPOON, 2, [0.0, 0.8, 0.7, 0.1])
    metrics = evaluate([holds, eats_with_spoon])
    # The eaten object is not annotated: scenario 1 wants an empty role box, scenario 2 does
    # not care.
    assert metrics.scenario_1.role_ap == pytest.approx(
        {("hold", "obj"): 1.0, ("eat", "obj"): 0.0, ("eat", "instr"): 1.0}
    )
    assert metrics.scenario_2.role_ap == pytest.approx(
        {("hold", "obj"): 1.0, ("eat", "obj"): 1.0, ("eat", "instr"): 1.0}
    )
    assert (metrics.scenario_1.mean, metrics.scenario_2.mean) == pytest.approx((2 / 3, 1.0))
    # A "no object" pair leaves its roles empty (NaN): scenario 1 accepts it for the eaten object.
    eats_nothing = (PERSON, 0, CUP, MISSING, [0.0, 0.9, 0.0, 0.1])
    assert evaluate([holds, eats_with_spoon, eats_nothing]).scenario_1.role_ap[
        ("eat", "obj")
    ] == pytest.approx(1.0)


def test_detections_on_unannotated_people_are_left_out() -> None:
    other_person = [120.0, 10.0, 189.0, 150.0]
    holds = (PERSON, 0, CUP, 1, [0.9, 0.0, 0.0, 0.1])
    # The unannotated person's confident hold is ignored, a hold of the annotated one by the
    # wrong cup is a false positive.
    ignored = (other_person, 0, CUP, 1, [0.99, 0.0, 0.0, 0.0])
    wrong_object = (PERSON, 0, SPOON, 2, [0.95, 0.0, 0.0, 0.0])
    assert evaluate([holds, ignored]).scenario_1.role_ap[("hold", "obj")] == pytest.approx(1.0)
    assert evaluate([holds, wrong_object]).scenario_1.role_ap[("hold", "obj")] == pytest.approx(0.5)


def test_the_mask_and_the_verb_names_are_applied() -> None:
    holds = (PERSON, 0, CUP, 1, [0.9, 0.0, 0.0, 0.1])
    wrong_object = (PERSON, 0, SPOON, 2, [0.95, 0.0, 0.0, 0.0])
    no_holding_spoons = np.ones((4, 3), dtype=bool)
    no_holding_spoons[0, 2] = False
    metrics = evaluate([holds, wrong_object], correct_combinations=no_holding_spoons)
    assert metrics.scenario_1.role_ap[("hold", "obj")] == pytest.approx(1.0)
    with pytest.raises(
        RLIPv2InputError, match="no verb 'eat_instr' scores the V-COCO role 'instr' of 'eat'"
    ):
        evaluate([holds], verb_names=["hold_obj", "eat_obj", "eat_tool", "smile"])


def test_mean_without_point_leaves_the_point_action_out() -> None:
    roles = {**ROLES, "point": ["agent", "instr"]}
    annotations = vsrl() + [
        {
            "action_name": "point",
            "role_name": roles["point"],
            "image_id": [7],
            "ann_id": [1],
            "label": [1],
            "role_object_id": [1, 5],
        }
    ]
    truth = vcoco_truth_from_official(annotations, INSTANCES, [7])
    pairs = [
        (PERSON, 0, CUP, 1, [0.9, 0.0, 0.0, 0.1, 0.0]),
        (PERSON, 0, SPOON, 2, [0.0, 0.8, 0.7, 0.1, 0.0]),
    ]
    metrics = evaluate_vcoco(
        truth,
        {7: detections_of(7, pairs)},
        verb_names=[*VERBS, "point_instr"],
        correct_combinations=np.ones((5, 3), dtype=bool),
    )
    # Both pairs point at 0: the cup (a miss) first, then the spoon.
    assert metrics.scenario_2.role_ap[("point", "instr")] == pytest.approx(0.5)
    assert (metrics.scenario_2.mean, metrics.scenario_2.mean_without_point) == pytest.approx(
        (0.875, 1.0)
    )

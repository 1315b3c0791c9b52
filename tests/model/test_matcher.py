"""Box operations and the Hungarian pair matcher, on hand-made cases."""

import math

import pytest
import torch

from model.box_ops import (
    box_area,
    cxcywh_to_xyxy,
    elementwise_generalized_iou,
    pairwise_generalized_iou,
    pairwise_iou,
    xyxy_to_cxcywh,
)
from model.matcher import (
    MatcherConfig,
    PairMatch,
    RelationMatcher,
    build_matcher,
    entity_class_cost,
    pair_box_giou_cost,
    pair_box_l1_cost,
    relation_cost,
)
from model.outputs import RelationPredictions
from model.targets import RelationTarget

NUM_ENTITY_TEXTS = 4  # the last is "no objects"
NUM_RELATION_TEXTS = 3
CONFIDENT = 20.0


def make_target(subject_boxes, object_boxes, subject_labels, object_labels, relation_labels):
    return RelationTarget(
        subject_boxes=torch.tensor(subject_boxes, dtype=torch.float32).reshape(-1, 4),
        object_boxes=torch.tensor(object_boxes, dtype=torch.float32).reshape(-1, 4),
        subject_labels=torch.tensor(subject_labels, dtype=torch.int64),
        object_labels=torch.tensor(object_labels, dtype=torch.int64),
        relation_labels=torch.tensor(relation_labels, dtype=torch.float32).reshape(
            -1, NUM_RELATION_TEXTS
        ),
    )


def empty_target() -> RelationTarget:
    return make_target([], [], [], [], [])


THREE_PAIRS = make_target(
    subject_boxes=[[0.2, 0.2, 0.1, 0.1], [0.5, 0.5, 0.2, 0.2], [0.8, 0.3, 0.1, 0.3]],
    object_boxes=[[0.3, 0.7, 0.2, 0.1], [0.6, 0.6, 0.3, 0.3], [0.1, 0.9, 0.1, 0.1]],
    subject_labels=[0, 1, 2],
    object_labels=[1, 2, 0],
    relation_labels=[[1, 0, 0], [0, 1, 1], [0, 0, 1]],
)


def predictions_placing(targets: list[RelationTarget], slots: list[list[int]], num_slots: int):
    """Predictions of a batch whose slot ``slots[b][j]`` equals pair j of ``targets[b]``; the
    other slots predict "no objects" at a fixed far-away box."""
    batch_size = len(targets)
    subject_boxes = torch.full((batch_size, num_slots, 4), 0.05)
    object_boxes = torch.full((batch_size, num_slots, 4), 0.05)
    subject_logits = torch.zeros(batch_size, num_slots, NUM_ENTITY_TEXTS)
    subject_logits[..., -1] = CONFIDENT
    object_logits = subject_logits.clone()
    relation_logits = torch.full((batch_size, num_slots, NUM_RELATION_TEXTS), -CONFIDENT)
    for image, (target, image_slots) in enumerate(zip(targets, slots)):
        for pair, slot in enumerate(image_slots):
            subject_boxes[image, slot] = target.subject_boxes[pair]
            object_boxes[image, slot] = target.object_boxes[pair]
            subject_logits[image, slot] = 0.0
            subject_logits[image, slot, target.subject_labels[pair]] = CONFIDENT
            object_logits[image, slot] = 0.0
            object_logits[image, slot, target.object_labels[pair]] = CONFIDENT
            relation_logits[image, slot] = CONFIDENT * (2 * target.relation_labels[pair] - 1)
    return RelationPredictions(
        subject_boxes=subject_boxes,
        object_boxes=object_boxes,
        subject_logits=subject_logits,
        object_logits=object_logits,
        relation_logits=relation_logits,
    )


def paper_matcher() -> RelationMatcher:
    return build_matcher(MatcherConfig())


def only(cost_name: str) -> RelationMatcher:
    names = ("cost_subject_class", "cost_object_class", "cost_relation", "cost_box_l1")
    weights = dict.fromkeys((*names, "cost_box_giou"), 0.0)
    weights[cost_name] = 1.0
    return RelationMatcher(**weights)


def as_mapping(match: PairMatch) -> dict[int, int]:
    """target pair -> slot."""
    return dict(zip(match.target_indices.tolist(), match.prediction_indices.tolist()))


# Box operations.


def test_box_conversions_hand_values_and_round_trip():
    cxcywh = torch.tensor([[0.5, 0.4, 0.2, 0.6]])
    xyxy = cxcywh_to_xyxy(cxcywh)
    torch.testing.assert_close(xyxy, torch.tensor([[0.4, 0.1, 0.6, 0.7]]))
    torch.testing.assert_close(xyxy_to_cxcywh(xyxy), cxcywh)
    boxes = torch.rand(2, 5, 4)
    torch.testing.assert_close(cxcywh_to_xyxy(xyxy_to_cxcywh(boxes)), boxes)


def test_iou_and_giou_hand_values():
    square = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    shifted = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    # Intersection 1, union 4 + 4 - 1 = 7, enclosing box 3 x 3 = 9.
    torch.testing.assert_close(pairwise_iou(square, shifted), torch.tensor([[1 / 7]]))
    torch.testing.assert_close(
        pairwise_generalized_iou(square, shifted), torch.tensor([[1 / 7 - 2 / 9]])
    )
    torch.testing.assert_close(box_area(square), torch.tensor([4.0]))


def test_giou_of_identical_boxes_is_one_and_of_far_disjoint_boxes_negative():
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [9.0, 9.0, 10.0, 10.0]])
    giou = pairwise_generalized_iou(boxes, boxes)
    torch.testing.assert_close(giou.diagonal(), torch.ones(2))
    # Union 2, enclosing 10 x 10: 0 - 98 / 100.
    assert math.isclose(giou[0, 1].item(), -0.98, rel_tol=1e-6)
    assert giou[0, 1] < 0


def test_elementwise_giou_is_the_diagonal_of_pairwise():
    boxes_a = cxcywh_to_xyxy(torch.rand(6, 4))
    boxes_b = cxcywh_to_xyxy(torch.rand(6, 4))
    torch.testing.assert_close(
        elementwise_generalized_iou(boxes_a, boxes_b),
        pairwise_generalized_iou(boxes_a, boxes_b).diagonal(),
    )


def test_degenerate_boxes_give_finite_iou_and_giou():
    point = torch.tensor([[0.5, 0.5, 0.5, 0.5]])
    inverted = torch.tensor([[0.6, 0.6, 0.4, 0.4]])
    normal = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    boxes = torch.cat([point, inverted, normal])
    for values in (pairwise_iou(boxes, boxes), pairwise_generalized_iou(boxes, boxes)):
        assert torch.isfinite(values).all()
        assert (values >= -1).all() and (values <= 1).all()


# Cost terms.


def test_relation_cost_hand_values_and_empty_label_sets():
    logits = torch.tensor([[0.0, 0.0, 0.0], [CONFIDENT, -CONFIDENT, -CONFIDENT]])
    labels = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    cost = relation_cost(logits, labels)
    # p = 0.5 everywhere: (0.5 + 0.5) / 2; all-negative labels: (0 + 0.5) / 2.
    torch.testing.assert_close(cost[0], torch.tensor([-0.5, -0.25]))
    # Perfect prediction of [1, 0, 0] costs -1; against all-negative labels (0 + 2/3) / 2.
    torch.testing.assert_close(cost[1], torch.tensor([-1.0, -1 / 3]))


def test_entity_class_cost_is_minus_the_probability():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4]]))
    cost = entity_class_cost(logits, torch.tensor([2, 0]))
    torch.testing.assert_close(cost, torch.tensor([[-0.3, -0.1]]))


def test_box_costs_take_the_worse_entity():
    slot = torch.tensor([[0.5, 0.5, 0.2, 0.2]])
    near = torch.tensor([[0.5, 0.5, 0.2, 0.2]])
    off = torch.tensor([[0.6, 0.5, 0.2, 0.2]])
    torch.testing.assert_close(pair_box_l1_cost(slot, slot, near, off), torch.tensor([[0.1]]))
    giou_cost = pair_box_giou_cost(slot, slot, near, off)
    # The object's GIoU (< 1) is the worse one: IoU = 0.1 * 0.2 / (0.08 - 0.02) = 1/3.
    torch.testing.assert_close(giou_cost, torch.tensor([[-1 / 3]]))


# The matcher.


def test_permuted_slots_are_recovered():
    slots = [[4, 0, 2]]
    predictions = predictions_placing([THREE_PAIRS], slots, num_slots=6)
    (match,) = paper_matcher()(predictions, [THREE_PAIRS])
    assert as_mapping(match) == {0: 4, 1: 0, 2: 2}
    assert match.prediction_indices.dtype == torch.int64
    assert match.prediction_indices.tolist() == sorted(match.prediction_indices.tolist())


def test_images_without_pairs_get_empty_matches():
    predictions = predictions_placing([empty_target(), THREE_PAIRS], [[], [1, 2, 0]], num_slots=4)
    empty, full = paper_matcher()(predictions, [empty_target(), THREE_PAIRS])
    assert empty.num_matched == 0 and empty.target_indices.shape == (0,)
    assert as_mapping(full) == {0: 1, 1: 2, 2: 0}
    (alone,) = paper_matcher()(
        predictions_placing([empty_target()], [[]], num_slots=4), [empty_target()]
    )
    assert alone.num_matched == 0


def test_more_pairs_than_slots_matches_every_slot_once():
    predictions = predictions_placing([THREE_PAIRS], [[1, 0]], num_slots=2)
    (match,) = paper_matcher()(predictions, [THREE_PAIRS])
    assert match.num_matched == 2
    assert as_mapping(match) == {0: 1, 1: 0}


def test_box_costs_alone_pick_the_nearest_boxes_and_class_costs_the_labels():
    target = make_target(
        subject_boxes=[[0.2, 0.2, 0.1, 0.1], [0.8, 0.8, 0.1, 0.1]],
        object_boxes=[[0.3, 0.3, 0.1, 0.1], [0.7, 0.7, 0.1, 0.1]],
        subject_labels=[0, 2],
        object_labels=[1, 0],
        relation_labels=[[1, 0, 0], [0, 1, 0]],
    )
    # Slot 0 lies near pair 1, slot 1 near pair 0; the logits all favour the opposite order.
    predictions = predictions_placing([target], [[0, 1]], num_slots=2)
    near_boxes = RelationPredictions(
        subject_boxes=target.subject_boxes.flip(0)[None] + 0.01,
        object_boxes=target.object_boxes.flip(0)[None] - 0.01,
        subject_logits=predictions.subject_logits,
        object_logits=predictions.object_logits,
        relation_logits=predictions.relation_logits,
    )
    (match,) = only("cost_box_l1")(near_boxes, [target])
    assert as_mapping(match) == {0: 1, 1: 0}
    (match,) = only("cost_box_giou")(near_boxes, [target])
    assert as_mapping(match) == {0: 1, 1: 0}
    for class_cost in ("cost_subject_class", "cost_object_class", "cost_relation"):
        (match,) = only(class_cost)(near_boxes, [target])
        assert as_mapping(match) == {0: 0, 1: 1}, class_cost


@pytest.mark.parametrize(
    "cost_name", ["cost_subject_class", "cost_object_class", "cost_relation"]
)
def test_each_class_cost_alone_recovers_the_permutation(cost_name):
    predictions = predictions_placing([THREE_PAIRS], [[2, 0, 1]], num_slots=3)
    # Identical boxes everywhere: only the named logits can tell the slots apart.
    same_boxes = RelationPredictions(
        subject_boxes=torch.full_like(predictions.subject_boxes, 0.5),
        object_boxes=torch.full_like(predictions.object_boxes, 0.5),
        subject_logits=predictions.subject_logits,
        object_logits=predictions.object_logits,
        relation_logits=predictions.relation_logits,
    )
    (match,) = only(cost_name)(same_boxes, [THREE_PAIRS])
    assert as_mapping(match) == {0: 2, 1: 0, 2: 1}


def test_matcher_runs_without_gradients():
    predictions = predictions_placing([THREE_PAIRS], [[0, 1, 2]], num_slots=3)
    with_grad = RelationPredictions(
        subject_boxes=predictions.subject_boxes.clone().requires_grad_(),
        object_boxes=predictions.object_boxes,
        subject_logits=predictions.subject_logits,
        object_logits=predictions.object_logits,
        relation_logits=predictions.relation_logits.clone().requires_grad_(),
    )
    (match,) = paper_matcher()(with_grad, [THREE_PAIRS])
    assert not match.prediction_indices.requires_grad
    assert as_mapping(match) == {0: 0, 1: 1, 2: 2}


def test_invalid_weights_and_batches_raise():
    with pytest.raises(ValueError, match=">= 0"):
        MatcherConfig(cost_box_l1=-1.0)
    with pytest.raises(ValueError, match="at least one"):
        RelationMatcher(
            cost_subject_class=0.0,
            cost_object_class=0.0,
            cost_relation=0.0,
            cost_box_l1=0.0,
            cost_box_giou=0.0,
        )
    predictions = predictions_placing([THREE_PAIRS], [[0, 1, 2]], num_slots=3)
    with pytest.raises(ValueError, match="targets for a batch"):
        paper_matcher()(predictions, [THREE_PAIRS, THREE_PAIRS])
    with pytest.raises(ValueError, match="equal length"):
        PairMatch(prediction_indices=torch.arange(2), target_indices=torch.arange(3))


def test_build_matcher_reads_the_paper_weights():
    matcher = build_matcher(MatcherConfig())
    assert (
        matcher.cost_subject_class,
        matcher.cost_object_class,
        matcher.cost_relation,
        matcher.cost_box_l1,
        matcher.cost_box_giou,
    ) == (1.0, 1.0, 1.0, 2.5, 1.0)

"""The relation criterion: loss values, normalisations, aux layers and given matches."""

import dataclasses
import math

import pytest
import torch

from model.criterion import (
    PAPER_LOSS_WEIGHTS,
    CriterionConfig,
    RelationCriterion,
    build_criterion,
    build_layer_loss_weights,
    loss_term_key,
)
from model.focal_loss import quality_focal_loss
from model.matcher import MatcherConfig, PairMatch, build_matcher
from model.outputs import RelationDetectionOutput, RelationPredictions
from model.targets import RelationTarget

NUM_ENTITY_TEXTS = 4  # the last is "no objects"
NUM_RELATION_TEXTS = 3
NUM_SLOTS = 4
CONFIDENT = 30.0
LOSS_NAMES = ("entity_classes", "relations", "boxes_l1", "boxes_giou")

TWO_PAIRS = RelationTarget(
    subject_boxes=torch.tensor([[0.2, 0.3, 0.2, 0.2], [0.6, 0.6, 0.3, 0.2]]),
    object_boxes=torch.tensor([[0.4, 0.5, 0.1, 0.3], [0.7, 0.2, 0.2, 0.2]]),
    subject_labels=torch.tensor([0, 2]),
    object_labels=torch.tensor([1, 0]),
    relation_labels=torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
)
NO_PAIRS = RelationTarget(
    subject_boxes=torch.zeros(0, 4),
    object_boxes=torch.zeros(0, 4),
    subject_labels=torch.zeros(0, dtype=torch.int64),
    object_labels=torch.zeros(0, dtype=torch.int64),
    relation_labels=torch.zeros(0, NUM_RELATION_TEXTS),
)


ORTHOGONAL_RELATION_TEXTS = torch.eye(NUM_RELATION_TEXTS)
"""Relation-text features equally far apart: no text is close to another, so no pseudo-labels."""


def detection_output(
    layers: tuple[RelationPredictions, ...],
    relation_text_features: torch.Tensor = ORTHOGONAL_RELATION_TEXTS,
) -> RelationDetectionOutput:
    return RelationDetectionOutput(layers=layers, relation_text_features=relation_text_features)


def criterion(num_layers: int = 1, **overrides) -> RelationCriterion:
    settings = {
        "matcher": build_matcher(MatcherConfig()),
        "loss_weights": PAPER_LOSS_WEIGHTS,
        "num_decoder_layers": num_layers,
    }
    settings.update(overrides)
    return RelationCriterion(**settings)


def perfect_layer(targets: list[RelationTarget], slots: list[list[int]]) -> RelationPredictions:
    """Slot ``slots[b][j]`` predicts pair j of image b exactly; other slots confidently
    predict "no objects" and no relation."""
    batch_size = len(targets)
    boxes = torch.full((batch_size, NUM_SLOTS, 4), 0.1)
    entity_logits = torch.full((batch_size, NUM_SLOTS, NUM_ENTITY_TEXTS), -CONFIDENT)
    entity_logits[..., -1] = CONFIDENT
    subject_boxes, object_boxes = boxes.clone(), boxes.clone()
    subject_logits, object_logits = entity_logits.clone(), entity_logits.clone()
    relation_logits = torch.full((batch_size, NUM_SLOTS, NUM_RELATION_TEXTS), -CONFIDENT)
    for image, (target, image_slots) in enumerate(zip(targets, slots)):
        for pair, slot in enumerate(image_slots):
            subject_boxes[image, slot] = target.subject_boxes[pair]
            object_boxes[image, slot] = target.object_boxes[pair]
            subject_logits[image, slot] = -CONFIDENT
            subject_logits[image, slot, target.subject_labels[pair]] = CONFIDENT
            object_logits[image, slot] = -CONFIDENT
            object_logits[image, slot, target.object_labels[pair]] = CONFIDENT
            relation_logits[image, slot] = CONFIDENT * (2 * target.relation_labels[pair] - 1)
    return RelationPredictions(
        subject_boxes=subject_boxes,
        object_boxes=object_boxes,
        subject_logits=subject_logits,
        object_logits=object_logits,
        relation_logits=relation_logits,
    )


def random_layer(batch_size: int, generator: torch.Generator) -> RelationPredictions:
    return RelationPredictions(
        subject_boxes=torch.rand(batch_size, NUM_SLOTS, 4, generator=generator) * 0.5 + 0.1,
        object_boxes=torch.rand(batch_size, NUM_SLOTS, 4, generator=generator) * 0.5 + 0.1,
        subject_logits=torch.randn(batch_size, NUM_SLOTS, NUM_ENTITY_TEXTS, generator=generator),
        object_logits=torch.randn(batch_size, NUM_SLOTS, NUM_ENTITY_TEXTS, generator=generator),
        relation_logits=torch.randn(batch_size, NUM_SLOTS, NUM_RELATION_TEXTS, generator=generator),
    )


def term(output, name: str, layer: int = 0) -> float:
    return output.terms[loss_term_key(name, layer)].item()


def test_perfect_predictions_give_zero_box_losses_and_tiny_class_losses():
    targets = [TWO_PAIRS, TWO_PAIRS]
    layer = perfect_layer(targets, [[3, 1], [0, 2]])
    result = criterion()(detection_output(layers=(layer,)), targets)
    assert term(result, "boxes_l1") == pytest.approx(0.0, abs=1e-6)
    assert term(result, "boxes_giou") == pytest.approx(0.0, abs=1e-6)
    assert term(result, "entity_classes") < 1e-6
    assert term(result, "relations") < 1e-6
    assert result.total.item() < 1e-5


def test_box_losses_are_normalised_by_the_number_of_pairs():
    targets = [TWO_PAIRS, NO_PAIRS]
    layer = perfect_layer(targets, [[0, 1], []])
    shifted = dataclasses.replace(
        layer, subject_boxes=layer.subject_boxes + torch.tensor([0.1, 0.0, 0.0, 0.0])
    )
    given = [PairMatch(torch.tensor([0, 1]), torch.tensor([0, 1])), PairMatch(*_empty_indices())]
    result = criterion()(detection_output(layers=(shifted,)), targets, matches=given)
    # Two subjects, each 0.1 off in x, over two ground-truth pairs.
    assert term(result, "boxes_l1") == pytest.approx(0.1)
    assert term(result, "boxes_giou") > 0


def test_entity_loss_weights_no_object_slots_by_the_eos_coefficient():
    logits = torch.zeros(1, NUM_SLOTS, NUM_ENTITY_TEXTS)
    layer = RelationPredictions(
        subject_boxes=torch.full((1, NUM_SLOTS, 4), 0.5),
        object_boxes=torch.full((1, NUM_SLOTS, 4), 0.5),
        subject_logits=logits,
        object_logits=logits,
        relation_logits=torch.zeros(1, NUM_SLOTS, NUM_RELATION_TEXTS),
    )
    # Uniform logits: every slot's cross-entropy is log(num_entity_texts), so the weighted
    # mean is too, whatever the class weights; subject + object doubles it.
    result = criterion()(detection_output(layers=(layer,)), [TWO_PAIRS])
    assert term(result, "entity_classes") == pytest.approx(2 * math.log(NUM_ENTITY_TEXTS))
    # One confident wrong "no objects" slot: its weight 0.1 against 1 for each matched slot.
    wrong = logits.clone()
    wrong[0, 3, 0] = CONFIDENT  # slot 3 is unmatched (matches below) and says text 0
    layer = dataclasses.replace(layer, subject_logits=wrong)
    given = [PairMatch(torch.tensor([0, 1]), torch.tensor([0, 1]))]
    result = criterion(eos_coefficient=0.1)(
        detection_output(layers=(layer,)), [TWO_PAIRS], matches=given
    )
    uniform = math.log(NUM_ENTITY_TEXTS)
    confident_wrong = math.log(math.exp(CONFIDENT) + NUM_ENTITY_TEXTS - 1)
    subject = (2 * uniform + 0.1 * uniform + 0.1 * confident_wrong) / (2 + 2 * 0.1)
    assert term(result, "entity_classes") == pytest.approx(subject + uniform, rel=1e-5)


def test_relation_focal_loss_hand_values():
    # p = 0.5: positive log(0.5) * 0.25, negative likewise; normalised by 1 positive.
    value = quality_focal_loss(torch.zeros(2), torch.tensor([1.0, 0.0]))
    assert value.item() == pytest.approx(2 * 0.25 * math.log(2))
    # No positive: the negatives' sum is not divided.
    value = quality_focal_loss(torch.zeros(3), torch.zeros(3))
    assert value.item() == pytest.approx(3 * 0.25 * math.log(2))
    # A soft target 0.6 at p = 0.5: |0.6 - 0.5|^2 * log(2) (the cross-entropy at p = 0.5).
    value = quality_focal_loss(torch.zeros(1), torch.tensor([0.6]))
    assert value.item() == pytest.approx(0.01 * math.log(2))
    assert quality_focal_loss(torch.zeros(0, 3), torch.zeros(0, 3)).item() == 0.0
    assert torch.isfinite(quality_focal_loss(torch.tensor([-1e4, 1e4]), torch.tensor([1.0, 0.0])))


def test_loss_decreases_under_sgd_toward_fixed_targets():
    generator = torch.Generator().manual_seed(0)
    targets = [TWO_PAIRS, NO_PAIRS, TWO_PAIRS]
    start = random_layer(len(targets), generator)
    parameters = {
        "subject_boxes": torch.logit(start.subject_boxes).requires_grad_(),
        "object_boxes": torch.logit(start.object_boxes).requires_grad_(),
        "subject_logits": start.subject_logits.requires_grad_(),
        "object_logits": start.object_logits.requires_grad_(),
        "relation_logits": start.relation_logits.requires_grad_(),
    }
    optimizer = torch.optim.SGD(parameters.values(), lr=0.1)
    loss_function = criterion(num_layers=2)
    losses = []
    for _ in range(30):
        layer = RelationPredictions(
            subject_boxes=parameters["subject_boxes"].sigmoid(),
            object_boxes=parameters["object_boxes"].sigmoid(),
            subject_logits=parameters["subject_logits"],
            object_logits=parameters["object_logits"],
            relation_logits=parameters["relation_logits"],
        )
        result = loss_function(detection_output(layers=(layer, layer)), targets)
        optimizer.zero_grad()
        result.total.backward()
        optimizer.step()
        losses.append(result.total.item())
    assert losses[-1] < 0.7 * losses[0]
    assert all(not value.requires_grad for value in result.terms.values())


def test_batch_without_pairs_gives_finite_losses_and_zero_box_losses():
    generator = torch.Generator().manual_seed(1)
    layer = random_layer(2, generator)
    leaf = layer.subject_logits.requires_grad_()
    for unmatched_slots in ("no_object", "ignored"):
        result = criterion(unmatched_slots=unmatched_slots)(
            detection_output(layers=(layer,)), [NO_PAIRS, NO_PAIRS]
        )
        assert torch.isfinite(result.total)
        assert term(result, "boxes_l1") == 0.0 and term(result, "boxes_giou") == 0.0
        result.total.backward()
        assert torch.isfinite(leaf.grad).all()


def test_every_layer_gets_the_final_layer_weights():
    weights = build_layer_loss_weights(PAPER_LOSS_WEIGHTS, num_layers=3)
    expected = {
        loss_term_key(name, layer): PAPER_LOSS_WEIGHTS[name]
        for layer in range(3)
        for name in LOSS_NAMES
    }
    assert weights == expected
    loss_function = build_criterion(CriterionConfig(num_decoder_layers=3))
    assert loss_function.layer_loss_weights == expected
    layer = perfect_layer([TWO_PAIRS], [[0, 1]])
    result = loss_function(detection_output(layers=(layer,) * 3), [TWO_PAIRS])
    assert set(result.terms) == set(expected)
    with pytest.raises(ValueError, match="3 decoder layers"):
        loss_function(detection_output(layers=(layer,)), [TWO_PAIRS])


def test_total_is_the_weighted_sum_of_the_terms():
    generator = torch.Generator().manual_seed(2)
    layers = (random_layer(1, generator), random_layer(1, generator))
    output = detection_output(layers=layers)
    loss_function = criterion(num_layers=2)
    result = loss_function(output, [TWO_PAIRS])
    weighted = sum(
        loss_function.layer_loss_weights[key] * value for key, value in result.terms.items()
    )
    assert result.total.item() == pytest.approx(weighted.item(), rel=1e-6)


def test_unknown_or_invalid_weights_raise_at_construction():
    with pytest.raises(ValueError, match="unknown loss names \\['boxes_l2'\\]"):
        criterion(loss_weights={"boxes_l2": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        criterion(loss_weights={"relations": -1.0})
    with pytest.raises(ValueError, match="empty"):
        criterion(loss_weights={})
    with pytest.raises(ValueError, match="unknown loss names"):
        build_criterion(CriterionConfig(loss_weights={"verb_ce": 1.0}))
    with pytest.raises(ValueError, match="unmatched_slots"):
        CriterionConfig(unmatched_slots="negative")
    with pytest.raises(ValueError, match="eos_coefficient"):
        CriterionConfig(eos_coefficient=0.0)


def test_a_left_out_loss_is_not_computed():
    layer = perfect_layer([TWO_PAIRS], [[0, 1]])
    result = criterion(loss_weights={"boxes_l1": 2.5})(
        detection_output(layers=(layer,)), [TWO_PAIRS]
    )
    assert set(result.terms) == {loss_term_key("boxes_l1", 0)}


def test_given_matches_are_used_instead_of_the_matcher():
    layer = perfect_layer([TWO_PAIRS], [[2, 3]])
    output = detection_output(layers=(layer, layer))
    matched = criterion(num_layers=2)(output, [TWO_PAIRS])
    assert term(matched, "boxes_l1", layer=1) == pytest.approx(0.0, abs=1e-6)
    # Slot k <-> pair k, as in denoising training: slots 0 and 1 hold the default boxes.
    given = [PairMatch(torch.tensor([0, 1]), torch.tensor([0, 1]))]
    result = criterion(num_layers=2)(output, [TWO_PAIRS], matches=given)
    expected_l1 = sum(
        (torch.full((4,), 0.1) - boxes[pair]).abs().sum().item()
        for boxes in (TWO_PAIRS.subject_boxes, TWO_PAIRS.object_boxes)
        for pair in range(2)
    ) / 2
    for layer_index in range(2):
        assert term(result, "boxes_l1", layer_index) == pytest.approx(expected_l1, rel=1e-5)
    with pytest.raises(ValueError, match="outside"):
        criterion()(
            detection_output(layers=(layer,)),
            [TWO_PAIRS],
            matches=[PairMatch(torch.tensor([NUM_SLOTS]), torch.tensor([0]))],
        )


def test_ignored_unmatched_slots_do_not_change_the_class_losses():
    generator = torch.Generator().manual_seed(3)
    layer = random_layer(1, generator)
    given = [PairMatch(torch.tensor([0, 1]), torch.tensor([1, 0]))]
    changed_logits = layer.relation_logits.clone()
    changed_logits[0, 2:] += 5.0  # slots 2 and 3 are unmatched
    changed_entities = layer.object_logits.clone()
    changed_entities[0, 2:, -1] -= 5.0  # less sure of "no objects"
    changed = dataclasses.replace(
        layer, relation_logits=changed_logits, object_logits=changed_entities
    )
    results = {}
    for unmatched_slots in ("ignored", "no_object"):
        loss_function = criterion(unmatched_slots=unmatched_slots)
        results[unmatched_slots] = [
            loss_function(detection_output(layers=(predictions,)), [TWO_PAIRS], given)
            for predictions in (layer, changed)
        ]
    for name in ("relations", "entity_classes"):
        before, after = results["ignored"]
        assert term(before, name) == pytest.approx(term(after, name))
        before, after = results["no_object"]
        assert term(before, name) != pytest.approx(term(after, name))


def _empty_indices() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64)

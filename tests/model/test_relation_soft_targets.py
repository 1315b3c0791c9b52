"""RLIPv1's soft relation targets (RPL, RQL) and the quality focal loss they train with."""

from pathlib import Path

import pytest
import torch

from model.box_ops import cxcywh_to_xyxy, elementwise_generalized_iou
from model.config_file import load_config_file
from model.criterion import PAPER_LOSS_WEIGHTS, CriterionConfig, RelationCriterion, loss_term_key
from model.focal_loss import quality_focal_loss
from model.matcher import MatcherConfig, PairMatch, build_matcher
from model.outputs import RelationDetectionOutput, RelationPredictions
from model.pretrain_config import PretrainConfig
from model.relation_soft_targets import (
    box_quality,
    pseudo_relation_labels,
    relation_text_closeness,
)
from model.targets import RelationTarget
from rtagger.tagger_config import TaggerTrainingConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
# Three relation texts on a line: "near" (0) and "next to" (1) one apart, "eating" (2) far away.
LINE_FEATURES = torch.tensor([[0.0], [1.0], [10.0]])


def reference_soft_neg_loss(probabilities: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """RLIPv2's ``_soft_neg_loss`` (beta 2), written out naively."""
    p = probabilities.clamp(1e-6, 1 - 1e-6)
    terms = (targets - p).abs() ** 2 * ((1 - targets) * torch.log(1 - p) + targets * torch.log(p))
    num_positive = (targets > 0).sum()
    return -terms.sum() / num_positive if num_positive > 0 else -terms.sum()


def reference_corner_net_loss(probabilities: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """RLIPv2's ``_neg_loss`` on {0, 1} targets, written out naively."""
    p = probabilities.clamp(1e-6, 1 - 1e-6)
    positive = targets == 1
    positive_terms = (torch.log(p) * (1 - p) ** 2)[positive].sum()
    negative_terms = (torch.log(1 - p) * p**2 * (1 - targets) ** 4)[~positive].sum()
    num_positive = positive.sum()
    summed = positive_terms + negative_terms
    return -summed / num_positive if num_positive > 0 else -summed


def test_quality_focal_loss_matches_rlipv2_soft_and_hard_losses():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 5, generator=generator) * 3
    soft = torch.rand(6, 5, generator=generator) * (torch.rand(6, 5, generator=generator) > 0.6)
    assert quality_focal_loss(logits, soft).item() == pytest.approx(
        reference_soft_neg_loss(logits.sigmoid(), soft).item(), rel=1e-4
    )
    hard = (torch.rand(6, 5, generator=generator) > 0.7).float()
    assert quality_focal_loss(logits, hard).item() == pytest.approx(
        reference_corner_net_loss(logits.sigmoid(), hard).item(), rel=1e-4
    )


def test_closeness_is_the_row_maximum_distance_less_the_distance():
    closeness = relation_text_closeness(LINE_FEATURES)
    expected = torch.tensor([[10.0, 9.0, 0.0], [8.0, 9.0, 0.0], [0.0, 1.0, 10.0]])
    torch.testing.assert_close(closeness, expected)


def test_pseudo_labels_by_hand():
    closeness = relation_text_closeness(LINE_FEATURES)
    labels = torch.tensor(
        [
            [1.0, 0.0, 0.0],  # "near": "next to" is 0.9 as close as "near" itself
            [0.0, 0.0, 1.0],  # "eating": "next to" only 0.1, under the threshold
            [1.0, 1.0, 0.0],  # both close texts are ground truth already
            [0.0, 0.0, 0.0],  # no relation (an unrelated pair): no pseudo-label, no NaN
        ]
    )
    pseudo = pseudo_relation_labels(labels, closeness, threshold=0.3)
    expected = torch.tensor(
        [[0.0, 0.9, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    )
    torch.testing.assert_close(pseudo, expected)
    assert pseudo_relation_labels(labels, closeness, threshold=0.95).sum() == 0


def reference_online_pseudo_labels(features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """RLIPv2's online ``pseudo_verb`` branch, written out (pairs with at least one relation)."""
    num_texts = features.shape[0]
    distances = torch.nn.functional.pairwise_distance(
        features.repeat(1, num_texts).view(-1, features.shape[1]),
        features.repeat(num_texts, 1),
    ).view(num_texts, num_texts)
    similarity = distances.max(-1)[0].unsqueeze(-1) - distances
    pseudo = (labels.unsqueeze(-1) * similarity).sum(dim=1)
    pseudo = pseudo / pseudo.max(-1)[0].unsqueeze(-1)
    pseudo[labels.bool()] = 0
    return pseudo * (pseudo > 0.3)


def test_pseudo_labels_match_rlipv2_online_branch():
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(7, 16, generator=generator)
    labels = (torch.rand(40, 7, generator=generator) > 0.7).float()
    labels[torch.arange(40), torch.randint(0, 7, (40,), generator=generator)] = 1.0
    ours = pseudo_relation_labels(labels, relation_text_closeness(features), threshold=0.3)
    torch.testing.assert_close(
        ours, reference_online_pseudo_labels(features, labels), atol=1e-4, rtol=1e-4
    )
    assert (ours > 0).any()  # the case is not vacuous


def test_pseudo_labels_stay_float32_under_autocast():
    generator = torch.Generator().manual_seed(2)
    features = torch.randn(9, 32, generator=generator)
    labels = (torch.rand(16, 9, generator=generator) > 0.6).float()
    exact = pseudo_relation_labels(labels, relation_text_closeness(features), threshold=0.3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        closeness = relation_text_closeness(features)
        under_autocast = pseudo_relation_labels(labels, closeness, threshold=0.3)
    assert closeness.dtype == under_autocast.dtype == torch.float32
    torch.testing.assert_close(under_autocast, exact, atol=1e-6, rtol=0)


def test_a_single_relation_text_or_none_gives_no_pseudo_labels():
    closeness = relation_text_closeness(torch.ones(1, 8))
    pseudo = pseudo_relation_labels(torch.ones(2, 1), closeness, threshold=0.3)
    torch.testing.assert_close(pseudo, torch.zeros(2, 1))
    no_texts = relation_text_closeness(torch.zeros(0, 8))
    assert no_texts.shape == (0, 0)
    assert pseudo_relation_labels(torch.zeros(2, 0), no_texts, threshold=0.3).shape == (2, 0)


def test_box_quality_is_the_worse_giou_mapped_to_unit_range():
    target = torch.tensor([[0.5, 0.5, 0.2, 0.2]])
    far = torch.tensor([[0.1, 0.1, 0.1, 0.1]])

    def quality(subject_box: torch.Tensor, object_box: torch.Tensor) -> float:
        """Quality of a slot whose subject and object boxes both target ``target``."""

        def giou(box: torch.Tensor) -> torch.Tensor:
            return elementwise_generalized_iou(cxcywh_to_xyxy(box), cxcywh_to_xyxy(target))

        return box_quality(giou(subject_box), giou(object_box)).item()

    assert quality(target, target) == pytest.approx(1.0)
    # Shifted by half its width: IoU 0.02 / 0.06 and the enclosing box is the union, GIoU 1/3.
    shifted = target + torch.tensor([0.1, 0.0, 0.0, 0.0])
    assert quality(shifted, target) == pytest.approx(2 / 3)
    worse = quality(target, far)
    assert worse == quality(far, target)
    assert 0.0 <= worse < 0.5  # disjoint boxes: GIoU < 0


def layer(subject_boxes: torch.Tensor, relation_logits: torch.Tensor) -> RelationPredictions:
    """One slot whose subject box and relation logits are given; the object is exact."""
    entity_logits = torch.zeros(1, 1, 3)
    return RelationPredictions(
        subject_boxes=subject_boxes.reshape(1, 1, 4),
        object_boxes=TARGET.object_boxes.reshape(1, 1, 4),
        subject_logits=entity_logits,
        object_logits=entity_logits,
        relation_logits=relation_logits.reshape(1, 1, 3),
    )


TARGET = RelationTarget(
    subject_boxes=torch.tensor([[0.5, 0.5, 0.2, 0.2]]),
    object_boxes=torch.tensor([[0.3, 0.3, 0.2, 0.2]]),
    subject_labels=torch.tensor([0]),
    object_labels=torch.tensor([1]),
    relation_labels=torch.tensor([[1.0, 0.0, 0.0]]),  # "near"
)
SLOT_0 = [PairMatch(torch.tensor([0]), torch.tensor([0]))]


def relation_loss(predictions: RelationPredictions, features: torch.Tensor, **settings) -> float:
    criterion = RelationCriterion(
        matcher=build_matcher(MatcherConfig()),
        loss_weights=PAPER_LOSS_WEIGHTS,
        num_decoder_layers=1,
        **settings,
    )
    output = RelationDetectionOutput(layers=(predictions,), relation_text_features=features)
    return criterion(output, [TARGET], SLOT_0).terms[loss_term_key("relations", 0)].item()


def test_rql_lowers_the_target_of_a_slot_with_poor_boxes():
    sure_of_near = torch.tensor([30.0, -30.0, -30.0])
    exact = layer(TARGET.subject_boxes, sure_of_near)
    shifted = layer(TARGET.subject_boxes + torch.tensor([0.15, 0.0, 0.0, 0.0]), sure_of_near)
    hard = {"relation_quality_targets": False, "relation_pseudo_labels": False}
    rql = {"relation_quality_targets": True, "relation_pseudo_labels": False}
    assert relation_loss(exact, LINE_FEATURES, **rql) < 1e-6
    assert relation_loss(shifted, LINE_FEATURES, **hard) < 1e-6
    # The target of "near" drops below 1 while the slot is sure of it: the loss grows.
    assert relation_loss(shifted, LINE_FEATURES, **rql) > 0.1


def test_rpl_makes_close_texts_weak_positives_without_gradient_to_the_text_features():
    sure_of_near_only = layer(TARGET.subject_boxes, torch.tensor([30.0, -30.0, -30.0]))
    also_next_to = layer(TARGET.subject_boxes, torch.tensor([30.0, 0.0, -30.0]))
    rpl = {"relation_quality_targets": False, "relation_pseudo_labels": True}
    hard = {"relation_quality_targets": False, "relation_pseudo_labels": False}
    # "next to" (0.9 close to "near") becomes a weak positive: a slot denying it loses more
    # than a slot hedging on it, unlike with hard labels.
    assert relation_loss(sure_of_near_only, LINE_FEATURES, **rpl) > relation_loss(
        also_next_to, LINE_FEATURES, **rpl
    )
    assert relation_loss(sure_of_near_only, LINE_FEATURES, **hard) < relation_loss(
        also_next_to, LINE_FEATURES, **hard
    )
    features = LINE_FEATURES.clone().requires_grad_()
    logits = torch.zeros(3, requires_grad=True)
    criterion = RelationCriterion(
        matcher=build_matcher(MatcherConfig()),
        loss_weights={"relations": 1.0},
        num_decoder_layers=1,
        **rpl,
    )
    output = RelationDetectionOutput(
        layers=(layer(TARGET.subject_boxes, logits),), relation_text_features=features
    )
    criterion(output, [TARGET], SLOT_0).total.backward()
    assert features.grad is None and logits.grad is not None


def test_rpl_then_rql_targets_and_no_gradient_to_the_boxes():
    logits = torch.tensor([2.0, -1.0, 0.5], requires_grad=True)
    subject_boxes = (TARGET.subject_boxes + torch.tensor([0.1, 0.0, 0.0, 0.0])).requires_grad_()
    predictions = layer(subject_boxes, logits)
    both = relation_loss(
        predictions, LINE_FEATURES, relation_quality_targets=True, relation_pseudo_labels=True
    )
    expected_targets = torch.tensor([1.0, 0.9, 0.0]) * (2 / 3)  # (labels + RPL) * RQL
    expected = quality_focal_loss(logits.detach(), expected_targets).item()
    assert both == pytest.approx(expected, rel=1e-5)
    criterion = RelationCriterion(
        matcher=build_matcher(MatcherConfig()),
        loss_weights={"relations": 1.0},
        num_decoder_layers=1,
    )
    output = RelationDetectionOutput(layers=(predictions,), relation_text_features=LINE_FEATURES)
    criterion(output, [TARGET], SLOT_0).total.backward()
    assert logits.grad is not None
    assert subject_boxes.grad is None  # box quality is a constant of the relation loss


def test_defaults_are_the_papers_pretraining_and_hard_labels_for_the_tagger():
    pretraining = load_config_file(CONFIGS / "pretrain_demo.toml", PretrainConfig).criterion
    assert pretraining.relation_quality_targets and pretraining.relation_pseudo_labels
    assert pretraining.pseudo_label_threshold == 0.3
    tagger = load_config_file(CONFIGS / "tagger_demo.toml", TaggerTrainingConfig).criterion
    assert not tagger.relation_quality_targets and not tagger.relation_pseudo_labels
    # A [criterion] setting in a tagger config keeps the tagger's other defaults.
    overridden = load_config_file(
        CONFIGS / "tagger_demo.toml", TaggerTrainingConfig, ["criterion.eos_coefficient=0.2"]
    ).criterion
    assert overridden.eos_coefficient == 0.2 and overridden.unmatched_slots == "ignored"
    assert not overridden.relation_quality_targets and not overridden.relation_pseudo_labels
    with pytest.raises(ValueError, match="pseudo_label_threshold"):
        CriterionConfig(pseudo_label_threshold=1.0)

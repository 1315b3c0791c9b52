"""R-Tagger: queries from boxes, denoising noise, slot targets, and learning on the demo world."""

from pathlib import Path

import pytest
import torch

from model.backbone import BackboneConfig
from model.criterion import build_criterion
from model.data import (
    PretrainDataConfig,
    TransformConfig,
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
)
from model.detector_config import DetectorConfig
from model.engine import train_one_epoch
from model.fused_encoder import FusionConfig
from model.inverse_sigmoid import inverse_sigmoid
from model.targets import RelationTarget
from model.text_encoder import TextEncoderConfig
from rtagger.box_pair_queries import (
    BoxPairQueryEncoder,
    TaggerPairs,
    duplicate_entity_attention_mask,
)
from rtagger.build_tagger import build_relation_tagger
from rtagger.denoising import flip_labels, noise_boxes
from rtagger.tagger_config import DenoisingConfig, TaggerCriterionConfig
from rtagger.train_tagger import noised_pairs, tagger_loss
from rtagger.training_pairs import build_slot_targets
from scene_graph_tables import ingest_demo_source
from tiny_roberta import save_tiny_roberta


def pairs_of(subject_boxes, object_boxes, subject_labels, object_labels, padding) -> TaggerPairs:
    return TaggerPairs(
        subject_boxes=torch.tensor(subject_boxes, dtype=torch.float32),
        object_boxes=torch.tensor(object_boxes, dtype=torch.float32),
        subject_labels=torch.tensor(subject_labels),
        object_labels=torch.tensor(object_labels),
        padding_mask=torch.tensor(padding),
    )


def test_queries_are_built_from_boxes_and_label_texts() -> None:
    encoder = BoxPairQueryEncoder(hidden_dim=8)
    pairs = pairs_of([[[0.5, 0.5, 0.2, 0.4], [0, 0, 0, 0]]], [[[0.3, 0.6, 0.1, 0.1], [0, 0, 0, 0]]],
                     [[2, 0]], [[1, 0]], [[False, True]])
    texts = torch.randn(1, 4, 8, requires_grad=True)
    queries = encoder(pairs, texts)
    assert queries.content.shape == queries.position.shape == (1, 4, 8)
    assert torch.equal(queries.content[0, 0], texts[0, 2].detach())
    assert torch.equal(queries.content[0, 2], texts[0, 1].detach())
    assert not queries.content.requires_grad, "label features are detached"
    assert torch.equal(queries.reference_points[0, 0], pairs.subject_boxes[0, 0])
    expected = encoder.coordinate_projection(inverse_sigmoid(pairs.object_boxes[0, 0]))
    assert torch.allclose(queries.position[0, 2], expected)
    assert queries.padding_mask.tolist() == [[False, True, False, True]]


def test_box_noise_is_bounded_by_box_size_and_zero_scale_is_identity() -> None:
    generator = torch.Generator().manual_seed(0)
    boxes = torch.tensor([[0.5, 0.5, 0.2, 0.4]]).repeat(2000, 1)
    noised = noise_boxes(boxes, scale=0.4, generator=generator)
    shift = (noised - boxes).abs()
    assert (shift[:, 0] <= 0.4 * 0.1 + 1e-6).all() and (shift[:, 3] <= 0.4 * 0.4 + 1e-6).all()
    assert shift.max() > 0 and (noised >= 0).all() and (noised <= 1).all()
    assert torch.equal(noise_boxes(boxes, scale=0.0, generator=generator), boxes)


def test_label_flips_follow_the_probability() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.zeros(20000, dtype=torch.long)
    flipped = flip_labels(labels, probability=0.2, num_classes=5, generator=generator)
    changed = (flipped != labels).float().mean().item()
    assert 0.2 * 4 / 5 - 0.02 < changed < 0.2 * 4 / 5 + 0.02  # a flip may draw the same label
    assert flipped.max() < 5
    assert torch.equal(flip_labels(labels, probability=0.0, num_classes=5, generator=generator),
                       labels)


def test_noised_pairs_leave_empty_slots_alone() -> None:
    pairs = pairs_of([[[0.5, 0.5, 0.2, 0.2], [0.1, 0.1, 0.1, 0.1]]],
                     [[[0.4, 0.4, 0.2, 0.2], [0.1, 0.1, 0.1, 0.1]]], [[1, 2]], [[1, 2]],
                     [[False, True]])
    noised = noised_pairs(pairs, DenoisingConfig(box_noise_scale=1.0, label_noise_probability=1.0),
                          num_classes=50, generator=torch.Generator().manual_seed(1))
    for field in ("subject_boxes", "object_boxes", "subject_labels", "object_labels"):
        assert torch.equal(getattr(noised, field)[0, 1], getattr(pairs, field)[0, 1]), field
    assert not torch.equal(noised.subject_boxes[0, 0], pairs.subject_boxes[0, 0])
    assert not torch.equal(noised.object_boxes[0, 0], pairs.object_boxes[0, 0])
    # Flipped with probability 1 among 50 labels (a flip may redraw the same one).
    assert (noised.subject_labels[0, 0], noised.object_labels[0, 0]) != (1, 1)


SLOT_BOXES = torch.tensor([[0.2, 0.2, 0.1, 0.1], [0.6, 0.6, 0.2, 0.2], [0.8, 0.3, 0.1, 0.2]])


def one_relation(**unrelated: torch.Tensor) -> RelationTarget:
    """Entity 0 (label 0) -> entity 1 (label 1) of SLOT_BOXES, with the first of two texts."""
    return RelationTarget(
        subject_boxes=SLOT_BOXES[[0]], object_boxes=SLOT_BOXES[[1]],
        subject_labels=torch.tensor([0]), object_labels=torch.tensor([1]),
        relation_labels=torch.tensor([[1.0, 0.0]]), **unrelated,
    )


def test_slot_targets_hold_the_related_and_unrelated_pairs_in_a_random_slot_order() -> None:
    boxes = SLOT_BOXES
    target = one_relation()
    empty = RelationTarget(subject_boxes=torch.zeros(0, 4), object_boxes=torch.zeros(0, 4),
                           subject_labels=torch.zeros(0, dtype=torch.long),
                           object_labels=torch.zeros(0, dtype=torch.long),
                           relation_labels=torch.zeros(0, 2))
    related_slots = set()
    for seed in range(20):
        slots = build_slot_targets([target, empty], num_pairs=4,
                                   generator=torch.Generator().manual_seed(seed))
        assert slots.pairs.padding_mask.tolist() == [[False, False, True, True], [True] * 4]
        first = slots.targets[0]
        assert first.num_pairs == 2 and slots.targets[1].num_pairs == 0
        assert slots.matches[0].prediction_indices.tolist() == [0, 1]
        assert torch.equal(slots.pairs.subject_boxes[0, :2], first.subject_boxes)
        assert torch.equal(slots.pairs.object_labels[0, :2], first.object_labels)
        for slot in range(2):  # the related pair (0 -> 1) and the unrelated one (1 -> 0)
            related = first.relation_labels[slot].tolist() == [1.0, 0.0]
            expected = (boxes[0], boxes[1]) if related else (boxes[1], boxes[0])
            assert first.relation_labels[slot].tolist() in ([1.0, 0.0], [0.0, 0.0])
            assert torch.equal(first.subject_boxes[slot], expected[0])
            assert torch.equal(first.object_boxes[slot], expected[1])
            related_slots |= {slot} if related else set()
    assert related_slots == {0, 1}  # the slot says nothing about the pair


def test_slot_targets_pair_the_entities_in_no_relation_into_negatives() -> None:
    boxes = SLOT_BOXES
    target = one_relation(unrelated_boxes=boxes[[2, 0]],
                          unrelated_labels=torch.tensor([0, 0]))  # the 2nd is entity 0 again
    slots = build_slot_targets([target], num_pairs=8, generator=torch.Generator().manual_seed(0))
    (filled,) = slots.targets
    pairs = {
        (tuple(subject.tolist()), tuple(object_.tolist())): labels.tolist()
        for subject, object_, labels in zip(
            filled.subject_boxes, filled.object_boxes, filled.relation_labels, strict=True
        )
    }
    entity = [tuple(box.tolist()) for box in boxes]
    expected = {(entity[s], entity[o]) for s in range(3) for o in range(3) if s != o}
    assert set(pairs) == expected and filled.num_pairs == 6  # the duplicate counts once
    assert pairs[entity[0], entity[1]] == [1.0, 0.0]
    assert all(labels == [0.0, 0.0] for pair, labels in pairs.items()
               if pair != (entity[0], entity[1]))
    assert slots.pairs.padding_mask.tolist() == [[False] * 6 + [True] * 2]


def test_duplicate_entity_mask_blocks_copies_of_the_same_entity() -> None:
    boxes = torch.tensor([[[0.1, 0.1, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]]])
    mask = duplicate_entity_attention_mask(boxes, torch.tensor([[3, 3, 3]]), num_heads=2)
    assert mask.shape == (2, 3, 3)
    assert mask[0].tolist() == [[False, False, True], [False, False, False], [True, False, False]]


@pytest.fixture(scope="module")
def demo_batch(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tagger")
    config = PretrainDataConfig(
        sources=(ingest_demo_source(root, num_images=8, seed=4),),
        transform=TransformConfig(shorter_sides=(128,), max_size=160, eval_shorter_side=128),
    )
    dataset = build_pretrain_dataset(config, augment=False)
    loader = build_data_loader(
        dataset, collator=build_pretrain_collator(config, build_label_vocabulary(dataset.annotations)),
        batch_size=2, shuffle=False, num_workers=0, seed=0, distributed=False,
    )
    return next(iter(loader)), save_tiny_roberta(root / "roberta")


def tiny_tagger_config(text_encoder: Path) -> DetectorConfig:
    return DetectorConfig(
        backbone=BackboneConfig(hidden_dim=32, hidden_sizes=(8, 16, 32, 64), depths=(1, 1, 1, 1),
                                embedding_size=8),
        text_encoder=TextEncoderConfig(str(text_encoder)),
        fusion=FusionConfig(embed_dim=64, num_heads=2),
        hidden_dim=32, num_pairs=6, feedforward_dim=64, num_heads=2, num_points=2,
    )


def test_an_untrained_tagger_keeps_the_given_boxes_at_every_layer(demo_batch) -> None:
    """Its box heads start at zero deltas: the given boxes are the references, not shrunk."""
    batch, text_encoder = demo_batch
    torch.manual_seed(0)
    tagger = build_relation_tagger(tiny_tagger_config(text_encoder)).eval()
    slots = build_slot_targets(batch.targets, num_pairs=6, generator=torch.Generator())
    with torch.no_grad():
        output = tagger(batch.images, batch.pixel_mask, batch.label_texts, slots.pairs)
    given = ~slots.pairs.padding_mask
    for layer in output.layers:
        assert torch.allclose(layer.subject_boxes[given], slots.pairs.subject_boxes[given],
                              atol=1e-5)
        assert torch.allclose(layer.object_boxes[given], slots.pairs.object_boxes[given],
                              atol=1e-5)
    classifiers = tagger.detector.entity_classifier, tagger.detector.relation_classifier
    assert classifiers[0].text_projection is classifiers[1].text_projection  # as in RLIPv2


@pytest.mark.slow
def test_denoising_training_steps_reduce_the_loss(demo_batch) -> None:
    batch, text_encoder = demo_batch
    torch.manual_seed(0)
    tagger = build_relation_tagger(tiny_tagger_config(text_encoder))
    criterion = build_criterion(TaggerCriterionConfig())
    optimizer = torch.optim.AdamW(tagger.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", enabled=False)

    def step() -> float:
        # A fresh generator each step: the same noise, so the loss is comparable.
        generator = torch.Generator().manual_seed(0)
        stats = train_one_epoch(
            model=tagger,
            loss_of_batch=lambda b: tagger_loss(tagger, criterion, b, num_pairs=6,
                                                denoising=DenoisingConfig(), generator=generator),
            batches=[batch], optimizer=optimizer, device=torch.device("cpu"),
            max_grad_norm=1.0, scaler=scaler,
        )
        return stats.mean_loss

    first = step()
    for _ in range(12):
        last = step()
    assert last < 0.8 * first, (first, last)

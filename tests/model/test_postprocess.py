"""The post-processor: triplet scores, top-k order and boxes in pixels."""

import pytest
import torch

from model.outputs import RelationDetectionOutput, RelationPredictions
from model.postprocess import PostProcessConfig, RelationPostProcessor, build_postprocessor

BATCH_SIZE = 2
NUM_SLOTS = 3
NUM_ENTITY_TEXTS = 4  # the last is "no objects"
NUM_RELATION_TEXTS = 5


def random_output(seed: int = 0) -> RelationDetectionOutput:
    generator = torch.Generator().manual_seed(seed)
    final = RelationPredictions(
        subject_boxes=torch.rand(BATCH_SIZE, NUM_SLOTS, 4, generator=generator),
        object_boxes=torch.rand(BATCH_SIZE, NUM_SLOTS, 4, generator=generator),
        subject_logits=torch.randn(BATCH_SIZE, NUM_SLOTS, NUM_ENTITY_TEXTS, generator=generator),
        object_logits=torch.randn(BATCH_SIZE, NUM_SLOTS, NUM_ENTITY_TEXTS, generator=generator),
        relation_logits=torch.randn(
            BATCH_SIZE, NUM_SLOTS, NUM_RELATION_TEXTS, generator=generator
        ),
    )
    earlier = RelationPredictions(
        **{name: torch.full_like(value, float("nan")) for name, value in vars(final).items()}
    )  # must be ignored
    return RelationDetectionOutput(
        layers=(earlier, final), relation_text_features=torch.eye(NUM_RELATION_TEXTS)
    )


IMAGE_SIZES = torch.tensor([[100, 200], [50, 40]])  # (height, width)


def test_shapes_and_dtypes():
    results = RelationPostProcessor(top_k=7)(random_output(), IMAGE_SIZES)
    assert len(results) == BATCH_SIZE
    for triplets in results:
        assert triplets.num_triplets == 7
        assert triplets.scores.shape == (7,)
        assert triplets.subject_boxes.shape == (7, 4) and triplets.object_boxes.shape == (7, 4)
        for labels in (
            triplets.subject_labels,
            triplets.object_labels,
            triplets.relation_labels,
            triplets.slots,
        ):
            assert labels.shape == (7,) and labels.dtype == torch.int64
        assert torch.isfinite(triplets.scores).all()


def test_top_k_beyond_the_number_of_triplets_keeps_them_all():
    results = RelationPostProcessor(top_k=1000)(random_output(), IMAGE_SIZES)
    assert all(triplets.num_triplets == NUM_SLOTS * NUM_RELATION_TEXTS for triplets in results)


def test_scores_are_sorted_and_follow_the_documented_formula():
    output = random_output(seed=1)
    final = output.final
    (first, _) = RelationPostProcessor(top_k=NUM_SLOTS * NUM_RELATION_TEXTS)(output, IMAGE_SIZES)
    assert (first.scores[:-1] >= first.scores[1:]).all()
    subject = final.subject_logits[0].softmax(-1)[:, :-1]
    object_ = final.object_logits[0].softmax(-1)[:, :-1]
    expected = (
        final.relation_logits[0].sigmoid()
        * subject.max(-1).values[:, None]
        * object_.max(-1).values[:, None]
    )  # (num_slots, num_relation_texts)
    torch.testing.assert_close(first.scores, expected[first.slots, first.relation_labels])
    torch.testing.assert_close(first.scores[0], expected.max())
    torch.testing.assert_close(first.subject_labels, subject.argmax(-1)[first.slots])
    torch.testing.assert_close(first.object_labels, object_.argmax(-1)[first.slots])


def test_the_best_triplet_is_found_and_labels_skip_no_objects():
    output = random_output(seed=2)
    final = output.final
    final.relation_logits[1] = -20.0
    final.relation_logits[1, 2, 3] = 10.0
    final.subject_logits[1, 2] = torch.tensor([0.0, 5.0, 0.0, 9.0])  # "no objects" is likelier
    final.object_logits[1, 2] = torch.tensor([6.0, 0.0, 0.0, 0.0])
    (_, second) = RelationPostProcessor(top_k=3)(output, IMAGE_SIZES)
    assert (second.slots[0].item(), second.relation_labels[0].item()) == (2, 3)
    assert second.subject_labels[0].item() == 1
    assert second.object_labels[0].item() == 0


def test_boxes_are_xyxy_in_absolute_pixels():
    output = random_output(seed=3)
    output.final.subject_boxes[0, :] = torch.tensor([0.5, 0.5, 0.5, 0.5])
    output.final.object_boxes[0, :] = torch.tensor([0.25, 0.75, 0.5, 0.5])
    output.final.subject_boxes[1, :] = torch.tensor([0.5, 0.5, 1.0, 1.0])
    first, second = RelationPostProcessor(top_k=4)(output, IMAGE_SIZES)
    # Image 0 is 200 wide and 100 high.
    torch.testing.assert_close(first.subject_boxes, torch.tensor([[50.0, 25.0, 150.0, 75.0]] * 4))
    torch.testing.assert_close(first.object_boxes, torch.tensor([[0.0, 50.0, 100.0, 100.0]] * 4))
    # Image 1 is 40 wide and 50 high: the whole-image box.
    torch.testing.assert_close(second.subject_boxes, torch.tensor([[0.0, 0.0, 40.0, 50.0]] * 4))


def test_score_threshold_drops_low_scores():
    output = random_output(seed=4)
    everything = RelationPostProcessor(top_k=15)(output, IMAGE_SIZES)
    threshold = everything[0].scores[4].item()
    first, _ = RelationPostProcessor(top_k=15, score_threshold=threshold)(output, IMAGE_SIZES)
    assert first.num_triplets == 5
    assert (first.scores >= threshold).all()


def test_invalid_settings_and_sizes_raise():
    with pytest.raises(ValueError, match="top_k"):
        RelationPostProcessor(top_k=0)
    with pytest.raises(ValueError, match="score_threshold"):
        PostProcessConfig(score_threshold=2.0)
    with pytest.raises(ValueError, match="height, width"):
        RelationPostProcessor(top_k=3)(random_output(), torch.tensor([100, 200]))
    processor = build_postprocessor(PostProcessConfig())
    assert (processor.top_k, processor.score_threshold) == (100, 0.0)

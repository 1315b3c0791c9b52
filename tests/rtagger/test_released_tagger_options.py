"""The released R-Tagger's choices: 2-d references from the box embedding, empty slots with zero
queries, the label-flip range, and every dataset category as entity texts when tagging."""


import pytest
import torch

from data_schemas.entities import EntityRecord
from rtagger.box_pair_queries import BoxPairQueryEncoder, TaggerPairs, TaggerReference
from rtagger.tagger_config import DenoisingConfig, EntityTextSource
from rtagger.tagger_scorer import RelationTaggerScorer


def pairs() -> TaggerPairs:
    return TaggerPairs(
        subject_boxes=torch.tensor([[[0.5, 0.5, 0.2, 0.4], [0.0, 0.0, 0.0, 0.0]]]),
        object_boxes=torch.tensor([[[0.3, 0.6, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0]]]),
        subject_labels=torch.tensor([[2, 0]]),
        object_labels=torch.tensor([[1, 0]]),
        padding_mask=torch.tensor([[False, True]]),
    )


def test_point_references_come_from_the_box_embedding_per_role() -> None:
    torch.manual_seed(0)
    encoder = BoxPairQueryEncoder(hidden_dim=8, reference=TaggerReference.POINT)
    queries = encoder(pairs(), torch.randn(1, 4, 8))
    assert queries.reference_points.shape == (1, 4, 2)
    expected = torch.cat(
        [
            encoder.subject_reference(queries.position[:, :2]),
            encoder.object_reference(queries.position[:, 2:]),
        ],
        dim=1,
    ).sigmoid()
    torch.testing.assert_close(queries.reference_points, expected)


@pytest.mark.parametrize("reference", list(TaggerReference))
def test_empty_slots_get_zero_queries(reference: TaggerReference) -> None:
    encoder = BoxPairQueryEncoder(hidden_dim=8, reference=reference)
    queries = encoder(pairs(), torch.randn(1, 4, 8))
    empty = queries.padding_mask[0]
    assert empty.tolist() == [False, True, False, True]
    assert torch.all(queries.content[0, empty] == 0) and torch.all(queries.position[0, empty] == 0)
    assert torch.all(queries.content[0, ~empty] != 0)


def test_the_released_flip_range_is_the_batch_size() -> None:
    released = DenoisingConfig(label_flip_range="batch_size")
    assert released.flip_classes(num_entity_texts=40, batch_size=8) == 8
    assert released.flip_classes(num_entity_texts=5, batch_size=8) == 5
    assert DenoisingConfig().flip_classes(num_entity_texts=40, batch_size=8) == 40


def entity(entity_id: int, name: str) -> EntityRecord:
    return EntityRecord(image_id=1, entity_id=entity_id, category_id=entity_id,
                        category_name=name, x1=0, y1=0, x2=4, y2=4)


def scorer(entity_texts: EntityTextSource) -> RelationTaggerScorer:
    """A scorer around no model: only its choice of entity texts is exercised."""
    return RelationTaggerScorer(tagger=torch.nn.Module(), transform=None,
                                device=torch.device("cpu"), tagger_id="t", max_pairs=2,
                                entity_texts=entity_texts)


def test_a_tagger_shown_the_dataset_sees_every_category_in_the_dataset_order() -> None:
    image_entities = [entity(1, "horse"), entity(2, "person")]
    bound = scorer(EntityTextSource.DATASET).for_categories(["person", "bicycle", "horse"])
    assert bound.preparer()._entity_names(image_entities) == ["person", "bicycle", "horse"]
    with pytest.raises(ValueError, match="not among the dataset's categories"):
        bound.preparer()._entity_names([entity(3, "zebra")])
    image = scorer(EntityTextSource.IMAGE)
    assert image.for_categories(["person"]) is image
    assert image.preparer()._entity_names(image_entities) == ["horse", "person"]

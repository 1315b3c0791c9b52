"""Pre-training data: its config, the dataset it builds, collation, loaders and targets."""

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

import data_schemas as ds
from model.data import (
    PretrainCollator,
    PretrainDataConfig,
    PretrainSample,
    SceneGraphSource,
    TextSamplingConfig,
    TransformConfig,
    build_data_loader,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
    pad_images,
    set_loader_epoch,
)
from model.targets import NO_OBJECT_TEXT, RelationTarget
from scene_graph_tables import VOCABULARY, demo_config, mixed_records, write_scene_graphs


def test_no_relation_left_is_an_input_error(mixed_source: SceneGraphSource) -> None:
    records = [mixed_records()[1]]
    write_scene_graphs(mixed_source.scene_graphs_dir, records)
    with pytest.raises(ds.RLIPv2InputError, match="lower relation_threshold"):
        build_pretrain_dataset(demo_config(mixed_source))


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PretrainDataConfig(sources=())
    with pytest.raises(ValueError, match="relation_threshold"):
        PretrainDataConfig(
            sources=(SceneGraphSource(Path("a"), Path("b")),), relation_threshold=1.5
        )
    with pytest.raises(ValueError, match="max_size"):
        TransformConfig(shorter_sides=(800,), max_size=600)



def pretrain_sample(height: int, width: int, names: list[tuple[str, str]], predicates, seed: int):
    num_pairs = len(names)
    return PretrainSample(
        image=torch.randn(3, height, width),
        subject_boxes=torch.rand(num_pairs, 4),
        object_boxes=torch.rand(num_pairs, 4),
        subject_names=tuple(subject for subject, _ in names),
        object_names=tuple(object_ for _, object_ in names),
        predicates=tuple(tuple(pair) for pair in predicates),
        dataset="hand",
        image_id=seed,
        random_seed=seed,
    )


def test_pad_images_mask_polarity() -> None:
    images = [torch.ones(3, 4, 6), torch.ones(3, 5, 2)]
    padded, pixel_mask, sizes = pad_images(images)
    assert padded.shape == (2, 3, 5, 6) and pixel_mask.shape == (2, 5, 6)
    assert sizes.tolist() == [[4, 6], [5, 2]]
    assert not pixel_mask[0, :4].any() and pixel_mask[0, 4].all()  # True = padding
    assert not pixel_mask[1, :, :2].any() and pixel_mask[1, :, 2:].all()
    assert padded[1, :, :, 2:].eq(0).all() and padded[0, :, :4].eq(1).all()


def test_collate_targets_point_at_their_texts() -> None:
    samples = [
        pretrain_sample(8, 10, [("thing 1", "thing 2"), ("thing 2", "thing 1")],
                        [("on", "riding"), ("near",)], seed=1),
        pretrain_sample(6, 12, [("person", "thing 1")], [("holding",)], seed=2),
    ]
    collator = PretrainCollator(
        vocabulary=VOCABULARY, text_sampling=TextSamplingConfig(total_texts=12), seed=0
    )
    batch = collator(samples)
    assert batch.images.shape == (2, 3, 8, 12) and batch.pixel_mask.shape == (2, 8, 12)
    assert batch.image_sizes.tolist() == [[8, 10], [6, 12]]
    assert torch.equal(batch.images[1, :, :6], samples[1].image)
    entity_texts, relation_texts = batch.label_texts.entity_texts, batch.label_texts.relation_texts
    assert entity_texts[-1] == NO_OBJECT_TEXT and len(entity_texts) == 8 + 1
    for sample, target in zip(samples, batch.targets, strict=True):
        assert [entity_texts[i] for i in target.subject_labels] == list(sample.subject_names)
        assert [entity_texts[i] for i in target.object_labels] == list(sample.object_names)
        assert target.relation_labels.shape == (sample.num_pairs, len(relation_texts))
        for row, predicates in zip(target.relation_labels, sample.predicates, strict=True):
            assert {relation_texts[i] for i in row.nonzero().flatten()} == set(predicates)
        assert torch.equal(target.subject_boxes, sample.subject_boxes)
    moved = batch.to("meta")  # a device other than the CPU, on any machine
    assert {moved.images.device.type, moved.pixel_mask.device.type} == {"meta"}
    assert moved.image_sizes.device.type == "meta" and moved.label_texts == batch.label_texts
    assert all(
        value.device.type == "meta" for target in moved.targets for value in vars(target).values()
    )


def test_collate_labels_unrelated_entities_with_their_texts() -> None:
    sample = pretrain_sample(8, 10, [("person", "thing 1")], [("holding",)], seed=1)
    bystanders = torch.rand(2, 4)
    sample = PretrainSample(**{**vars(sample), "unrelated_boxes": bystanders,
                               "unrelated_names": ("dog", "person")})
    collator = PretrainCollator(
        vocabulary=VOCABULARY, text_sampling=TextSamplingConfig(total_texts=0), seed=0
    )
    batch = collator([sample])
    (target,) = batch.targets
    assert batch.label_texts.entity_texts == ("person", "thing 1", "dog", NO_OBJECT_TEXT)
    assert target.unrelated_labels.tolist() == [2, 0]
    assert torch.equal(target.unrelated_boxes, bystanders)
    assert target.num_pairs == 1  # the criterion's targets are unchanged


def test_data_loader_end_to_end_on_the_demo_world(demo_source: SceneGraphSource) -> None:
    config = demo_config(demo_source)
    dataset = build_pretrain_dataset(config)
    vocabulary = build_label_vocabulary(dataset.annotations)
    assert NO_OBJECT_TEXT not in vocabulary.entity_names

    def epoch_batches(num_workers: int, epoch: int):
        loader = build_data_loader(
            dataset, collator=build_pretrain_collator(config, vocabulary), batch_size=3,
            shuffle=True, num_workers=num_workers, seed=5, distributed=False,
        )
        set_loader_epoch(loader, epoch)
        return list(loader)

    batches = epoch_batches(0, epoch=1)
    assert [batch.batch_size for batch in batches] == [3, 3, 2]
    for batch in batches:
        heights, widths = batch.image_sizes.unbind(-1)
        assert batch.images.shape[-2:] == (heights.max(), widths.max())
        assert (~batch.pixel_mask).sum(dim=(1, 2)).tolist() == (heights * widths).tolist()
        for target in batch.targets:
            assert target.num_pairs >= 1 and (target.relation_labels.sum(dim=1) >= 1).all()
            assert target.subject_labels.max() < batch.label_texts.no_object_index
    again = epoch_batches(2, epoch=1)  # the same batches whatever the number of workers
    for batch, other in zip(batches, again, strict=True):
        assert torch.equal(batch.images, other.images)
        assert batch.label_texts == other.label_texts


def test_each_epoch_has_its_own_order_which_a_new_loader_repeats(
    demo_source: SceneGraphSource,
) -> None:
    config = demo_config(demo_source)
    dataset = build_pretrain_dataset(config)
    collator = build_pretrain_collator(config, build_label_vocabulary(dataset.annotations))

    def epoch_order(loader, epoch: int) -> list[int]:
        set_loader_epoch(loader, epoch)
        return list(loader.sampler)

    def new_loader():
        return build_data_loader(dataset, collator=collator, batch_size=3, shuffle=True,
                                 num_workers=0, seed=5, distributed=False)

    loader = new_loader()
    orders = [epoch_order(loader, epoch) for epoch in range(3)]
    assert all(sorted(order) == list(range(len(dataset))) for order in orders)
    assert len({tuple(order) for order in orders}) == 3
    assert epoch_order(new_loader(), 2) == orders[2]  # a run resumed at epoch 2 reads the same
    unshuffled = build_data_loader(dataset, collator=collator, batch_size=3, shuffle=False,
                                   num_workers=0, seed=5, distributed=False)
    assert epoch_order(unshuffled, 1) == list(range(len(dataset)))


def test_distributed_loader_uses_a_distributed_sampler(
    demo_source: SceneGraphSource, tmp_path: Path
) -> None:
    config = demo_config(demo_source)
    dataset = build_pretrain_dataset(config)
    collator = build_pretrain_collator(config, build_label_vocabulary(dataset.annotations))
    store = f"file://{tmp_path / 'store'}"
    dist.init_process_group("gloo", init_method=store, rank=0, world_size=1)
    try:
        loader = build_data_loader(dataset, collator=collator, batch_size=4, shuffle=True,
                                   num_workers=0, seed=0, distributed=True)
        assert isinstance(loader.sampler, DistributedSampler)
        set_loader_epoch(loader, 3)
        assert loader.sampler.epoch == 3 and dataset.epoch == 3
        assert sum(batch.batch_size for batch in loader) == len(dataset)
    finally:
        dist.destroy_process_group()


def two_pair_target() -> RelationTarget:
    return RelationTarget(
        subject_boxes=torch.rand(2, 4),
        object_boxes=torch.rand(2, 4),
        subject_labels=torch.tensor([0, 1]),
        object_labels=torch.tensor([1, 0]),
        relation_labels=torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
        unrelated_boxes=torch.rand(1, 4),
        unrelated_labels=torch.tensor([2]),
    )


def test_a_target_moves_every_tensor() -> None:
    target = two_pair_target()
    moved = target.to(torch.device("meta"), non_blocking=True)
    for name, value in vars(target).items():
        moved_value = getattr(moved, name)
        assert moved_value.device.type == "meta", name
        assert (moved_value.shape, moved_value.dtype) == (value.shape, value.dtype), name


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_target_pins_every_tensor() -> None:
    pinned = two_pair_target().pin_memory()
    assert all(value.is_pinned() for value in vars(pinned).values())

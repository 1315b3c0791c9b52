"""Paired transforms of images and boxes: flip, resize, crop, normalisation, seeding."""

from pathlib import Path

import torch
from PIL import Image

from model.data import (
    CropConfig,
    CropRegion,
    SceneGraphSource,
    TransformConfig,
    build_eval_transform,
    build_pretrain_dataset,
    build_train_transform,
    crop,
    horizontal_flip,
    image_to_normalised_tensor,
    mirror_left_right,
    resize,
    resized_size,
    xyxy_to_normalised_cxcywh,
)
from scene_graph_tables import (
    HORSE,
    MAN,
    SMALL_TRANSFORM,
    demo_config,
    relationship,
    scene_graph,
    scene_object,
    write_scene_graphs,
)


def striped_image(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0))
    return image


def test_horizontal_flip_mirrors_boxes_and_pixels() -> None:
    image = striped_image(64, 48)
    boxes = torch.tensor([[10.0, 5.0, 30.0, 20.0], [0.0, 0.0, 64.0, 48.0]])
    flipped_image, flipped = horizontal_flip(image, boxes)
    assert flipped.tolist() == [[34.0, 5.0, 54.0, 20.0], [0.0, 0.0, 64.0, 48.0]]  # x1' = W - x2
    assert flipped_image.getpixel((63, 0)) == (255, 0, 0)
    _, back = horizontal_flip(flipped_image, flipped)
    assert torch.equal(back, boxes)


def test_mirror_left_right_swaps_whole_words_only() -> None:
    assert mirror_left_right("left of") == "right of"
    assert mirror_left_right("to the Right of") == "to the Left of"
    assert mirror_left_right("leftover on") == "leftover on"


def test_resize_scales_boxes_and_caps_the_longer_side() -> None:
    image, boxes = resize(striped_image(64, 48), torch.tensor([[8.0, 4.0, 32.0, 48.0]]), 24, None)
    assert image.size == (32, 24)
    assert boxes.tolist() == [[4.0, 2.0, 16.0, 24.0]]
    assert resized_size(100, 20, 40, 100) == (100, 20)  # 200 x 40 would exceed max_size
    assert resized_size(30, 60, 40, 1333) == (40, 80)


def test_normalised_cxcywh_and_pixel_normalisation() -> None:
    boxes = torch.tensor([[0.0, 0.0, 64.0, 48.0], [16.0, 12.0, 32.0, 36.0], [-3.0, 0.0, 70.0, 8.0]])
    cxcywh = xyxy_to_normalised_cxcywh(boxes, 64, 48)
    assert torch.allclose(cxcywh[0], torch.tensor([0.5, 0.5, 1.0, 1.0]))
    assert torch.allclose(cxcywh[1], torch.tensor([0.375, 0.5, 0.25, 0.5]))
    assert cxcywh.min() >= 0 and cxcywh.max() <= 1  # out-of-image boxes are clipped
    tensor = image_to_normalised_tensor(Image.new("RGB", (5, 4), (120, 30, 200)),
                                        (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert tensor.shape == (3, 4, 5)
    assert torch.allclose(tensor[:, 0, 0], torch.tensor([(120 / 255 - 0.485) / 0.229,
                                                         (30 / 255 - 0.456) / 0.224,
                                                         (200 / 255 - 0.406) / 0.225]))


def test_crop_keeps_only_pairs_whose_boxes_stay_valid() -> None:
    pair_boxes = torch.tensor([
        [[2.0, 2.0, 10.0, 10.0], [5.0, 5.0, 40.0, 40.0]],  # both overlap the region
        [[2.0, 2.0, 10.0, 10.0], [50.0, 30.0, 60.0, 44.0]],  # object entirely outside
    ])
    image, cropped, valid = crop(striped_image(64, 48), pair_boxes, CropRegion(0, 0, 32, 24))
    assert image.size == (32, 24)
    assert valid.all(dim=-1).tolist() == [True, False]
    assert cropped[0, 1].tolist() == [5.0, 5.0, 32.0, 24.0]  # clipped to the region


def test_extra_boxes_follow_the_image_but_do_not_choose_the_crop() -> None:
    transform = build_train_transform(TransformConfig(
        shorter_sides=(48,), max_size=200, eval_shorter_side=48, flip_probability=1.0,
        crop=CropConfig(probability=1.0, pre_crop_shorter_sides=(48,), min_size=16, max_size=24),
    ))
    pair_boxes = torch.tensor([[[0.0, 0.0, 64.0, 48.0], [0.0, 0.0, 64.0, 48.0]]])
    extra = torch.tensor([[0.0, 0.0, 8.0, 6.0], [56.0, 42.0, 64.0, 48.0], [0.0, 0.0, 64.0, 48.0]])
    outcomes = set()
    for seed in range(30):
        generator = torch.Generator().manual_seed(seed)
        out = transform(striped_image(64, 48), pair_boxes, generator, extra_boxes=extra)
        plain = transform(striped_image(64, 48), pair_boxes, torch.Generator().manual_seed(seed))
        assert torch.equal(out.image, plain.image)  # extra boxes draw nothing
        assert torch.equal(out.pair_boxes, plain.pair_boxes) and out.kept_pairs.tolist() == [True]
        assert out.extra_boxes.shape == (3, 4) and plain.extra_boxes.shape == (0, 4)
        assert out.kept_extra[2] and torch.allclose(out.extra_boxes[2], out.pair_boxes[0, 0])
        kept = out.kept_extra[:2].tolist()
        assert kept != [True, True]  # opposite corners never share a 24-pixel window
        for box, keep in zip(out.extra_boxes[:2], kept, strict=True):
            if keep:
                assert box.min() >= 0 and box.max() <= 1 and (box[2:] > 0).all()
        outcomes.add(tuple(kept))
    assert {(False, False), (True, False), (False, True)} <= outcomes


def test_paired_transform_with_crop_keeps_consistent_pairs(demo_source: SceneGraphSource) -> None:
    config = demo_config(demo_source, transform=TransformConfig(
        shorter_sides=(64,), max_size=120, eval_shorter_side=64,
        crop=CropConfig(probability=1.0, pre_crop_shorter_sides=(200,), min_size=60, max_size=90),
    ))
    dataset = build_pretrain_dataset(config)
    cropped_any = cropped_unrelated_any = False
    for index in range(len(dataset)):
        original = dataset.annotations[index]
        sample = dataset[index]
        assert 1 <= sample.num_pairs <= len(original.pairs)
        cropped_any |= sample.num_pairs < len(original.pairs)
        for boxes in (sample.subject_boxes, sample.object_boxes):
            assert boxes.min() >= 0 and boxes.max() <= 1 and (boxes[:, 2:] > 0).all()
        names = {(pair.subject_name, pair.object_name) for pair in original.pairs}
        assert set(zip(sample.subject_names, sample.object_names)) <= names
        unrelated = [entity.name for entity in original.unrelated_entities]
        assert len(sample.unrelated_boxes) == len(sample.unrelated_names) <= len(unrelated)
        assert set(sample.unrelated_names) <= set(unrelated)
        cropped_unrelated_any |= len(sample.unrelated_names) < len(unrelated)
    assert cropped_any and cropped_unrelated_any


def test_flip_mirrors_side_predicates(tmp_path: Path, image_root: Path) -> None:
    record = scene_graph(1, "a.png", (64, 48), [scene_object(1, "man", MAN),
                                                scene_object(2, "horse", HORSE)],
                         [relationship(1, 1, 2, "left of", None)])
    source = SceneGraphSource(write_scene_graphs(tmp_path / "sg", [record]), image_root)
    flip_always = TransformConfig(shorter_sides=(48,), max_size=100, eval_shorter_side=48,
                                  flip_probability=1.0, crop=None)
    sample = build_pretrain_dataset(demo_config(source, transform=flip_always))[0]
    assert sample.predicates == (("right of",),)
    expected = xyxy_to_normalised_cxcywh(torch.tensor([64.0 - 30, 4, 64.0 - 2, 40]), 64, 48)
    assert torch.allclose(sample.subject_boxes[0], expected)


def test_augmentation_is_seeded_per_item_and_epoch(demo_source: SceneGraphSource) -> None:
    first, second = (build_pretrain_dataset(demo_config(demo_source)) for _ in range(2))
    assert torch.equal(first[3].image, second[3].image)
    sizes = set()
    for epoch in range(6):
        first.set_epoch(epoch)
        sizes.add(tuple(first[3].image.shape))
    assert len(sizes) > 1


def test_eval_transform_only_resizes(demo_source: SceneGraphSource) -> None:
    dataset = build_pretrain_dataset(demo_config(demo_source), augment=False)
    sample, annotation = dataset[0], dataset.annotations[0]
    assert min(sample.image.shape[1:]) == 64
    assert sample.num_pairs == len(annotation.pairs)
    expected = torch.tensor(annotation.pairs[0].subject_box) / torch.tensor(
        [annotation.width, annotation.height] * 2)
    expected = torch.cat([(expected[:2] + expected[2:]) / 2, expected[2:] - expected[:2]])
    assert torch.allclose(sample.subject_boxes[0], expected, atol=1e-6)
    assert build_eval_transform(SMALL_TRANSFORM).crop is None
    assert build_train_transform(SMALL_TRANSFORM).shorter_sides == (40, 56, 72)



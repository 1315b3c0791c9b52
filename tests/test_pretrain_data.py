"""Pre-training data: confidence filtering, pairing, paired transforms, label texts, collation."""

import logging
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from PIL import Image
from torch.utils.data import DistributedSampler

import data_schemas as ds
from conftest import write_image
from data_schemas.relation_confidence import keeps_relationship
from model.data import (
    CropConfig,
    CropRegion,
    ImageFileError,
    LabelVocabulary,
    PretrainCollator,
    PretrainDataConfig,
    PretrainSample,
    RelationFilterCounts,
    SceneGraphSource,
    TextSamplingConfig,
    TransformConfig,
    build_data_loader,
    build_eval_transform,
    build_label_vocabulary,
    build_pretrain_collator,
    build_pretrain_dataset,
    build_train_transform,
    crop,
    horizontal_flip,
    image_file_problem,
    image_to_normalised_tensor,
    load_rgb_image,
    mirror_left_right,
    pad_images,
    read_scene_graph_annotations,
    resize,
    resized_size,
    sample_label_texts,
    set_loader_epoch,
    xyxy_to_normalised_cxcywh,
)
from model.data.scene_graph_annotations import STAGE
from model.targets import NO_OBJECT_TEXT, RelationTarget
from pipeline.demo_world import write_demo_world
from pipeline.ingest import ingest_visual_genome_dataset

SMALL_TRANSFORM = TransformConfig(
    shorter_sides=(40, 56, 72),
    max_size=120,
    eval_shorter_side=64,
    crop=CropConfig(probability=0.5, pre_crop_shorter_sides=(96,), min_size=48, max_size=80),
)
SMALL_TEXTS = TextSamplingConfig(total_texts=30)


# --- small hand-made scene graphs ----------------------------------------------------------


def scene_object(entity_id: int, name: str, box: tuple[float, float, float, float]):
    x1, y1, x2, y2 = box
    return ds.SceneGraphObject(
        entity_id=entity_id, category_id=entity_id, category_name=name, x1=x1, y1=y1, x2=x2, y2=y2
    )


def relationship(relationship_id: int, subject: int, object_: int, predicate: str, confidence):
    return ds.SceneGraphRelationship(
        relationship_id=relationship_id,
        subject_entity_id=subject,
        object_entity_id=object_,
        predicate=predicate,
        confidence=confidence,
    )


def scene_graph(image_id: int, file_name: str, size: tuple[int, int], objects, relationships):
    return ds.SceneGraphRecord(
        image_id=image_id,
        dataset="hand",
        split="train",
        file_name=file_name,
        width=size[0],
        height=size[1],
        objects=objects,
        relationships=relationships,
    )


def write_scene_graphs(directory: Path, records: list[ds.SceneGraphRecord]) -> Path:
    return write_scene_graph_rows(directory, [record.model_dump() for record in records])


def write_scene_graph_rows(directory: Path, rows: list[dict]) -> Path:
    """Rows as another tool may write them: not validated by the record type."""
    table = ds.SCENE_GRAPHS.rows_to_arrow(rows)
    ds.write_table_atomic(table, ds.shard_path(directory, 0), ds.SCENE_GRAPHS)
    return directory


MAN, HORSE, HAT = (2, 4, 30, 40), (20, 20, 60, 46), (8, 2, 20, 10)


def mixed_records() -> list[ds.SceneGraphRecord]:
    """Image 1 mixes human and pseudo relations; image 2 has only a weak one; image 3 none."""
    objects = [
        scene_object(1, "man", MAN), scene_object(2, "horse", HORSE), scene_object(3, "hat", HAT)
    ]
    return [
        scene_graph(1, "a.png", (64, 48), objects, [
            relationship(1, 1, 2, "riding", None),
            relationship(2, 1, 3, "wearing", 0.5),
            relationship(3, 2, 3, "near", 0.1),
            relationship(4, 1, 2, "on", 0.2),
            relationship(5, 1, 2, "riding", 0.9),
            relationship(6, 2, 1, "under", None),
        ]),
        scene_graph(2, "b.png", (32, 32), [scene_object(1, "cup", (1, 1, 6, 6)),
                                            scene_object(2, "table", (8, 8, 30, 30))],
                    [relationship(7, 1, 2, "on", 0.19)]),
        scene_graph(3, "c.png", (40, 30), [scene_object(1, "cup", (1, 1, 6, 6))], []),
    ]


@pytest.fixture
def mixed_source(tmp_path: Path, image_root: Path) -> SceneGraphSource:
    table_dir = write_scene_graphs(tmp_path / "scene_graphs", mixed_records())
    return SceneGraphSource(table_dir, image_root)


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> SceneGraphSource:
    """Eight demo-world images ingested as Visual Genome scene graphs (human relations)."""
    root = tmp_path_factory.mktemp("demo-world")
    paths = write_demo_world(root / "world", num_images=8, seed=0)
    ingest_visual_genome_dataset(
        paths.vg_image_data_json,
        relationships_json=paths.vg_relationships_json,
        objects_json=paths.vg_objects_json,
        out_dir=root / "ingested",
        dataset="demo_vg",
        split="train",
    )
    return SceneGraphSource(root / "ingested" / ds.SCENE_GRAPHS.name, paths.images_dir)


def demo_config(source: SceneGraphSource, **overrides) -> PretrainDataConfig:
    settings = {"sources": (source,), "transform": SMALL_TRANSFORM, "text_sampling": SMALL_TEXTS}
    return PretrainDataConfig(**(settings | overrides))


# --- confidence filtering and pairing ------------------------------------------------------


def test_human_relations_always_kept_pseudo_iff_at_threshold() -> None:
    assert keeps_relationship(None, 1.0)
    assert keeps_relationship(0.2, 0.2) and not keeps_relationship(0.19, 0.2)


def test_confidence_filter_and_pair_grouping(mixed_source: SceneGraphSource) -> None:
    reading = read_scene_graph_annotations(mixed_source, relation_threshold=0.2)
    annotations, counts = reading.annotations, reading.counts
    assert [annotation.image_id for annotation in annotations] == [1]  # 2 and 3 dropped
    assert (counts.images_read, counts.images_kept, counts.images_dropped) == (3, 1, 2)
    assert (counts.relations_read, counts.relations_kept) == (7, 5)
    assert counts.relations_below_threshold == 2
    (annotation,) = annotations
    assert annotation.image_path == mixed_source.image_root / "a.png"
    pairs = {(pair.subject_name, pair.object_name): pair for pair in annotation.pairs}
    assert set(pairs) == {("man", "horse"), ("man", "hat"), ("horse", "man")}
    assert pairs["man", "horse"].predicates == ("riding", "on")  # duplicate "riding" counted once
    assert pairs["man", "hat"].predicates == ("wearing",)
    assert pairs["horse", "man"].predicates == ("under",)
    assert pairs["man", "horse"].subject_box == MAN and pairs["man", "horse"].object_box == HORSE
    assert counts.pairs_kept == 3
    assert annotation.unrelated_entities == ()  # man, horse and hat are all related


def test_objects_in_no_kept_relation_are_unrelated_entities(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [
        scene_object(1, "man", MAN), scene_object(2, "horse", HORSE), scene_object(3, "hat", HAT),
        scene_object(4, "man", (40, 30, 50, 46)), scene_object(5, "man", (40, 30, 50, 46)),
        scene_object(6, NO_OBJECT_TEXT, (1, 1, 3, 3)), scene_object(7, "horse", MAN),
    ]
    relationships = [relationship(1, 1, 2, "riding", None), relationship(2, 1, 3, "wearing", 0.1)]
    source = SceneGraphSource(
        write_scene_graphs(tmp_path / "sg", [scene_graph(1, "a.png", (64, 48), objects,
                                                         relationships)]),
        image_root,
    )
    (annotation,) = read_scene_graph_annotations(source, relation_threshold=0.2).annotations
    assert [(entity.name, entity.box) for entity in annotation.unrelated_entities] == [
        ("hat", HAT),  # its relationship is below the threshold
        ("man", (40, 30, 50, 46)),  # once, though annotated twice
        ("horse", MAN),  # the man's box, but another name
    ]  # the object called "no objects" is left out


def test_threshold_zero_keeps_every_image(mixed_source: SceneGraphSource) -> None:
    reading = read_scene_graph_annotations(mixed_source, relation_threshold=0.0)
    annotations, counts = reading.annotations, reading.counts
    assert [annotation.image_id for annotation in annotations] == [1, 2]
    assert counts.relations_below_threshold == 0 and counts.images_dropped == 1


def counts_add_up(counts: RelationFilterCounts) -> bool:
    return (
        counts.images_read == counts.images_kept + counts.images_dropped + counts.images_rejected
        and counts.relations_read
        == counts.relations_kept + counts.relations_below_threshold + counts.relations_rejected
    )


def test_malformed_relationships_are_rejected_and_the_rest_kept(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE),
               scene_object(3, NO_OBJECT_TEXT, HAT), scene_object(4, "No  Objects", HAT)]
    relationships = [
        relationship(1, 1, 2, "riding", None),
        relationship(2, 1, 9, "holding", 0.9),  # entity 9 does not exist
        relationship(3, 3, 2, "on", None),  # subject called "no objects"
        relationship(4, 1, 9, "near", 0.01),  # malformed and below the threshold: rejected
        relationship(5, 2, 1, "under", 0.1),
        relationship(6, 1, 4, "near", None),  # object reserved in another case and spacing
    ]
    row = scene_graph(7, "a.png", (64, 48), objects, []).model_dump()
    row["relationships"] = [r.model_dump() for r in relationships]  # the record type refuses
    source = SceneGraphSource(write_scene_graph_rows(tmp_path / "sg", [row]), image_root)
    reading = read_scene_graph_annotations(source, relation_threshold=0.2)
    (annotation,) = reading.annotations
    assert [(pair.subject_name, pair.object_name, pair.predicates) for pair in annotation.pairs] == [
        ("man", "horse", ("riding",))
    ]
    assert [(r.record_kind, r.record_id, r.image_id, r.reason) for r in reading.rejects] == [
        ("relationship", "2", 7, ds.RejectReason.UNKNOWN_ENTITY),
        ("relationship", "3", 7, ds.RejectReason.RESERVED_NAME),
        ("relationship", "4", 7, ds.RejectReason.UNKNOWN_ENTITY),
        ("relationship", "6", 7, ds.RejectReason.RESERVED_NAME),
    ]
    assert all(r.stage == STAGE and r.source_file == str(source.scene_graphs_dir)
               for r in reading.rejects)
    assert "entity 9" in reading.rejects[0].detail and "subject" in reading.rejects[1].detail
    counts = reading.counts
    assert (counts.relations_kept, counts.relations_below_threshold,
            counts.relations_rejected) == (1, 1, 4)
    assert annotation.unrelated_entities == ()  # neither reserved object is a negative
    assert counts_add_up(counts)


def test_unusable_image_files_are_rejected_with_their_relations(
    tmp_path: Path, image_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = write_image(tmp_path / "outside.png", 64, 48)
    (image_root / "link.png").symlink_to(outside)
    (image_root / "loop.png").symlink_to(image_root / "loop.png")
    (image_root / "text.png").write_text("not an image")
    (image_root / "folder.png").mkdir()
    write_image(image_root / "small.png", 63, 48)
    reasons = {
        "a.png": None,
        "missing.png": ds.RejectReason.MISSING_IMAGE_FILE,
        "../outside.png": ds.RejectReason.PATH_ESCAPES_ROOT,
        "link.png": ds.RejectReason.PATH_ESCAPES_ROOT,
        "loop.png": ds.RejectReason.UNREADABLE_IMAGE,  # the system refuses these three paths
        "x" * 300 + ".png": ds.RejectReason.UNREADABLE_IMAGE,
        "nul\x00.png": ds.RejectReason.UNREADABLE_IMAGE,
        "text.png": ds.RejectReason.UNREADABLE_IMAGE,
        "folder.png": ds.RejectReason.UNREADABLE_IMAGE,
        "small.png": ds.RejectReason.IMAGE_SIZE_MISMATCH,
    }
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE)]
    rows = [
        scene_graph(index, "a.png", (64, 48), objects,
                    [relationship(1, 1, 2, "riding", None), relationship(2, 1, 2, "riding", 0.5),
                     relationship(3, 2, 1, "under", 0.1)]
                    ).model_dump() | {"file_name": name}  # the record type refuses "../"
        for index, name in enumerate(reasons)
    ]
    source = SceneGraphSource(write_scene_graph_rows(tmp_path / "sg", rows), image_root)
    with caplog.at_level(logging.WARNING):
        reading = read_scene_graph_annotations(source, relation_threshold=0.2)
    assert [annotation.image_id for annotation in reading.annotations] == [0]
    assert [(r.record_kind, r.image_id, r.reason) for r in reading.rejects] == [
        ("image", index, reason) for index, reason in enumerate(reasons.values()) if reason
    ]
    assert "63x48" in reading.rejects[-1].detail
    assert "is not a regular file" in reading.rejects[-2].detail
    counts = reading.counts
    assert (counts.images_kept, counts.images_rejected) == (1, 9)
    # each rejected image's two kept relationships (one pair) are rejected; "under" stays below
    assert (counts.relations_kept, counts.relations_rejected, counts.pairs_kept) == (2, 18, 1)
    assert counts.relations_below_threshold == 10
    assert counts_add_up(counts)
    warnings = [record.getMessage() for record in caplog.records]
    assert "set aside image 1 (missing_image_file): " in warnings[0]
    assert sum("(unreadable_image)" in warning for warning in warnings) == 5
    assert "5 unreadable_image rejects in all" not in " ".join(warnings)  # only beyond five


def test_a_source_without_any_usable_image_is_an_input_error(
    tmp_path: Path, image_root: Path
) -> None:
    objects = [scene_object(1, "man", MAN), scene_object(2, "horse", HORSE)]
    record = scene_graph(1, "gone.png", (64, 48), objects, [relationship(1, 1, 2, "on", None)])
    source = SceneGraphSource(write_scene_graphs(tmp_path / "sg", [record]), image_root)
    with pytest.raises(ds.RLIPv2InputError,
                       match=r"none of the 1 images .* \(1 missing_image_file\); is image_root"):
        build_pretrain_dataset(demo_config(source))
    with pytest.raises(ds.RLIPv2InputError, match="is not a directory"):
        build_pretrain_dataset(demo_config(replace(source, image_root=tmp_path / "nowhere")))


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


# --- images --------------------------------------------------------------------------------


def test_unreadable_image_raises_naming_the_file(mixed_source: SceneGraphSource) -> None:
    dataset = build_pretrain_dataset(demo_config(mixed_source))
    image_path = mixed_source.image_root / "a.png"
    image_path.write_bytes(b"not a png")
    with pytest.raises(ImageFileError, match="a.png"):
        dataset[0]
    image_path.unlink()
    with pytest.raises(ImageFileError, match="a.png"):
        dataset[0]
    write_image(image_path, 63, 48)
    with pytest.raises(ImageFileError, match="63x48 pixels"):
        dataset[0]


def write_decompression_bomb(path: Path) -> Path:
    """A PNG whose header claims 20000x20000 pixels: Pillow refuses it with
    ``DecompressionBombError``, which is not an ``OSError``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


def test_a_decompression_bomb_is_an_unreadable_image(tmp_path: Path) -> None:
    bomb = write_decompression_bomb(tmp_path / "bomb.png")
    problem = image_file_problem(bomb, image_root=tmp_path.resolve(), expected_size=(64, 48))
    assert problem is not None and problem.reason == ds.RejectReason.UNREADABLE_IMAGE
    assert "DecompressionBombError" in problem.detail
    with pytest.raises(ImageFileError, match="bomb.png"):
        load_rgb_image(bomb, expected_size=(64, 48))


def test_sample_is_lazy_rgb_with_absolute_boxes(mixed_source: SceneGraphSource) -> None:
    dataset = build_pretrain_dataset(demo_config(mixed_source))
    sample = dataset.load_sample(0)
    assert sample.image.mode == "RGB" and sample.image.size == (64, 48)
    pair_boxes = sample.pair_boxes()
    assert pair_boxes.shape == (3, 2, 4)
    assert pair_boxes[0].tolist() == [list(MAN), list(HORSE)]


# --- transforms ----------------------------------------------------------------------------


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


# --- label texts ---------------------------------------------------------------------------


VOCABULARY = LabelVocabulary(
    entity_counts=(("person", 10_000),) + tuple((f"thing {index}", 1) for index in range(20)),
    relation_counts=(("on", 5_000), ("holding", 3), ("riding", 2), ("near", 1)),
)


def test_label_texts_union_then_negatives_then_no_objects() -> None:
    texts = sample_label_texts(
        ["thing 3", "thing 5", "thing 3"], ["riding", "riding"],
        vocabulary=VOCABULARY, config=TextSamplingConfig(total_texts=9),
        generator=torch.Generator().manual_seed(0),
    )
    assert texts.entity_texts[:2] == ("thing 3", "thing 5")
    assert len(texts.entity_texts) == 6 + 1 and texts.entity_texts[-1] == NO_OBJECT_TEXT
    assert texts.relation_texts[0] == "riding" and len(texts.relation_texts) == 3
    assert len(set(texts.entity_texts)) == len(texts.entity_texts)
    assert len(set(texts.relation_texts)) == len(texts.relation_texts)


def test_negatives_follow_frequency_and_seed() -> None:
    def draw(seed: int, strategy: str = "frequency"):
        return sample_label_texts(
            ["thing 0"], ["riding"], vocabulary=VOCABULARY,
            config=TextSamplingConfig(total_texts=4, negative_sampling=strategy),
            generator=torch.Generator().manual_seed(seed),
        )

    draws = [draw(seed) for seed in range(40)]
    assert sum(texts.entity_texts[1] == "person" for texts in draws) >= 38
    assert sum(texts.relation_texts[1] == "on" for texts in draws) >= 38
    assert draw(7) == draw(7)
    assert len({draw(seed, "uniform").entity_texts for seed in range(10)}) > 1


def test_batch_texts_beyond_the_budget_are_all_kept() -> None:
    names = [f"thing {index}" for index in range(12)]
    texts = sample_label_texts(names, ["on"], vocabulary=VOCABULARY,
                               config=TextSamplingConfig(total_texts=6),
                               generator=torch.Generator().manual_seed(0))
    assert texts.entity_texts == tuple(names) + (NO_OBJECT_TEXT,)
    assert texts.relation_texts[0] == "on" and len(texts.relation_texts) == 2


def test_vocabulary_counts_entities_and_predicates(mixed_source: SceneGraphSource) -> None:
    annotations = read_scene_graph_annotations(mixed_source, relation_threshold=0.0).annotations
    vocabulary = build_label_vocabulary(annotations)
    assert dict(vocabulary.entity_counts) == {"man": 1, "horse": 1, "hat": 1, "cup": 1, "table": 1}
    assert vocabulary.relation_counts[0] == ("on", 2)
    assert vocabulary.relation_names == ("on", "near", "riding", "under", "wearing")


# --- collation -----------------------------------------------------------------------------


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

"""Image files of training data: header checks, decoding, lazy samples."""

import pickle
import struct
import zlib
from pathlib import Path

import pytest

import data_schemas as ds
from conftest import write_image
from model.data import (
    ImageFileError,
    SceneGraphSource,
    build_pretrain_dataset,
    image_file_problem,
    load_rgb_image,
)
from scene_graph_tables import HORSE, MAN, demo_config


def test_unreadable_image_raises_naming_the_file_and_the_reason(
    mixed_source: SceneGraphSource,
) -> None:
    dataset = build_pretrain_dataset(demo_config(mixed_source))
    image_path = mixed_source.image_root / "a.png"
    image_path.write_bytes(b"not a png")
    with pytest.raises(ImageFileError, match="a.png") as unreadable:
        dataset[0]
    assert unreadable.value.reason == ds.RejectReason.UNREADABLE_IMAGE
    image_path.unlink()
    with pytest.raises(ImageFileError, match="a.png") as missing:
        dataset[0]
    assert missing.value.reason == ds.RejectReason.MISSING_IMAGE_FILE
    write_image(image_path, 63, 48)
    with pytest.raises(ImageFileError, match="63x48 pixels but its record says 64x48") as resized:
        dataset[0]
    assert resized.value.reason == ds.RejectReason.IMAGE_SIZE_MISMATCH


def test_loading_an_image_outside_its_root_or_a_directory_says_why(tmp_path: Path) -> None:
    root = tmp_path / "images"
    outside = write_image(tmp_path / "outside.png", 64, 48)
    (root / "link.png").parent.mkdir()
    (root / "link.png").symlink_to(outside)
    with pytest.raises(ImageFileError, match="outside the image root") as escapes:
        load_rgb_image(root / "link.png", image_root=root, expected_size=(64, 48))
    assert escapes.value.reason == ds.RejectReason.PATH_ESCAPES_ROOT
    (root / "folder.png").mkdir()
    with pytest.raises(ImageFileError, match="not a regular file") as folder:
        load_rgb_image(root / "folder.png", image_root=root, expected_size=(64, 48))
    assert folder.value.reason == ds.RejectReason.UNREADABLE_IMAGE
    assert load_rgb_image(outside, image_root=tmp_path, expected_size=(64, 48)).size == (64, 48)


def test_an_image_file_error_is_an_input_error_and_survives_being_rebuilt() -> None:
    error = ImageFileError("x.png does not exist", reason=ds.RejectReason.MISSING_IMAGE_FILE)
    assert isinstance(error, ds.RLIPv2InputError)
    copied = pickle.loads(pickle.dumps(error))
    assert (str(copied), copied.reason) == ("x.png does not exist", error.reason)
    # a DataLoader worker re-raises it from its message alone
    assert ImageFileError("message").reason == ds.RejectReason.UNREADABLE_IMAGE


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
    with pytest.raises(ImageFileError, match="bomb.png") as loading:
        load_rgb_image(bomb, image_root=tmp_path, expected_size=(64, 48))
    assert loading.value.reason == ds.RejectReason.UNREADABLE_IMAGE


def test_sample_is_lazy_rgb_with_absolute_boxes(mixed_source: SceneGraphSource) -> None:
    dataset = build_pretrain_dataset(demo_config(mixed_source))
    sample = dataset.load_sample(0)
    assert sample.image.mode == "RGB" and sample.image.size == (64, 48)
    pair_boxes = sample.pair_boxes()
    assert pair_boxes.shape == (3, 2, 4)
    assert pair_boxes[0].tolist() == [list(MAN), list(HORSE)]



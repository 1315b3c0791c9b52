"""Image files of training data: header checks, decoding, lazy samples."""

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



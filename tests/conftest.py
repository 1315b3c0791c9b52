"""Shared test helpers: small dataset files written by the tests themselves."""

import json
from pathlib import Path

import pytest
from PIL import Image

from tiny_blip import save_tiny_blip


def write_json(path: Path, payload: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


def write_image(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (120, 30, 200)).save(path)
    return path


@pytest.fixture
def image_root(tmp_path: Path) -> Path:
    """An image root with three real images: a.png (64x48), b.png (32x32), c.png (40x30)."""
    root = tmp_path / "images"
    write_image(root / "a.png", 64, 48)
    write_image(root / "b.png", 32, 32)
    write_image(root / "c.png", 40, 30)
    return root


@pytest.fixture(scope="session")
def tiny_blip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BLIP (hidden 32, 2 layers, 32x32 images) with a real BERT tokenizer."""
    return save_tiny_blip(tmp_path_factory.mktemp("tiny-blip"))

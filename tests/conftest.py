"""Shared test helpers: small dataset files written by the tests themselves, scene-graph
sources for training (:mod:`scene_graph_tables`), the session's labelling world
(:mod:`labelling_world`) and its temporary Prefect server."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from labelling_world import LabellingWorld, build_labelling_world
from model.data import SceneGraphSource
from scene_graph_tables import ingest_demo_source, mixed_records, write_scene_graphs
from tiny_blip import save_tiny_blip

SLOW_FIXTURES = frozenset({"labelling_world", "prefect_harness"})
"""Fixtures that make a test slow: the labelling world trains a tagger and runs the whole dataset
once a session, the Prefect server takes 20 s to start."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs a fixture of :data:`SLOW_FIXTURES`, directly or not."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def error_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The failed commands' log files (``flows.error_log``) go to a temporary state home, for
    this process and the commands it starts, never to the user's."""
    state_home = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(state_home))
        yield state_home / "rlipv2" / "logs"


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


@pytest.fixture
def mixed_source(tmp_path: Path, image_root: Path) -> SceneGraphSource:
    """The scene graphs of :func:`scene_graph_tables.mixed_records` over ``image_root``."""
    table_dir = write_scene_graphs(tmp_path / "scene_graphs", mixed_records())
    return SceneGraphSource(table_dir, image_root)


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> SceneGraphSource:
    """Eight demo-world images ingested as Visual Genome scene graphs (human relations)."""
    return ingest_demo_source(tmp_path_factory.mktemp("demo-world"), num_images=8, seed=0)


@pytest.fixture(scope="session")
def tiny_blip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BLIP (hidden 32, 2 layers, 32x32 images) with a real BERT tokenizer."""
    return save_tiny_blip(tmp_path_factory.mktemp("tiny-blip"))


@pytest.fixture(scope="session")
def labelling_world(tmp_path_factory: pytest.TempPathFactory) -> LabellingWorld:
    """The small labelling world of :mod:`labelling_world` (tests must not change it)."""
    return build_labelling_world(tmp_path_factory.mktemp("labelling-world"))


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect server and database for the session, with analytics off, no
    PREFECT_API_URL from the environment and a temporary PREFECT_HOME. The server takes seconds
    to start, over 30 (Prefect's default wait) on a busy 2-core machine: it gets 180."""
    home = tmp_path_factory.mktemp("prefect-home")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("PREFECT_HOME", str(home))
        environment.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        environment.delenv("PREFECT_API_URL", raising=False)
        from prefect.settings import (
            PREFECT_HOME,
            PREFECT_SERVER_ANALYTICS_ENABLED,
            temporary_settings,
        )
        from prefect.testing.utilities import prefect_test_harness

        settings = {PREFECT_HOME: home, PREFECT_SERVER_ANALYTICS_ENABLED: False}
        with temporary_settings(updates=settings), prefect_test_harness(server_startup_timeout=180):
            yield

"""Pictures of a run's images: one scene graph, or a contact sheet of several.

Images are found under the image root recorded when the run's dataset was ingested (or the one
given), entities and relations in the run's tables (see :mod:`inspection.image_detail`).
"""

import math
import random
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from data_schemas.errors import RLIPv2InputError
from data_schemas.images import IMAGES
from data_schemas.relation_confidence import check_relation_threshold, keeps_relationship
from data_schemas.scene_graphs import SCENE_GRAPHS
from inspection.image_detail import image_detail_in_run
from inspection.located_output import locate_output
from inspection.run_directory import RunDirectory
from inspection.scene_graph_picture import render_scene_graph

DEFAULT_TILE_SIZE = 360
"""Contact-sheet tiles are squares of this many pixels (plus a caption line)."""
SHEET_BACKGROUND = (40, 40, 40)
CAPTION_FONT_SIZE = 14


def render_run_image(
    run_dir: Path,
    image_id: int,
    *,
    min_confidence: float = 0.0,
    image_root: Path | None = None,
    dataset_dir: Path | None = None,
) -> Image.Image:
    """The scene graph of image ``image_id`` of the run ``run_dir`` (a run directory or one of
    its tables) drawn over the image, with relations kept at ``min_confidence``.

    ``image_root`` defaults to the one recorded at ingest; ``dataset_dir`` replaces the dataset
    the run's manifest names.

    Raises:
        RLIPv2InputError: ``image_id`` is not in the run, the run has no images table, no image
            root is known, or the image file is missing or unreadable.
    """
    run = locate_output(run_dir, dataset_dir=dataset_dir).run
    return _render(run, run_dir, image_id, min_confidence, image_root)[0]


def render_contact_sheet(
    run_dir: Path,
    image_ids: Sequence[int],
    *,
    min_confidence: float = 0.0,
    image_root: Path | None = None,
    dataset_dir: Path | None = None,
    columns: int | None = None,
    tile_size: int = DEFAULT_TILE_SIZE,
) -> Image.Image:
    """The scene graphs of ``image_ids`` (see :func:`render_run_image`) scaled to fit square
    tiles of ``tile_size`` px, ``columns`` per row (default: a near-square grid), each captioned
    with its image id and number of relations drawn.

    Raises:
        RLIPv2InputError: as :func:`render_run_image`.
        ValueError: no image ids, or ``columns``/``tile_size`` < 1.
    """
    if not image_ids:
        raise ValueError("a contact sheet needs at least one image id")
    columns = columns or math.ceil(math.sqrt(len(image_ids)))
    if columns < 1 or tile_size < 1:
        raise ValueError(f"columns and tile_size must be >= 1, got {columns}, {tile_size}")
    run = locate_output(run_dir, dataset_dir=dataset_dir).run
    font = ImageFont.load_default(size=CAPTION_FONT_SIZE)
    caption_height = CAPTION_FONT_SIZE + 8
    rows = -(-len(image_ids) // columns)
    sheet = Image.new(
        "RGB", (columns * tile_size, rows * (tile_size + caption_height)), SHEET_BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    for index, image_id in enumerate(image_ids):
        picture, relations = _render(run, run_dir, image_id, min_confidence, image_root)
        scale = tile_size / max(picture.size)
        picture = picture.resize(
            (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
            Image.Resampling.LANCZOS,
        )
        left = (index % columns) * tile_size
        top = (index // columns) * (tile_size + caption_height)
        sheet.paste(
            picture,
            (left + (tile_size - picture.width) // 2, top + (tile_size - picture.height) // 2),
        )
        draw.text(
            (left + 4, top + tile_size + 3),
            f"image {image_id}: {relations} relation{'s' if relations != 1 else ''}",
            font=font,
            fill=(235, 235, 235),
        )
    return sheet


def sample_image_ids(
    run_dir: Path,
    count: int,
    *,
    seed: int,
    dataset_dir: Path | None = None,
    among: Collection[int] | None = None,
) -> list[int]:
    """``count`` image ids drawn at random (by ``seed``) from ``among`` when given, else from
    the run's scene graphs (else its images), ascending; all of them when there are fewer.

    Raises:
        RLIPv2InputError: the run has neither a scene_graphs nor an images table.
        ValueError: ``count`` < 1.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if among is None:
        run = locate_output(run_dir, dataset_dir=dataset_dir).run
        table = run.find(SCENE_GRAPHS) or run.require(IMAGES, purpose="choosing images at random")
        # Sorted unique ids as one numpy array, not a Python int per image (1.7M for
        # Objects365); drawing positions draws what sampling the ids themselves would.
        image_ids = np.unique(table.read(["image_id"])["image_id"].to_numpy())
    else:
        image_ids = np.unique(np.fromiter(among, dtype=np.int64))
    drawn = random.Random(seed).sample(range(len(image_ids)), min(count, len(image_ids)))
    return sorted(image_ids[drawn].tolist())


def image_ids_with_relations(
    run_dir: Path, min_confidence: float, *, dataset_dir: Path | None = None
) -> list[int]:
    """The ids of the run's scene graphs that keep a relation at ``min_confidence``, ascending
    (none when the run has no scene graphs).

    Raises:
        RLIPv2InputError: ``run_dir`` is not a pipeline output.
    """
    check_relation_threshold(min_confidence)
    table = locate_output(run_dir, dataset_dir=dataset_dir).run.find(SCENE_GRAPHS)
    if table is None:
        return []
    rows = table.read(["image_id", "relationships"]).to_pylist()
    return sorted(
        row["image_id"]
        for row in rows
        if any(
            keeps_relationship(relation["confidence"], min_confidence)
            for relation in row["relationships"]
        )
    )


def _render(
    run: RunDirectory,
    run_dir: Path,
    image_id: int,
    min_confidence: float,
    image_root: Path | None,
) -> tuple[Image.Image, int]:
    """The picture of ``image_id`` and the number of relations drawn in it."""
    check_relation_threshold(min_confidence)
    detail = image_detail_in_run(run, image_id, min_confidence=min_confidence, path=run_dir)
    if detail.image is None:
        raise RLIPv2InputError(
            f"image {image_id} has rows in {run_dir} but no images or scene_graphs row, so its "
            "file is unknown (rejected at ingest?); run `rlipv2 inspect` with --image-id to see why"
        )
    root = image_root if image_root is not None else run.image_root()
    picture = render_scene_graph(
        root / detail.image.file_name, detail.entities, detail.kept_relations
    )
    return picture, len(detail.kept_relations)

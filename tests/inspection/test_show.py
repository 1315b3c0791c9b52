"""``rlipv2 show``: scene-graph pictures are PNGs of the image's size with boxes, labels and
relation arrows drawn; contact sheets tile several; bad input is a clear error."""

import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import data_schemas as ds
from data_schemas.label_run_manifest import LabelRunManifest
from data_schemas.manifest_file import write_manifest
from flows.cli import main
from inspection import (
    render_contact_sheet,
    render_run_image,
    render_scene_graph,
    sample_image_ids,
)
from inspection.run_pictures import DEFAULT_TILE_SIZE, image_ids_with_relations
from inspection.scene_graph_picture import BOX_COLORS, _category_color
from label_run import LabelRun, shared_label_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    return shared_label_run(tmp_path_factory)


def image_row(run: LabelRun, image_id: int) -> dict:
    [row] = pq.read_table(
        run.dataset_dir / "images", filters=[("image_id", "=", image_id)]
    ).to_pylist()
    return row


def changed_pixels(first: Image.Image, second: Image.Image) -> int:
    difference = np.asarray(first, dtype=np.int16) - np.asarray(second, dtype=np.int16)
    return int(np.count_nonzero(np.abs(difference).sum(axis=2)))


# --- one scene graph, drawn from records -----------------------------------------------------


def hand_made(tmp_path: Path) -> tuple[Path, list[ds.EntityRecord]]:
    path = tmp_path / "grey.png"
    Image.new("RGB", (200, 120), (128, 128, 128)).save(path)
    entities = [
        ds.EntityRecord(entity_id=1, image_id=1, category_id=1, category_name="person",
                        x1=10, y1=30, x2=50, y2=110),
        ds.EntityRecord(entity_id=2, image_id=1, category_id=2, category_name="horse",
                        x1=130, y1=40, x2=190, y2=110),
    ]
    return path, entities


def relationship(predicate: str, confidence: float | None) -> ds.SceneGraphRelationship:
    return ds.SceneGraphRelationship(
        relationship_id=1, subject_entity_id=1, object_entity_id=2, predicate=predicate,
        confidence=confidence,
    )


def test_boxes_take_their_category_colour_and_arrows_join_the_boxes(tmp_path: Path) -> None:
    path, entities = hand_made(tmp_path)
    plain = render_scene_graph(path, entities, [])
    assert plain.size == (200, 120) and plain.mode == "RGB"
    pixels = np.asarray(plain)
    # the left edge of the person box, below its label
    assert tuple(pixels[90, 10]) == _category_color("person") in BOX_COLORS
    assert tuple(pixels[90, 130]) == _category_color("horse")
    between = (slice(60, 90), slice(55, 125))  # between the boxes, where only an arrow goes
    assert (np.asarray(plain)[between] == 128).all()

    with_relation = render_scene_graph(path, entities, [relationship("riding", 0.83)])
    assert (np.asarray(with_relation)[between] != 128).any()
    assert changed_pixels(plain, with_relation) > 200


def test_relations_below_the_cut_are_not_drawn_human_ones_always(tmp_path: Path) -> None:
    path, entities = hand_made(tmp_path)
    plain = render_scene_graph(path, entities, [])
    weak = render_scene_graph(path, entities, [relationship("riding", 0.1)], min_confidence=0.2)
    assert changed_pixels(plain, weak) == 0
    human = render_scene_graph(path, entities, [relationship("riding", None)], min_confidence=1.0)
    assert changed_pixels(plain, human) > 0


def test_missing_or_broken_image_file_is_a_clear_error(tmp_path: Path) -> None:
    _, entities = hand_made(tmp_path)
    with pytest.raises(ds.RLIPv2InputError, match="does not exist; pass --image-root"):
        render_scene_graph(tmp_path / "nope.png", entities, [])
    broken = tmp_path / "broken.png"
    broken.write_text("not a png")
    with pytest.raises(ds.RLIPv2InputError, match="not a readable image"):
        render_scene_graph(broken, entities, [])


# --- pictures of a run -----------------------------------------------------------------------


def test_run_image_has_the_image_size_and_draws_its_relations(run: LabelRun) -> None:
    image_id = 4
    row = image_row(run, image_id)
    original = Image.open(run.images_dir / row["file_name"]).convert("RGB")
    boxes_only = render_run_image(run.label_dir, image_id, min_confidence=1.0)
    drawn = render_run_image(run.label_dir, image_id)
    assert drawn.size == boxes_only.size == (row["width"], row["height"])
    assert changed_pixels(original, boxes_only) > 500  # boxes and labels
    assert changed_pixels(boxes_only, drawn) > 500  # relation arrows and labels


def test_show_command_writes_a_png_of_the_image_size(run: LabelRun, tmp_path: Path, capsys) -> None:
    out = tmp_path / "image.png"
    assert main(["show", str(run.label_dir), "--image-id", "6", "-o", str(out),
                 "--min-confidence", "0.2"]) == 0
    assert str(out) in capsys.readouterr().out
    with Image.open(out) as picture:
        assert picture.format == "PNG"
        row = image_row(run, 6)
        assert picture.size == (row["width"], row["height"])
        assert picture.getextrema() != ((0, 0), (0, 0), (0, 0))


def test_contact_sheet_tiles_the_images(run: LabelRun, tmp_path: Path) -> None:
    sheet = render_contact_sheet(run.label_dir, [1, 2, 3], columns=2, tile_size=100)
    caption_height = sheet.height // 2 - 100
    assert sheet.size == (200, 2 * (100 + caption_height)) and caption_height > 0
    tile = np.asarray(sheet)[:100, :100]
    assert len(np.unique(tile.reshape(-1, 3), axis=0)) > 10  # a picture, not the background

    out = tmp_path / "sheet.png"
    assert main(["show", str(run.label_dir), "--random", "4", "--seed", "1", "-o", str(out),
                 "--tile-size", "120"]) == 0
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.width == 2 * 120


def test_sample_image_ids_are_a_seeded_subset_of_the_scene_graphs(run: LabelRun) -> None:
    first = sample_image_ids(run.label_dir, 4, seed=3)
    assert first == sample_image_ids(run.label_dir, 4, seed=3) == sorted(first)
    scene_graph_ids = set(
        pq.read_table(run.label_dir / "scene_graphs", columns=["image_id"])["image_id"].to_pylist()
    )
    assert len(set(first)) == 4 and set(first) <= scene_graph_ids
    assert set(sample_image_ids(run.label_dir, 1000, seed=0)) == scene_graph_ids


def test_unknown_image_and_lost_dataset_are_clear_errors(run: LabelRun, tmp_path: Path) -> None:
    with pytest.raises(ds.RLIPv2InputError, match=rf"image id 4242 is not in {run.label_dir}"):
        render_run_image(run.label_dir, 4242)
    moved = tmp_path / "moved"
    shutil.copytree(run.label_dir, moved)
    write_manifest(moved, LabelRunManifest(dataset=Path("nowhere/coco"), plan={}, summary={}))
    with pytest.raises(ds.RLIPv2InputError, match="'nowhere/coco'.*pass --dataset"):
        render_run_image(moved, 4)
    assert render_run_image(moved, 4, dataset_dir=run.dataset_dir).size == render_run_image(
        run.label_dir, 4
    ).size


def test_show_command_errors_are_one_line(run: LabelRun, tmp_path: Path, capsys) -> None:
    out = tmp_path / "x.png"
    assert main(["show", str(run.label_dir), "--image-id", "4242", "-o", str(out)]) == 2
    assert "rlipv2: error: image id 4242" in capsys.readouterr().err
    (tmp_path / "no-images").mkdir()
    assert main(["show", str(run.label_dir), "--image-id", "4", "-o", str(out),
                 "--image-root", str(tmp_path / "no-images")]) == 2
    assert "does not exist; pass --image-root" in capsys.readouterr().err
    assert not out.exists()
    assert main(["show", str(run.label_dir), "--random", "2", "-o", str(out), "--tile-size",
                 str(DEFAULT_TILE_SIZE // 4)]) == 0


def test_images_with_relations_at_a_cut_and_a_sample_among_them(run: LabelRun) -> None:
    confidences = {
        row["image_id"]: [relation["confidence"] for relation in row["relationships"]]
        for row in pq.read_table(run.label_dir / "scene_graphs").to_pylist()
    }
    cut = sorted(c for values in confidences.values() for c in values)[-3]  # the top three
    expected = sorted(
        image for image, values in confidences.items() if max(values, default=0) >= cut
    )
    assert image_ids_with_relations(run.label_dir, cut) == expected and expected
    top = max(c for values in confidences.values() for c in values)
    assert image_ids_with_relations(run.label_dir, top) == sorted(
        image for image, values in confidences.items() if top in values
    )
    sample = sample_image_ids(run.label_dir, 2, seed=0, among=expected)
    assert set(sample) <= set(expected) and len(sample) == min(2, len(expected))

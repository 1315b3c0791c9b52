"""``export --to paper-json`` against the rules by which the official loader
(``datasets/mixed_dataset.py`` of JacobYuan7/RLIPv2, ``MixedRelDetection``) reads a record:
where it opens the image, how it resolves object ids and names, and which relations its
confidence cut keeps. The rules are restated here from that code, not imported."""

import json
from pathlib import Path

import pytest

import data_schemas as ds
from export import PaperDataset, PaperJsonExport, export_run, paper_dataset_of
from scene_graph_tables import relationship, scene_graph, scene_object, write_scene_graphs

PRETRAINING_CUT = 0.2  # --relation_threshold of the released pretraining scripts


def official_image_path(
    record: dict, *, coco_folder: Path, o365_folder: Path, vg_folder: Path
) -> Path:
    """The file the official loader opens for ``record``."""
    if "dataset" not in record:
        return vg_folder / f"{record['image_id']}.jpg"
    if record["dataset"] == "coco2017":
        name = str(record["image_id"]).zfill(12) + ".jpg"
        return coco_folder / record.get("data_split", "train2017") / name
    if record["dataset"] == "o365":
        paths = json.loads((o365_folder / "image_id_to_filepath.json").read_text())
        return o365_folder / paths[str(record["image_id"])]
    raise AssertionError(f"the official loader opens no image for dataset {record['dataset']!r}")


def official_relations(record: dict) -> list[tuple[int, int, str]]:
    """(subject index, object index, predicate) the loader keeps: ids resolved to positions in
    ``objects``, pseudo-labels (with ``confidence``) cut at the pretraining threshold."""
    local = {item["object_id"]: index for index, item in enumerate(record["objects"])}
    return [
        (local[item["subject_id"]], local[item["object_id"]], item["predicate"])
        for item in record["relationships"]
        if "confidence" not in item or item["confidence"] >= PRETRAINING_CUT
    ]


def records_of(dataset: str, file_names: dict[int, str]) -> list[ds.SceneGraphRecord]:
    objects = [
        scene_object(1, "person", (2, 4, 30, 40)), scene_object(2, "horse", (20, 20, 60, 46))
    ]
    relationships = [
        relationship(1, 1, 2, "riding", 0.9),
        relationship(2, 1, 2, "near", 0.1),
        relationship(3, 2, 1, "under", None),
    ]
    return [
        scene_graph(image_id, file_name, (64, 48), objects, relationships).model_copy(
            update={"dataset": dataset}
        )
        for image_id, file_name in file_names.items()
    ]


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("dataset", "file_names", "image_folder"),
    [
        ("coco2017", {139: "000000000139.jpg", 285: "000000000285.jpg"}, "val2017"),
        ("coco", {139: "train2017/000000000139.jpg"}, None),
        ("vg", {2409818: "VG_100K/2409818.jpg", 7: "7.jpg"}, None),
        ("objects365", {5: "patch0/objects365_v1_00000005.jpg"}, "train"),
    ],
)
def test_the_official_loader_finds_every_image_and_relation(
    tmp_path: Path, dataset: str, file_names: dict[int, str], image_folder: str | None
) -> None:
    table = write_scene_graphs(tmp_path / "run" / "scene_graphs", records_of(dataset, file_names))
    out = tmp_path / "labels.json"
    export_run(table, out, PaperJsonExport(image_folder=image_folder), min_confidence=0.05)
    folders = {name: tmp_path / name for name in ("coco_folder", "o365_folder", "vg_folder")}
    official = paper_dataset_of(dataset)
    for image_id, file_name in file_names.items():  # lay the images out as the paper's README
        if official is PaperDataset.COCO2017:
            touch(folders["coco_folder"] / (image_folder or "") / file_name)
        elif official is PaperDataset.VISUAL_GENOME:
            touch(folders["vg_folder"] / f"{image_id}.jpg")
        else:
            touch(folders["o365_folder"] / image_folder / file_name)
            paths = {str(image_id): f"{image_folder}/{file_name}"}
            (folders["o365_folder"] / "image_id_to_filepath.json").write_text(json.dumps(paths))
    records = json.loads(out.read_text())
    assert [record["image_id"] for record in records] == list(file_names)  # table order
    for record in records:
        assert official_image_path(record, **folders).is_file()
        assert all(isinstance(item["names"], str) for item in record["objects"])
        assert official_relations(record) == [(0, 1, "riding"), (1, 0, "under")]
        if official is PaperDataset.O365:
            assert record["data_split"] == "train"


def test_unknown_names_and_misnamed_files_are_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "labels.json"
    table = write_scene_graphs(tmp_path / "a" / "scene_graphs", records_of("coco", {1: "x.jpg"}))
    with pytest.raises(ds.RLIPv2InputError, match=r"loader opens coco2017 image 1 as '0+1\.jpg'"):
        export_run(table, out, PaperJsonExport(image_folder="train2017"))
    table = write_scene_graphs(
        tmp_path / "b" / "scene_graphs", records_of("coco", {1: "000000000001.jpg"})
    )
    with pytest.raises(ds.RLIPv2InputError, match="pass --image-folder"):
        export_run(table, out, PaperJsonExport())
    table = write_scene_graphs(tmp_path / "c" / "scene_graphs", records_of("hand", {1: "1.jpg"}))
    with pytest.raises(ds.RLIPv2InputError, match="pass --paper-dataset"):
        export_run(table, out, PaperJsonExport())
    export_run(table, out, PaperJsonExport(dataset=PaperDataset.VISUAL_GENOME))
    assert [set(record) for record in json.loads(out.read_text())] == [
        {"image_id", "objects", "relationships"}
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "b", "c", "labels.json"]

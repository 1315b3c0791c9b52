"""``export --to coco`` loads in pycocotools with the run's boxes and relations;
``export --to hico-det`` comes back through ``rlipv2 ingest hico-det`` as the same relations."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pycocotools.coco import COCO

import data_schemas as ds
from export import CocoJsonExport, HoiJsonExport, export_run
from flows.cli import main
from inspection.run_comparison import compare_runs
from label_run import LabelRun, shared_label_run
from scene_graph_tables import relationship, scene_graph, scene_object, write_scene_graphs

CUT = 0.3


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    return shared_label_run(tmp_path_factory)


def kept_graphs(run: LabelRun) -> list[dict]:
    return pq.read_table(run.label_dir / "scene_graphs").to_pylist()


def test_coco_json_loads_in_pycocotools_with_relations(run: LabelRun, tmp_path: Path) -> None:
    out = tmp_path / "labels_coco.json"
    export_run(run.label_dir, out, CocoJsonExport(), min_confidence=CUT)
    coco = COCO(str(out))
    graphs = kept_graphs(run)
    assert sorted(coco.getImgIds()) == sorted(graph["image_id"] for graph in graphs)
    payload = json.loads(out.read_text())
    predicate_names = {item["id"]: item["name"] for item in payload["predicates"]}
    for graph in graphs:
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=[graph["image_id"]]))
        boxes = {
            item["id"]: (coco.loadCats(item["category_id"])[0]["name"], item["bbox"])
            for item in annotations
        }
        assert boxes == {
            item["entity_id"]: (item["category_name"], pytest.approx(
                [item["x1"], item["y1"], item["x2"] - item["x1"], item["y2"] - item["y1"]]))
            for item in graph["objects"]
        }
        relations = {
            (item["subject_id"], item["object_id"], predicate_names[item["predicate_id"]]):
            item.get("confidence")
            for item in payload["relations"] if item["image_id"] == graph["image_id"]
        }
        assert relations == {
            (item["subject_entity_id"], item["object_entity_id"], item["predicate"]):
            item["confidence"]
            for item in graph["relationships"] if item["confidence"] >= CUT
        }


def test_hico_det_layout_round_trips_through_the_hico_det_ingest(
    run: LabelRun, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "hoi"
    assert main(["export", str(run.label_dir), "--to", "hico-det", "-o", str(out),
                 "--min-confidence", str(CUT)]) == 0
    assert (out / "images" / "train2015").resolve() == run.images_dir.resolve()
    ingested = tmp_path / "ingested"
    assert main(["ingest", "hico-det", str(out), "--out", str(ingested), "--vocabulary",
                 str(out / "annotations" / "vocabulary.json")]) == 0
    relations = [
        row for split in ("train", "test")
        for row in pq.read_table(ingested / split / "relations").to_pylist()
    ]
    confidences = sorted(row["confidence"] for row in relations)
    assert confidences == pytest.approx(sorted(
        item["confidence"] for graph in kept_graphs(run) for item in graph["relationships"]
        if item["confidence"] >= CUT
    ))  # pseudo-labels stay pseudo
    capsys.readouterr()
    shared = 0
    for split in ("train", "test"):
        comparison = compare_runs(
            run.label_dir, ingested / split, cuts=(CUT,), iou_threshold=0.99
        )
        [cut] = comparison.cuts
        assert cut.relations_a == cut.relations_b == cut.relations_matched > 0
        shared += comparison.shared_images
    assert shared == len(kept_graphs(run))


def test_hico_det_layout_needs_file_names_ending_in_the_image_id(tmp_path: Path) -> None:
    graph = scene_graph(7, "photo.jpg", (64, 48), [scene_object(1, "person", (1, 1, 9, 9)),
                                                  scene_object(2, "horse", (5, 5, 30, 30))],
                        [relationship(1, 1, 2, "riding", 0.9)])
    table = write_scene_graphs(tmp_path / "run" / "scene_graphs", [graph])
    with pytest.raises(ds.RLIPv2InputError, match="number ending its file name"):
        export_run(table, tmp_path / "hoi", HoiJsonExport())
    assert not (tmp_path / "hoi").exists()

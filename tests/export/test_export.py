"""``rlipv2 export``: each format round-trips: paper JSON and Label Studio tasks parse back to the
scene graphs (cut at the confidence), and Visual Genome JSON is ingested back by rlipv2."""

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from export import (
    LabelStudioExport,
    PaperDataset,
    PaperJsonExport,
    VisualGenomeExport,
    export_run,
)
from export.label_studio import CONFIG_FILE, LOCAL_FILES_PREFIX, TASKS_FILE
from flows.cli import main
from label_run import LabelRun, coco_named_scene_graphs, shared_label_run
from pipeline.ingest import ingest_visual_genome_dataset

CUT = 0.3
Box = tuple[float, float, float, float]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    return shared_label_run(tmp_path_factory)


def expected_graphs(scene_graphs_dir: Path, cut: float) -> dict[int, dict]:
    """Per image id: its size, file, objects ``{entity_id: (name, xyxy box)}`` and relations
    ``{(subject, object, predicate): confidence}`` kept at ``cut``, read with pyarrow."""
    graphs = {}
    for row in pq.read_table(scene_graphs_dir).to_pylist():
        graphs[row["image_id"]] = {
            "size": (row["width"], row["height"]),
            "file_name": row["file_name"],
            "objects": {item["entity_id"]: named_box(item) for item in row["objects"]},
            "relations": {
                relation_key(item): item["confidence"]
                for item in row["relationships"]
                if item["confidence"] is None or item["confidence"] >= cut
            },
        }
    return graphs


def named_box(row: dict) -> tuple[str, Box]:
    return row["category_name"], (row["x1"], row["y1"], row["x2"], row["y2"])


def relation_key(row: dict) -> tuple[int, int, str]:
    return row["subject_entity_id"], row["object_entity_id"], row["predicate"]


def assert_boxes_close(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    for key, (name, box) in expected.items():
        assert found[key][0] == name
        assert found[key][1] == pytest.approx(box, abs=1e-6)


def test_paper_json_round_trips(run: LabelRun, tmp_path: Path) -> None:
    out = tmp_path / "pseudo_labels.json"
    scene_graphs = coco_named_scene_graphs(run.label_dir, tmp_path / "coco_named" / "scene_graphs")
    exporter = PaperJsonExport(
        id_start=500, dataset=PaperDataset.COCO2017, image_folder="train2017"
    )
    summary = export_run(scene_graphs, out, exporter, min_confidence=CUT)
    records = json.loads(out.read_text())
    expected = expected_graphs(run.label_dir / "scene_graphs", CUT)
    assert [record["image_id"] for record in records] == sorted(expected)
    object_ids = [item["object_id"] for record in records for item in record["objects"]]
    relationship_ids = [
        item["relationship_id"] for record in records for item in record["relationships"]
    ]
    assert object_ids == list(range(500, 500 + len(object_ids)))
    assert relationship_ids == list(range(500, 500 + len(relationship_ids)))
    for record in records:
        graph = expected[record["image_id"]]
        assert set(record) == {"image_id", "dataset", "data_split", "objects", "relationships"}
        assert (record["dataset"], record["data_split"]) == ("coco2017", "train2017")
        # the paper renumbers objects: map its ids back to ours by position
        entity_ids = dict(zip((item["object_id"] for item in record["objects"]), graph["objects"]))
        objects = {
            entity_ids[item["object_id"]]: (
                item["names"], (item["x"], item["y"], item["x"] + item["w"], item["y"] + item["h"])
            )
            for item in record["objects"]
        }
        assert_boxes_close(objects, graph["objects"])
        relations = {
            (entity_ids[item["subject_id"]], entity_ids[item["object_id"]], item["predicate"]):
            item["confidence"]
            for item in record["relationships"]
        }
        assert relations == graph["relations"]
    kept = sum(len(graph["relations"]) for graph in expected.values())
    assert summary.counts.relationships == kept == len(relationship_ids) > 0
    scores = pq.read_table(run.label_dir / "tagged_relations")["score"].to_pylist()
    below = sum(score < CUT for score in scores)
    assert summary.counts.relationships_below_cut == below > 0
    assert summary.counts.images == len(records)


def test_human_relations_have_no_confidence_and_survive_any_cut(run: LabelRun, tmp_path) -> None:
    out = tmp_path / "vg_pseudo.json"
    exporter = PaperJsonExport(dataset=PaperDataset.O365, image_folder="train")
    export_run(run.vg_dir, out, exporter, min_confidence=1.0)
    records = json.loads(out.read_text())
    assert {(record["dataset"], record["data_split"]) for record in records} == {("o365", "train")}
    relationships = [item for record in records for item in record["relationships"]]
    rows = pq.read_table(run.vg_dir / "relations").num_rows
    assert len(relationships) == rows > 0
    assert all("confidence" not in item for item in relationships)


def test_visual_genome_json_is_ingested_back_with_the_same_relations(
    run: LabelRun, tmp_path: Path
) -> None:
    out = tmp_path / "vg"
    export_run(run.label_dir, out, VisualGenomeExport(), min_confidence=CUT)
    assert sorted(path.name for path in out.iterdir()) == [
        "image_data.json", "objects.json", "relationships.json"
    ]
    ingest_visual_genome_dataset(
        out / "image_data.json", objects_json=out / "objects.json",
        relationships_json=out / "relationships.json", out_dir=tmp_path / "ingested",
        dataset="round_trip", split="train", image_root=run.images_dir,
    )
    manifest = json.loads((tmp_path / "ingested" / "manifest.json").read_text())
    assert manifest["rejects"] == {}
    expected = expected_graphs(run.label_dir / "scene_graphs", CUT)
    entities = pq.read_table(tmp_path / "ingested" / "entities").to_pylist()
    for image_id, graph in expected.items():
        objects = {
            row["entity_id"]: named_box(row) for row in entities if row["image_id"] == image_id
        }
        assert_boxes_close(objects, graph["objects"])
    relations = pq.read_table(tmp_path / "ingested" / "relations").to_pylist()
    assert {
        (row["image_id"], row["subject_entity_id"], row["object_entity_id"], row["predicate"])
        for row in relations
    } == {
        (image_id, *key) for image_id, graph in expected.items() for key in graph["relations"]
    }
    scene_graphs = pq.read_table(run.label_dir / "scene_graphs").to_pylist()
    exported_confidences = {
        item["relationship_id"]: item["confidence"]
        for row in scene_graphs
        for item in row["relationships"]
        if item["confidence"] >= CUT
    }
    # pseudo-labels stay pseudo: their confidence comes back, so pretraining still cuts them
    assert {row["relationship_id"]: row["confidence"] for row in relations} == pytest.approx(
        exported_confidences
    )
    images = pq.read_table(tmp_path / "ingested" / "images").to_pylist()
    assert {row["image_id"]: (row["width"], row["height"]) for row in images} == {
        image_id: graph["size"] for image_id, graph in expected.items()
    }
    exported = json.loads((out / "relationships.json").read_text())
    confidences = [item["confidence"] for entry in exported for item in entry["relationships"]]
    assert confidences and min(confidences) >= CUT


def parse_label_studio(tasks: list[dict]) -> dict[int, dict]:
    """Tasks back to per-image sizes, files, boxes (pixels) and relations (entity ids)."""
    graphs = {}
    for task in tasks:
        [prediction] = task["predictions"]
        boxes, relations, size = {}, {}, None
        entity_of = {}
        for result in prediction["result"]:
            if result["type"] == "rectanglelabels":
                width, height = result["original_width"], result["original_height"]
                size = (width, height)
                value = result["value"]
                x1, y1 = value["x"] * width / 100, value["y"] * height / 100
                x2, y2 = x1 + value["width"] * width / 100, y1 + value["height"] * height / 100
                box = (x1, y1, x2, y2)
                entity_id = int(result["id"].removeprefix("e"))
                entity_of[result["id"]] = entity_id
                [name] = value["rectanglelabels"]
                boxes[entity_id] = (name, box)
        for result in prediction["result"]:
            if result["type"] == "relation":
                [predicate] = result["labels"]
                key = (entity_of[result["from_id"]], entity_of[result["to_id"]], predicate)
                relations[key] = result.get("score")
        graphs[task["data"]["image_id"]] = {
            "size": size,
            "file_name": unquote(task["data"]["image"].removeprefix(LOCAL_FILES_PREFIX)),
            "objects": boxes,
            "relations": relations,
            "score": prediction["score"],
        }
    return graphs


def test_label_studio_tasks_round_trip_and_config_declares_every_label(
    run: LabelRun, tmp_path: Path
) -> None:
    out = tmp_path / "label_studio"
    export_run(
        run.label_dir, out, LabelStudioExport(model_version="tagger@123"), min_confidence=CUT
    )
    tasks = json.loads((out / TASKS_FILE).read_text())
    parsed = parse_label_studio(tasks)
    expected = expected_graphs(run.label_dir / "scene_graphs", CUT)
    assert parsed.keys() == expected.keys()
    for image_id, graph in expected.items():
        assert parsed[image_id]["size"] == graph["size"]
        assert parsed[image_id]["file_name"] == graph["file_name"]
        assert_boxes_close(parsed[image_id]["objects"], graph["objects"])
        assert parsed[image_id]["relations"] == pytest.approx(graph["relations"])
        scores = list(graph["relations"].values())
        mean = sum(scores) / len(scores) if scores else 1.0
        assert parsed[image_id]["score"] == pytest.approx(mean)
    assert {task["predictions"][0]["model_version"] for task in tasks} == {"tagger@123"}

    config = ElementTree.fromstring((out / CONFIG_FILE).read_text())
    [image] = config.iter("Image")
    [rectangles] = config.iter("RectangleLabels")
    assert rectangles.get("toName") == image.get("name") and image.get("value") == "$image"
    declared_labels = {label.get("value") for label in rectangles.iter("Label")}
    declared_relations = {relation.get("value") for relation in config.iter("Relation")}
    results = [result for task in tasks for result in task["predictions"][0]["result"]]
    rectangle_results = [result for result in results if result["type"] == "rectanglelabels"]
    assert {result["from_name"] for result in rectangle_results} == {rectangles.get("name")}
    assert {result["to_name"] for result in rectangle_results} == {image.get("name")}
    assert declared_labels == {
        result["value"]["rectanglelabels"][0] for result in rectangle_results
    }
    assert declared_relations == {
        result["labels"][0] for result in results if result["type"] == "relation"
    }


def test_existing_output_needs_overwrite_and_no_scene_graphs_is_an_error(
    run: LabelRun, tmp_path: Path
) -> None:
    out = tmp_path / "vg"
    export_run(run.label_dir, out, VisualGenomeExport())
    with pytest.raises(ds.RLIPv2InputError, match="already exists; pass --overwrite"):
        export_run(run.label_dir, out, VisualGenomeExport())
    summary = export_run(
        run.label_dir, out, VisualGenomeExport(), min_confidence=0.9, overwrite=True
    )
    exported = json.loads((out / "relationships.json").read_text())
    assert sum(len(entry["relationships"]) for entry in exported) == summary.counts.relationships
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]
    with pytest.raises(ds.RLIPv2InputError, match="has no 'scene_graphs' table"):
        export_run(run.candidates_dir, tmp_path / "nothing.json", PaperJsonExport())
    with pytest.raises(ds.RLIPv2InputError, match="'demo' has no name the official loader"):
        export_run(run.label_dir, tmp_path / "nothing.json", PaperJsonExport())
    with pytest.raises(ds.RLIPv2InputError, match="opens coco2017 image 1 as '000000000001.jpg'"):
        export_run(run.label_dir, tmp_path / "nothing.json",
                   PaperJsonExport(dataset=PaperDataset.COCO2017))
    assert not (tmp_path / "nothing.json").exists()


def test_export_command_defaults_to_the_pretraining_cut(
    run: LabelRun, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "labels.json"
    coco_named = coco_named_scene_graphs(run.label_dir, tmp_path / "coco_named" / "scene_graphs")
    assert main(["export", str(coco_named), "--to", "paper-json", "-o", str(out),
                 "--paper-dataset", "coco2017", "--image-folder", "val2017"]) == 0
    assert "relationships" in capsys.readouterr().out
    records = json.loads(out.read_text())
    confidences = [item["confidence"] for record in records for item in record["relationships"]]
    expected = expected_graphs(run.label_dir / "scene_graphs", 0.2)
    assert len(confidences) == sum(len(graph["relations"]) for graph in expected.values())
    for to, name in (("vg", "vg"), ("label-studio", "ls")):
        assert main(["export", str(run.label_dir), "--to", to, "-o", str(tmp_path / name),
                     "--min-confidence", "0.5"]) == 0
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    # the label run's manifest names no tagger: the id its tagged relations carry
    assert tasks[0]["predictions"][0]["model_version"] == "fake-hashed-scorer"
    assert main(
        ["export", str(run.vg_dir), "--to", "label-studio", "-o", str(tmp_path / "ls_vg")]
    ) == 0
    tasks = json.loads((tmp_path / "ls_vg" / TASKS_FILE).read_text())
    assert tasks[0]["predictions"][0]["model_version"] == "rlipv2"  # human scene graphs
    assert main(["export", str(run.tagged_dir), "--to", "label-studio", "-o",
                 str(tmp_path / "ls_tagged")]) == 0
    tasks = json.loads((tmp_path / "ls_tagged" / TASKS_FILE).read_text())
    assert tasks[0]["predictions"][0]["model_version"] == "fake-hashed-scorer"
    assert main(["export", str(run.label_dir), "--to", "vg", "-o", str(tmp_path / "vg")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_label_studio_config_offers_the_whole_vocabulary_and_names_the_tagger(
    run: LabelRun, tmp_path: Path
) -> None:
    label_dir = tmp_path / "label"
    shutil.copytree(run.label_dir, label_dir)
    manifest = json.loads((label_dir / "manifest.json").read_text())
    manifest["tagger_id"] = "tagger.pt@0123456789ab"
    (label_dir / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "review"
    assert main(["export", str(label_dir), "--to", "label-studio", "-o", str(out),
                 "--min-confidence", "0.9"]) == 0
    tasks = json.loads((out / TASKS_FILE).read_text())
    assert {task["predictions"][0]["model_version"] for task in tasks} == {
        "tagger.pt@0123456789ab"
    }
    config = ElementTree.fromstring((out / CONFIG_FILE).read_text())
    declared_relations = {relation.get("value") for relation in config.iter("Relation")}
    declared_labels = {label.get("value") for label in config.iter("Label")}
    exported = {
        result["labels"][0]
        for task in tasks
        for result in task["predictions"][0]["result"]
        if result["type"] == "relation"
    }
    candidates = set(pq.read_table(run.label_dir / "candidates")["relation"].to_pylist())
    assert exported < candidates <= declared_relations  # texts below the cut can be chosen
    categories = set(pq.read_table(run.dataset_dir / "categories")["name"].to_pylist())
    assert categories <= declared_labels

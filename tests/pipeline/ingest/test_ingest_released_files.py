"""What the paper released, read into rlipv2's tables: the pseudo-labelled scene graphs of COCO
and Objects365, Visual Genome's preprocessed scene graphs and the BLIP caption files (samples
in ``tests/fixtures/released/``, see its README)."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from conftest import write_image, write_json
from export import PaperDataset, PaperJsonExport, export_run
from flows.cli import main
from inspection.run_comparison import compare_runs
from label_run import coco_named_scene_graphs, shared_label_run
from pipeline.ingest import ingest_coco_dataset, ingest_scene_graph_json_dataset

RELEASED = Path(__file__).parents[2] / "fixtures" / "released"
COCO_LABELS = RELEASED / "RLIPv2_train2017_threshold20_Tagger2_Noi24_20e_sample.json"
O365_LABELS = RELEASED / "RLIPv2_o365trainval_Tagger2_Noi24_20e_sample.json"
VG_SCENE_GRAPHS = RELEASED / "scene_graphs_after_preprocessing_sample.json"


def coco_folder(tmp_path: Path) -> Path:
    """COCO2017/ as the paper's README lays it out, with the sample's images."""
    root = tmp_path / "COCO2017"
    for folder, image_id in (("train2017", 139), ("val2017", 285), ("train2017", 632)):
        write_image(root / folder / f"{image_id:012d}.jpg", 80, 60)
    return root


def scene_graphs(out: Path) -> dict[int, ds.SceneGraphRecord]:
    records = ds.SCENE_GRAPHS.to_records(ds.read_table(out / "scene_graphs", ds.SCENE_GRAPHS))
    return {record.image_id: record for record in records}


def test_released_coco_pseudo_labels_keep_their_confidences_and_image_folders(
    tmp_path: Path,
) -> None:
    summary = ingest_scene_graph_json_dataset(
        COCO_LABELS, image_root=coco_folder(tmp_path), out_dir=tmp_path / "out",
        dataset="rlipv2_coco", split="train",
    )
    assert summary.rejects == {}
    graphs = scene_graphs(tmp_path / "out")
    assert sorted(graphs) == [139, 285, 632]
    horse_rider = graphs[139]
    assert (horse_rider.dataset, horse_rider.split, horse_rider.file_name) == (
        "coco2017", "train2017", "train2017/000000000139.jpg"
    )
    assert (horse_rider.width, horse_rider.height) == (80, 60)  # read from the image
    assert graphs[285].file_name == "val2017/000000000285.jpg"
    person = horse_rider.objects[0]
    assert (person.entity_id, person.category_name) == (10_000_000, "person")
    assert (person.x1, person.y1, person.x2, person.y2) == (12.5, 20.0, 42.5, 60.0)
    assert [(r.predicate, r.confidence) for r in horse_rider.relationships] == [
        ("riding", 0.61), ("next to", 0.07), ("on", 0.23)
    ]
    assert graphs[632].relationships == []
    categories = pq.read_table(tmp_path / "out" / "categories")["name"].to_pylist()
    assert categories == ["person", "horse", "dog", "cup", "dining table", "bed"]


def test_released_objects365_labels_find_images_through_image_id_to_filepath(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Objects365"
    write_image(root / "train" / "patch0" / "objects365_v1_00000003.jpg", 64, 64)
    out = tmp_path / "out"
    ingest_scene_graph_json_dataset(
        O365_LABELS, image_root=root, image_paths_json=RELEASED / "image_id_to_filepath.json",
        out_dir=out, dataset="rlipv2_o365", split="train",
    )
    [graph] = scene_graphs(out).values()
    assert (graph.dataset, graph.split) == ("o365", "train")
    assert graph.file_name == "train/patch0/objects365_v1_00000003.jpg"
    assert [(r.predicate, r.confidence) for r in graph.relationships] == [("riding", 0.52)]
    without_paths = ingest_scene_graph_json_dataset(
        O365_LABELS, image_root=root, out_dir=tmp_path / "no_paths", dataset="o", split="train",
    )
    assert without_paths.rejects == {
        ds.RejectReason.MALFORMED_RECORD: 1, ds.RejectReason.IMAGE_REJECTED: 3
    }


def test_visual_genome_scene_graphs_are_human_relations(tmp_path: Path) -> None:
    root = tmp_path / "VG" / "images"
    write_image(root / "1.jpg", 100, 80)
    write_image(root / "107899.jpg", 60, 60)
    out = tmp_path / "out"
    assert main(["ingest", "paper-json", str(VG_SCENE_GRAPHS), "--image-root", str(root),
                 "--out", str(out), "--dataset", "vg"]) == 0
    graphs = scene_graphs(out)
    assert {image_id: graph.file_name for image_id, graph in graphs.items()} == {
        1: "1.jpg", 107899: "107899.jpg"
    }
    assert {graph.dataset for graph in graphs.values()} == {"vg"}
    assert [(r.predicate, r.confidence) for r in graphs[1].relationships] == [("wears", None)]


def test_bad_records_are_rejected_one_by_one_and_the_rest_is_kept(tmp_path: Path) -> None:
    root = coco_folder(tmp_path)
    records = json.loads(COCO_LABELS.read_text())
    good, second, third = records
    missing = {**second, "image_id": 999}
    unknown_dataset = {**third, "image_id": 7, "dataset": "hico"}
    good["relationships"] += [
        {"relationship_id": 10000009, "predicate": "near", "subject_id": 10000000,
         "object_id": 10000003, "confidence": 0.5},  # an object of another image
        {"relationship_id": 10000010, "predicate": "near", "subject_id": 10000000,
         "object_id": 10000001, "confidence": "NaN"},
    ]
    good["objects"].append({"object_id": 10000011, "x": 1, "y": 1, "w": 0, "h": 5, "names": "cat"})
    path = write_json(tmp_path / "labels.json", [good, missing, unknown_dataset, "junk"])
    summary = ingest_scene_graph_json_dataset(
        path, image_root=root, out_dir=tmp_path / "out", dataset="d", split="train"
    )
    assert summary.rejects == {
        ds.RejectReason.MISSING_IMAGE_FILE: 1,
        ds.RejectReason.MALFORMED_RECORD: 3,  # unknown dataset, "junk", NaN confidence
        ds.RejectReason.IMAGE_REJECTED: 4,  # objects and relations of the refused images
        ds.RejectReason.UNKNOWN_ENTITY: 1,
        ds.RejectReason.DEGENERATE_BOX: 1,
    }
    graphs = scene_graphs(tmp_path / "out")
    assert list(graphs) == [139]
    assert len(graphs[139].relationships) == 3


def test_blip_caption_files_are_read_with_their_decoding(tmp_path: Path) -> None:
    instances = write_json(tmp_path / "instances_train2017.json", {
        "images": [{"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": 80, "height": 60}
                   for image_id in (139, 285)],
        "annotations": [],
        "categories": [{"id": 1, "name": "person"}],
    })
    nucleus = ingest_coco_dataset(
        instances, out_dir=tmp_path / "nucleus", dataset="coco2017", split="train",
        blip_captions_json=RELEASED / "model_large_caption_nucleus10_sample.json",
    )
    assert nucleus.counts.captions == 4
    assert nucleus.rejects == {ds.RejectReason.UNKNOWN_IMAGE: 1}  # 632 is not in the instances
    captions = ds.CAPTIONS.to_records(ds.read_table(tmp_path / "nucleus" / "captions", ds.CAPTIONS))
    assert [(c.image_id, c.caption_index, c.text) for c in captions[:3]] == [
        (139, 0, "a man riding a horse next to a dog"), (139, 1, "a person on a brown horse"),
        (139, 2, "a man rides a horse in a field"),
    ]
    assert {(c.method, c.decoding.top_p, c.decoding.repetition_penalty) for c in captions} == {
        ("nucleus", 0.9, 1.1)
    }
    assert {c.captioner_id for c in captions} == {"model_large_caption_nucleus10_sample.json"}
    assert main(["ingest", "coco", str(instances), "--out", str(tmp_path / "beam"),
                 "--blip-captions", str(RELEASED / "model_large_beam_sample.json")]) == 0
    captions = ds.CAPTIONS.to_records(ds.read_table(tmp_path / "beam" / "captions", ds.CAPTIONS))
    assert {(c.method, c.decoding.num_beams, c.decoding.top_p) for c in captions} == {
        ("beam", 3, None)
    }
    manifest = json.loads((tmp_path / "beam" / "manifest.json").read_text())
    assert manifest["sources"]["blip_captions"].endswith("model_large_beam_sample.json")
    unnamed = shutil.copy(RELEASED / "model_large_beam_sample.json", tmp_path / "captions.json")
    with pytest.raises(ds.RLIPv2InputError, match="pass --blip-decoding"):
        ingest_coco_dataset(instances, out_dir=tmp_path / "x", dataset="c", split="train",
                            blip_captions_json=Path(unnamed))
    assert not (tmp_path / "x").exists()


def test_a_paper_json_export_comes_back_with_every_relation_and_confidence(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    run = shared_label_run(tmp_path_factory)
    coco_named = coco_named_scene_graphs(run.label_dir, tmp_path / "run" / "scene_graphs")
    table = pq.read_table(coco_named)
    for row in table.select(["file_name", "width", "height"]).to_pylist():
        write_image(tmp_path / "COCO2017" / "train2017" / row["file_name"], row["width"],
                    row["height"])
    labels = tmp_path / "labels.json"
    export_run(coco_named, labels, PaperJsonExport(image_folder="train2017",
                                                   dataset=PaperDataset.COCO2017),
               min_confidence=0.05)
    ingest_scene_graph_json_dataset(
        labels, image_root=tmp_path / "COCO2017", out_dir=tmp_path / "back", dataset="back",
        split="train",
    )
    comparison = compare_runs(coco_named, tmp_path / "back", cuts=(0.05, 0.5))
    assert comparison.shared_images == comparison.images_a == table.num_rows
    for cut in comparison.cuts:
        assert cut.relations_a == cut.relations_b == cut.relations_matched > 0

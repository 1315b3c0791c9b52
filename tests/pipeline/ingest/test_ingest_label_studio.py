"""The review round trip on the demo world: ``rlipv2 export --to label-studio``, a reviewer's
work in Label Studio's JSON export layout, ``rlipv2 ingest label-studio`` back into human scene
graphs that training reads, and ``rlipv2 compare`` of the pseudo-labels against them."""

import copy
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import data_schemas as ds
from export.label_studio import TASKS_FILE
from flows.cli import main
from label_run import LabelRun, shared_label_run
from label_studio_review import annotated, relations_of, review
from model.data import SceneGraphSource
from model.data.scene_graph_annotations import read_scene_graph_annotations
from pipeline.ingest import ingest_label_studio_dataset


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    return shared_label_run(tmp_path_factory)


def test_reviewed_tasks_come_back_as_human_scene_graphs_that_training_reads(
    run: LabelRun, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "review"
    assert main(["export", str(run.label_dir), "--to", "label-studio", "-o", str(out)]) == 0
    tasks = json.loads((out / TASKS_FILE).read_text())
    exported, reviewed = review(tasks)
    export_json = tmp_path / "project-1-at-2026-12-07.json"
    export_json.write_text(json.dumps(exported))
    ingested = tmp_path / "reviewed"
    capsys.readouterr()
    assert main(["ingest", "label-studio", str(export_json), "--out", str(ingested),
                 "--image-root", str(run.images_dir)]) == 0
    assert "relations_relabelled" in capsys.readouterr().out

    manifest = json.loads((ingested / "manifest.json").read_text())
    counts = manifest["counts"]
    accepted_relations = len(relations_of(reviewed["accepted"]["predictions"][0]["result"]))
    corrected_relations = len(relations_of(reviewed["corrected"]["predictions"][0]["result"]))
    assert counts["tasks_reviewed"] == 2 and counts["tasks_unreviewed"] == len(tasks) - 2
    assert counts["relations_accepted"] == accepted_relations + corrected_relations - 2
    assert (counts["relations_deleted"], counts["relations_relabelled"],
            counts["relations_added"]) == (1, 1, 1)
    assert (counts["boxes_corrected"], counts["boxes_added"], counts["boxes_deleted"]) == (1, 1, 0)
    assert manifest["rejects"] == {}

    graphs = {
        graph.image_id: graph
        for graph in ds.SCENE_GRAPHS.to_records(ds.read_table(ingested / "scene_graphs",
                                                              ds.SCENE_GRAPHS))
    }
    corrected_id = reviewed["corrected"]["data"]["image_id"]
    assert sorted(graphs) == sorted(task["data"]["image_id"] for task in reviewed.values())
    assert all(r.confidence is None for g in graphs.values() for r in g.relationships)  # human
    corrected = graphs[corrected_id]
    ball = next(o for o in corrected.objects if o.category_name == "ball")
    entities = pq.read_table(run.dataset_dir / "entities").to_pylist()
    originals = {row["entity_id"] for row in entities}
    assert ball.entity_id > max(originals)  # a new box gets a new id
    assert {o.entity_id for o in corrected.objects} - {ball.entity_id} <= originals
    predicates = {r.predicate for r in corrected.relationships}
    assert {"feeding", "kicking"} <= predicates
    assert len(corrected.relationships) == corrected_relations + 1 - 1

    reading = read_scene_graph_annotations(
        SceneGraphSource(ingested / "scene_graphs", run.images_dir), relation_threshold=0.2
    )
    assert reading.counts.relations_kept == sum(len(g.relationships) for g in graphs.values())

    capsys.readouterr()
    assert main(["compare", str(run.label_dir), str(ingested), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [cut] = report["cuts"]
    assert report["shared_images"] == 2
    assert cut["relations_a"] == accepted_relations + corrected_relations
    assert cut["matched"] == cut["relations_a"] - 2  # the deleted and the relabelled relation
    assert cut["precision"] == pytest.approx(round(cut["matched"] / cut["relations_a"], 4))
    assert cut["recall"] == pytest.approx(round(cut["matched"] / cut["relations_b"], 4))


def test_bad_tasks_are_rejected_and_the_rest_is_kept(run: LabelRun, tmp_path: Path) -> None:
    out = tmp_path / "review"
    assert main(["export", str(run.label_dir), "--to", "label-studio", "-o", str(out)]) == 0
    tasks = json.loads((out / TASKS_FILE).read_text())[:3]
    good = annotated(tasks[0], copy.deepcopy(tasks[0]["predictions"][0]["result"]))
    old_format = annotated({**tasks[1], "data": {"image": "x.png", "image_id": 5}}, [])
    dangling = annotated(tasks[2], [{"type": "relation", "from_id": "e1", "to_id": "nowhere",
                                     "direction": "right", "labels": ["on"]}])
    export_json = tmp_path / "export.json"
    export_json.write_text(json.dumps([good, old_format, dangling, "junk"]))
    summary = ingest_label_studio_dataset(
        export_json, out_dir=tmp_path / "reviewed", dataset="reviewed", split="train"
    )
    assert summary.rejects == {
        ds.RejectReason.MALFORMED_RECORD: 2, ds.RejectReason.UNKNOWN_ENTITY: 1
    }
    assert summary.counts.images == 2

"""The ``rlipv2`` command line: demo world -> ingest, and clear errors without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb

import data_schemas as ds
from flows.cli import main


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *arguments], capture_output=True, text=True, check=False
    )


def test_malformed_json_gives_one_line_error_and_exit_code_2(tmp_path: Path) -> None:
    broken = tmp_path / "instances.json"
    broken.write_text('{"images": [{"id": 1}\n  "annotations": []}')
    result = run_cli("ingest", "coco", str(broken), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("rlipv2: error")]
    assert len(error_lines) == 1
    assert "malformed JSON at line 2, column 3" in error_lines[0]


def test_missing_input_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = main(["ingest", "objects365", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "nope.json does not exist" in capsys.readouterr().err


def test_demo_world_is_generated_and_ingested_end_to_end(tmp_path: Path, capsys) -> None:
    world = tmp_path / "world"
    assert main(["demo-data", str(world), "--images", "6", "--seed", "3"]) == 0
    assert main([
        "ingest", "coco", str(world / "annotations" / "instances.json"),
        "--captions", str(world / "annotations" / "captions.json"),
        "--image-root", str(world / "images"), "--dataset", "demo", "--out", str(tmp_path / "coco"),
    ]) == 0
    assert main([
        "ingest", "vg", str(world / "vg" / "image_data.json"),
        "--objects", str(world / "vg" / "objects.json"),
        "--relationships", str(world / "vg" / "relationships.json"),
        "--image-root", str(world / "images"), "--dataset", "demo_vg", "--out", str(tmp_path / "vg"),
    ]) == 0
    printed = capsys.readouterr().out
    assert "rejected" in printed and "(none)" in printed

    coco_manifest = json.loads((tmp_path / "coco" / "manifest.json").read_text())
    assert coco_manifest["rejects"] == {}
    assert coco_manifest["counts"]["images"] == 6
    instances = json.loads((world / "annotations" / "instances.json").read_text())
    assert coco_manifest["counts"]["entities"] == len(instances["annotations"])
    assert coco_manifest["counts"]["captions"] >= 6 * 2

    relations_per_image = duckdb.sql(
        f"SELECT image_id, len(relationships) FROM '{tmp_path}/vg/scene_graphs/*.parquet' "
        "ORDER BY image_id"
    ).fetchall()
    assert [image_id for image_id, _ in relations_per_image] == [1, 2, 3, 4, 5, 6]
    assert all(count >= 1 for _, count in relations_per_image)
    graphs = ds.SCENE_GRAPHS.to_records(ds.read_table(tmp_path / "vg" / "scene_graphs",
                                                      ds.SCENE_GRAPHS))
    assert all(r.confidence is None for g in graphs for r in g.relationships)

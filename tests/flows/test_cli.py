"""The ``rlipv2`` command line: demo world -> ingest, and clear errors without tracebacks."""

import argparse
import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import data_schemas as ds
from data_schemas.manifest_file import read_manifest
from flows.cli import SUBCOMMANDS, main
from model.data import SceneGraphSource, read_scene_graph_annotations


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *arguments], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command_without_importing_the_stages() -> None:
    script = (
        "import sys\n"
        "from flows.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('torch', 'transformers', 'spacy', 'prefect') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert listed >= set(SUBCOMMANDS)
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", ["inspect", "show", "export"])
def test_output_readers_start_without_the_model_stack(name: str) -> None:
    """Reading Parquet outputs needs neither torch nor transformers (1.3 s of start-up)."""
    module = SUBCOMMANDS[name].module
    script = (
        f"import sys, {module}\n"
        "print(sorted(m for m in ('torch', 'transformers', 'spacy', 'prefect') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_each_command_help_shows_its_own_description(name: str, capsys) -> None:
    subcommand = SUBCOMMANDS[name]
    configured = argparse.ArgumentParser()
    getattr(importlib.import_module(subcommand.module), subcommand.configure)(configured)
    with pytest.raises(SystemExit) as exit:
        main([name, "--help"])
    assert exit.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: rlipv2 {name}")
    # argparse re-wraps the description, at spaces and after hyphens
    assert "".join(configured.description.split()) in "".join(shown.split())


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


def ingest_demo(tmp_path: Path, num_images: int) -> tuple[Path, Path, Path]:
    world = tmp_path / "world"
    main(["demo-data", str(world), "--images", str(num_images), "--seed", "5"])
    main([
        "ingest", "coco", str(world / "annotations" / "instances.json"),
        "--captions", str(world / "annotations" / "captions.json"),
        "--image-root", str(world / "images"), "--dataset", "demo", "--out", str(tmp_path / "demo"),
    ])
    main([
        "ingest", "vg", str(world / "vg" / "image_data.json"),
        "--relationships", str(world / "vg" / "relationships.json"),
        "--dataset", "demo_vg", "--out", str(tmp_path / "demo_vg"),
    ])
    return world, tmp_path / "demo", tmp_path / "demo_vg"


def test_candidates_from_existing_captions_recall_most_ground_truth_pairs(
    tmp_path: Path, capsys
) -> None:
    _, dataset, ground_truth = ingest_demo(tmp_path, 24)
    capsys.readouterr()
    assert main([
        "candidates", str(dataset), "--out", str(tmp_path / "candidates"), "--vocabulary", "demo",
        "--ground-truth", str(ground_truth),
    ]) == 0
    printed = capsys.readouterr().out
    assert "entity pair recalled" in printed
    candidates = ds.CANDIDATES.to_records(ds.read_table(tmp_path / "candidates" / "candidates",
                                                        ds.CANDIDATES))
    truth = ds.read_table(ground_truth / "relations", ds.RELATIONS).to_pylist()
    pairs = {(c.subject_entity_id, c.object_entity_id) for c in candidates}
    recalled = sum((r["subject_entity_id"], r["object_entity_id"]) in pairs for r in truth)
    assert recalled / len(truth) > 0.6
    manifest = read_manifest(tmp_path / "candidates")
    assert manifest.stages["match"].counts["candidates"] == len(candidates)
    assert manifest.stages["caption"].counts["captions"] == 24 * 5


def test_candidates_with_blip_reject_broken_images_and_keep_the_rest(
    tmp_path: Path, tiny_blip_dir: Path, capsys
) -> None:
    world, dataset, _ = ingest_demo(tmp_path, 4)
    (world / "images" / "000002.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert main([
        "candidates", str(dataset), "--out", str(tmp_path / "candidates"), "--vocabulary", "demo",
        "--captioner", "blip", "--blip-model", str(tiny_blip_dir), "--num-captions", "3",
        "--batch-size", "2", "--device", "cpu",
    ]) == 0
    out = tmp_path / "candidates"
    captions = ds.CAPTIONS.to_records(ds.read_table(out / "captions", ds.CAPTIONS))
    assert sorted({c.image_id for c in captions}) == [1, 3, 4]
    assert {c.method for c in captions} == {"nucleus"} and len(captions) == 9
    rejects = ds.REJECTS.to_records(ds.read_table(out / "rejects", ds.REJECTS))
    assert [(r.image_id, r.reason) for r in rejects] == [(2, ds.RejectReason.UNREADABLE_IMAGE)]


def test_unloadable_blip_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    _, dataset, _ = ingest_demo(tmp_path, 2)
    assert main([
        "candidates", str(dataset), "--out", str(tmp_path / "c"), "--captioner", "blip",
        "--blip-model", str(tmp_path / "no-such-model"), "--device", "cpu",
    ]) == 2
    assert "cannot load the BLIP captioner" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_train_tagger_then_tag_writes_scene_graphs_that_pretraining_reads(
    tmp_path: Path, capsys
) -> None:
    world, dataset, ground_truth = ingest_demo(tmp_path, 6)
    assert main(["candidates", str(dataset), "--out", str(tmp_path / "candidates"),
                 "--vocabulary", "demo"]) == 0
    assert main(["tiny-text-encoder", str(tmp_path / "roberta"),
                 "--scene-graphs", str(ground_truth / "scene_graphs")]) == 0
    config = tmp_path / "tagger.toml"
    repository_config = Path(__file__).resolve().parents[2] / "configs" / "tagger_demo.toml"
    config.write_text(repository_config.read_text())
    overrides = [
        f'output_dir="{tmp_path / "tagger"}"', "optimization.epochs=1", "max_steps_per_epoch=2",
        f'model.text_encoder.name_or_path="{tmp_path / "roberta"}"',
        f'data.sources=[{{scene_graphs_dir="{ground_truth / "scene_graphs"}", '
        f'image_root="{world / "images"}"}}]',
    ]
    assert main(["train-tagger", "--config", str(config),
                 *[part for override in overrides for part in ("--set", override)]]) == 0
    checkpoint = tmp_path / "tagger" / "checkpoints" / "checkpoint-000001.pt"
    assert main(["tag", str(dataset), "--candidates", str(tmp_path / "candidates"),
                 "--checkpoint", str(checkpoint), "--out", str(tmp_path / "tagged"),
                 "--device", "cpu", "--save-threshold", "0.0", "--batch-size", "4",
                 "--workers", "1"]) == 0
    assert "relations kept" in capsys.readouterr().out
    tagged = ds.TAGGED_RELATIONS.to_records(ds.read_table(tmp_path / "tagged" / "tagged_relations",
                                                          ds.TAGGED_RELATIONS))
    candidates = ds.read_table(tmp_path / "candidates" / "candidates", ds.CANDIDATES)
    candidate_pairs = {(row["image_id"], row["subject_entity_id"], row["object_entity_id"])
                       for row in candidates.to_pylist()}
    assert {(t.image_id, t.subject_entity_id, t.object_entity_id) for t in tagged} == candidate_pairs
    assert all(t.tagger_id.startswith("checkpoint-000001.pt@") for t in tagged)
    reading = read_scene_graph_annotations(
        SceneGraphSource(tmp_path / "tagged" / "scene_graphs", world / "images"),
        relation_threshold=0.0,
    )
    assert reading.rejects == ()
    assert len(reading.annotations) == len({image_id for image_id, _, _ in candidate_pairs})
    assert main(["tag", str(dataset), "--candidates", str(tmp_path / "candidates"),
                 "--checkpoint", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "t2")]) == 2


def test_label_options_the_flow_parameters_refuse_are_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["label", "--dataset", str(tmp_path), "--out", str(tmp_path / "out"),
                 "--tagger-checkpoint", str(tmp_path / "tagger.pt"),
                 "--save-threshold", "2"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: invalid label options: save_threshold: ")
    assert error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_verbose_puts_the_prefect_runs_of_a_command_at_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefect_logger = logging.getLogger("prefect")
    level = prefect_logger.level
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "INFO")
    try:
        main(["-v", "label", "--dataset", str(tmp_path), "--out", str(tmp_path / "out"),
              "--tagger-checkpoint", str(tmp_path / "tagger.pt"), "--save-threshold", "2"])
        assert prefect_logger.level == logging.DEBUG
    finally:
        prefect_logger.setLevel(level)
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG"  # served flow-run processes inherit it

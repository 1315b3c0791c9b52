"""The output guard (:mod:`flows.output_guard`) of every command that writes: an output is
never, holds or lies inside an input, the current directory is never an output, and an
existing output is replaced only with --overwrite. Each refusal is one line and writes nothing."""

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from data_schemas.errors import RLIPv2InputError
from flows.cli import main
from flows.output_guard import check_output, check_output_place, config_inputs
from model.data import SceneGraphSource
from tiny_pretrain_config import write_config


@dataclass(frozen=True)
class World:
    root: Path  # the demo world's files
    coco: Path  # ingested COCO dataset
    vg: Path  # ingested Visual Genome dataset (with scene_graphs)

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def instances(self) -> Path:
        return self.root / "annotations" / "instances.json"

    @property
    def captions(self) -> Path:
        return self.root / "annotations" / "captions.json"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("guard")
    root = base / "world"
    assert main(["demo-data", str(root), "--images", "3"]) == 0
    world = World(root, base / "coco", base / "vg")
    assert main(["ingest", "coco", str(world.instances), "--captions", str(world.captions),
                 "--image-root", str(world.images), "--out", str(world.coco)]) == 0
    assert main(["ingest", "vg", str(root / "vg" / "image_data.json"),
                 "--objects", str(root / "vg" / "objects.json"),
                 "--relationships", str(root / "vg" / "relationships.json"),
                 "--image-root", str(world.images), "--out", str(world.vg)]) == 0
    return world


def digest(directory: Path) -> str:
    """The names and bytes of every file under ``directory``."""
    hasher = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        hasher.update(str(path.relative_to(directory)).encode())
        if path.is_file():
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


def refused(arguments: list[str], capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    """``rlipv2 ARGUMENTS`` ends with one ``rlipv2: error`` line containing ``expected``."""
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: ") and error.count("\n") == 1, error
    for text in expected:
        assert text in error, error


def test_an_output_may_not_be_hold_or_lie_inside_an_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(data / "images")
    for output, relation in ((data / "images", " is "), (data, " holds "),
                             (data / "images" / "out", " lies inside "),
                             (link / "out", " lies inside ")):
        with pytest.raises(RLIPv2InputError, match=relation):
            check_output_place(output, {"image root": data / "images"})
    check_output_place(tmp_path / "elsewhere", {"image root": data / "images", "none": None})
    with pytest.raises(RLIPv2InputError, match="already exists; pass --overwrite"):
        check_output(data, {}, overwrite=False)
    check_output(data, {}, overwrite=True)


@pytest.mark.parametrize("output", [".", "..", "/"])
def test_the_current_directory_and_those_above_are_never_an_output(
    output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RLIPv2InputError, match="is the current directory or one above it"):
        check_output(Path(output), {}, overwrite=True)


def test_ingest_refuses_an_out_holding_or_being_its_inputs(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "wcopy"
    shutil.copytree(world.root, copy)
    before = digest(copy)
    inputs = ["ingest", "coco", str(copy / "annotations" / "instances.json"),
              "--captions", str(copy / "annotations" / "captions.json"),
              "--image-root", str(copy / "images"), "--overwrite"]
    refused([*inputs, "--out", str(copy)], capsys, f"--out {copy} holds the instances file")
    refused([*inputs, "--out", str(copy / "images")], capsys, "is the image root")
    assert digest(copy) == before


def test_scene_graph_ingests_refuse_an_out_holding_their_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "review" / "export.json"
    export.parent.mkdir()
    export.write_text("[]")
    refused(["ingest", "label-studio", str(export), "--out", str(export.parent), "--overwrite"],
            capsys, "holds the Label Studio export")
    images = tmp_path / "COCO2017"
    images.mkdir()
    released = tmp_path / "released.json"
    released.write_text("[]")
    refused(["ingest", "paper-json", str(released), "--image-root", str(images), "--out",
             str(images / "dataset")], capsys, "lies inside the image root")
    assert export.read_text() == "[]" and released.read_text() == "[]"


def test_ingest_refuses_the_current_directory(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for out in (".", ".."):
        refused(["ingest", "coco", str(world.instances), "--out", out, "--overwrite"], capsys,
                "current directory")


def test_export_refuses_the_run_its_table_and_a_file_inside_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(world.vg)
    for out in (world.vg / "scene_graphs", world.vg, world.vg / "export.json"):
        refused(["export", str(world.vg), "--to", "paper-json", "-o", str(out), "--overwrite"],
                capsys, f"-o {out} ", "write the output elsewhere")
    assert digest(world.vg) == before


def test_show_refuses_a_file_of_the_run_and_an_existing_file_without_overwrite(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(world.vg)
    refused(["show", str(world.vg), "--image-id", "1", "-o", str(world.vg / "manifest.json")],
            capsys, "lies inside the input")
    refused(["show", str(world.vg), "--image-id", "1", "-o", str(world.images / "x.png")],
            capsys, "lies inside the image root recorded at ingest")
    assert digest(world.vg) == before
    existing = tmp_path / "picture.png"
    existing.write_bytes(b"mine")
    refused(["show", str(world.vg), "--image-id", "1", "-o", str(existing)], capsys,
            "already exists; pass --overwrite")
    assert existing.read_bytes() == b"mine"
    assert main(["show", str(world.vg), "--image-id", "1", "-o", str(existing),
                 "--overwrite"]) == 0
    assert existing.read_bytes().startswith(b"\x89PNG")


def test_demo_data_replaces_a_world_whole_and_only_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = tmp_path / "world"
    assert main(["demo-data", str(world), "--images", "3"]) == 0
    refused(["demo-data", str(world), "--images", "2"], capsys, "already exists")
    assert len(list((world / "images").iterdir())) == 3
    assert main(["demo-data", str(world), "--images", "2", "--overwrite"]) == 0
    assert len(list((world / "images").iterdir())) == 2, "no stale images of the old world"
    assert [path.name for path in tmp_path.iterdir()] == ["world"], "no staging left behind"
    monkeypatch.chdir(world)
    refused(["demo-data", ".", "--overwrite"], capsys, "OUT . is the current directory")


def test_label_reuses_only_its_own_run_directory(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "tagger.pt"
    checkpoint.write_bytes(b"checked later")
    notes = tmp_path / "notes"
    (notes / "captions").mkdir(parents=True)
    (notes / "captions" / "my_notes.txt").write_text("mine")
    other_dataset = tmp_path / "other"
    shutil.copytree(world.vg, other_dataset)
    before = digest(other_dataset)
    label = ["label", "--dataset", str(world.coco), "--tagger-checkpoint", str(checkpoint),
             "--vocabulary", "demo", "--out"]
    refused([*label, str(notes)], capsys, "is not a label run's output")
    refused([*label, str(other_dataset)], capsys, "is not a label run's output")
    refused([*label, str(world.images / "labels")], capsys, "lies inside the image root")
    refused([*label, str(world.images.parent)], capsys, "holds the image root")
    assert (notes / "captions" / "my_notes.txt").read_text() == "mine"
    assert digest(other_dataset) == before


def test_candidates_and_tag_refuse_outputs_inside_their_inputs(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(["candidates", str(world.coco), "--vocabulary", "demo", "--out",
             str(world.coco / "candidates"), "--overwrite"], capsys, "lies inside the dataset")
    checkpoint = tmp_path / "tagger.pt"
    checkpoint.write_bytes(b"")
    refused(["tag", str(world.coco), "--candidates", str(world.vg), "--checkpoint",
             str(checkpoint), "--out", str(world.vg), "--overwrite"], capsys,
            "is the candidates run")


def test_training_output_dirs_may_not_lie_inside_their_data(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SceneGraphSource(world.vg / "scene_graphs", world.images)
    config = write_config(tmp_path, tmp_path / "text-encoder", source)
    inputs = config_inputs(config, _loaded_pretrain_config(config))
    assert inputs["data.sources[0].scene_graphs_dir"] == source.scene_graphs_dir
    assert inputs["data.sources[0].image_root"] == source.image_root
    assert "output_dir" not in inputs
    for command in ("pretrain", "train-tagger"):
        refused([command, "--config", str(config), "--set",
                 f'output_dir="{world.images / "run"}"'], capsys,
                "output_dir", "lies inside the data.sources[0].image_root")
    refused(["pretrain", "--config", str(config), "--then-evaluate", str(tmp_path),
             "--set", f'output_dir="{tmp_path / "run"}"'], capsys,
            "output_dir", "lies inside the benchmark")


def test_training_flows_started_from_a_form_guard_their_output_dir(
    world: World, tmp_path: Path
) -> None:
    from flows.training_flows import form_config
    from model.pretrain_config import PretrainConfig

    source = SceneGraphSource(world.vg / "scene_graphs", world.images)
    config = write_config(tmp_path, tmp_path / "text-encoder", source)
    inside_images = [f'output_dir="{world.images / "run"}"']
    with pytest.raises(RLIPv2InputError, match="lies inside the data.sources.0..image_root"):
        form_config(config, PretrainConfig, inside_images)
    with pytest.raises(RLIPv2InputError, match="lies inside the benchmark"):
        form_config(config, PretrainConfig, [f'output_dir="{tmp_path / "run"}"'],
                    other_inputs={"benchmark": tmp_path})
    assert form_config(config, PretrainConfig, []).output_dir.parent == tmp_path


def test_tiny_text_encoder_convert_and_synonyms_refuse_their_inputs(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene_graphs = world.vg / "scene_graphs"
    refused(["tiny-text-encoder", str(scene_graphs / "encoder"), "--scene-graphs",
             str(scene_graphs)], capsys, "lies inside the scene graphs 1")
    source = tmp_path / "official.pth"
    source.write_bytes(b"")
    refused(["convert-checkpoint", str(source), "-o", str(source), "--overwrite"], capsys,
            "-o", "is the source checkpoint")
    synonyms = tmp_path / "synonyms.json"
    synonyms.write_text("{}")
    refused(["wordnet-synonyms", "--vocabulary", "demo", "--synonyms", str(synonyms), "--out",
             str(synonyms), "--overwrite"], capsys, "is the synonyms file")


def _loaded_pretrain_config(config: Path) -> object:
    from model.config_file import load_config_file
    from model.pretrain_config import PretrainConfig

    return load_config_file(config, PretrainConfig, [])


def test_benchmark_ingest_evaluate_and_finetune_refuse_their_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hoi_benchmark_files import write_hoi_layout

    root = write_hoi_layout(tmp_path / "hico")
    vocabulary = root / "annotations" / "vocabulary.json"
    before = digest(root)
    refused(["ingest", "hico-det", str(root), "--out", str(root / "images"), "--overwrite",
             "--vocabulary", str(vocabulary)], capsys, "--out", "the benchmark root")
    assert digest(root) == before
    out = tmp_path / "benchmark"
    assert main(["ingest", "hico-det", str(root), "--out", str(out), "--vocabulary",
                 str(vocabulary)]) == 0
    refused(["ingest", "hico-det", str(root), "--out", str(out), "--vocabulary",
             str(vocabulary)], capsys, "already exists; pass --overwrite")
    detections = tmp_path / "detections.json"
    detections.write_text("[]")
    refused(["evaluate", "hico-det", "--dataset", str(out), "--detections", str(detections),
             "--out", str(out / "scores")], capsys, "--out", "the dataset")
    checkpoint = tmp_path / "checkpoints" / "checkpoint-0001.pt"  # refused before it is read
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"")
    for place, what in ((out / "scores", "lies inside the dataset"),
                        (checkpoint.parent, "holds the checkpoint")):
        refused(["evaluate", "hico-det", "--dataset", str(out), "--checkpoint", str(checkpoint),
                 "--out", str(place)], capsys, "--out", what)
    config = tmp_path / "finetune.toml"
    config.write_text(f'output_dir = "{out / "run"}"\ninit_from = "{detections}"\n'
                      f'[data]\nbenchmark_dir = "{out}"\n')
    refused(["finetune", "--config", str(config)], capsys, "output_dir", "data.benchmark_dir")

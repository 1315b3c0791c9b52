"""``rlipv2 ingest v-coco`` keeps the role annotations, and ``rlipv2 evaluate v-coco`` scores
role AP from them as the official code does (on the V-COCO parity fixture)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluation.vcoco_role_files import ROLE_VERBS
from evaluation_fixtures import official_metrics
from flows.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vcoco"


def write_vcoco_layout(root: Path) -> Path:
    """The fixture's test images (blank, no boxes in the HOI files: role AP reads the official
    files), one training image, the fixture's vocabulary and its role files."""
    instances = json.loads((FIXTURE / "instances_vcoco_test.json").read_text())
    annotations = root / "annotations"
    annotations.mkdir(parents=True)
    for split, file_name, directory, image_ids in (
        ("train", "trainval_vcoco.json", "train2014", [9]),
        ("test", "test_vcoco.json", "val2014", [image["id"] for image in instances["images"]]),
    ):
        (root / "images" / directory).mkdir(parents=True)
        entries = []
        for image_id in image_ids:
            name = f"COCO_{directory}_{image_id:012d}.jpg"
            Image.new("RGB", (640, 480)).save(root / "images" / directory / name)
            entries.append({"file_name": name, "annotations": [], "hoi_annotation": []})
        (annotations / file_name).write_text(json.dumps(entries))
    verbs = json.loads((FIXTURE / "verbs.json").read_text())
    assert verbs["verb_names"] == list(ROLE_VERBS)
    np.save(annotations / "corre_vcoco.npy", np.asarray(verbs["correct_combinations"], dtype=bool))
    (annotations / "vocabulary.json").write_text(json.dumps({
        "benchmark": "v-coco",
        "objects": instances["categories"],
        "predicates": [{"name": name, "id": index} for index, name in enumerate(ROLE_VERBS)],
        "zero_shot": {},
    }))
    shutil.copy(FIXTURE / "vcoco_test.json", annotations / "vcoco_test.json")
    shutil.copy(FIXTURE / "instances_vcoco_test.json", annotations / "instances_vcoco_all_2014.json")
    shutil.copy(FIXTURE / "vcoco_test.ids", annotations / "vcoco_test.ids")
    return root


def ingest(root: Path, out: Path) -> int:
    return main(["ingest", "v-coco", str(root), "--out", str(out),
                 "--vocabulary", str(root / "annotations" / "vocabulary.json")])


def test_evaluate_v_coco_gives_the_official_role_ap(tmp_path: Path) -> None:
    root = write_vcoco_layout(tmp_path / "vcoco")
    assert ingest(root, tmp_path / "benchmark") == 0
    status = main(["evaluate", "v-coco", "--dataset", str(tmp_path / "benchmark"),
                   "--detections", str(FIXTURE / "detections.json"), "--out", str(tmp_path / "eval")])
    assert status == 0
    (line,) = (tmp_path / "eval" / "metrics.jsonl").read_text().splitlines()
    record = json.loads(line)["evaluation"]
    official = official_metrics("vcoco")
    for scenario in ("scenario_1", "scenario_2"):
        assert record["metrics"][f"{scenario}/ap_role"] == pytest.approx(
            official[scenario]["mean"], abs=1e-6
        )
        assert record["metrics"][f"{scenario}/ap_role_without_point"] == pytest.approx(
            official[scenario]["mean_without_point"], abs=1e-6
        )
    assert record["class_ap"]["scenario_1 cut-instr"] == pytest.approx(
        official["scenario_1"]["role_ap"]["cut-instr"], abs=1e-6
    )


def test_v_coco_without_its_role_files_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_vcoco_layout(tmp_path / "vcoco")
    (root / "annotations" / "vcoco_test.ids").unlink()
    assert ingest(root, tmp_path / "benchmark") == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: ") and len(error.strip().splitlines()) == 1
    assert "vcoco_test.ids" in error
    assert not (tmp_path / "benchmark").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["vcoco"]

"""Every failed command ends in exactly one ``rlipv2: error: ...`` line on stderr: an unforeseen
error (a full disk, a library's exception) too, its traceback in the log file
(:mod:`flows.error_log`) and on stderr only with ``-v``; inside the label flow, Prefect's
tracebacks of the failed task and flow run go to the same file."""

import errno
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch

from conftest import write_image, write_json
from flows.cli import main


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rlipv2: error: ")]


def log_file(error_line: str) -> Path:
    """The log file an error line names."""
    return Path(error_line.rsplit("(traceback in ", 1)[1].rstrip(")"))


@pytest.fixture
def coco(tmp_path: Path) -> Path:
    """A one-image COCO instances file, its image under ``tmp_path / "images"``."""
    write_image(tmp_path / "images" / "a.png", 32, 32)
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]}],
        "categories": [{"id": 1, "name": "person"}],
    })


def fill_the_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Parquet write fails as on a full disk."""
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)


def test_a_full_disk_is_one_line_and_leaves_no_output(
    coco: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], error_logs: Path,
) -> None:
    fill_the_disk(monkeypatch)
    out = tmp_path / "out"
    assert main(["ingest", "coco", str(coco), "--image-root", str(tmp_path / "images"),
                 "--out", str(out)]) == 1
    stderr = capsys.readouterr().err
    assert error_lines(stderr) == stderr.splitlines(), stderr
    [line] = error_lines(stderr)
    assert "OSError: [Errno 28] No space left on device" in line
    assert log_file(line).parent == error_logs
    assert "Traceback" in log_file(line).read_text() and "full_disk" in log_file(line).read_text()
    assert not out.exists() and list(tmp_path.glob(".out*")) == []


def test_verbose_shows_the_traceback_above_the_line(
    coco: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill_the_disk(monkeypatch)
    assert main(["-v", "ingest", "coco", str(coco), "--out", str(tmp_path / "out")]) == 1
    stderr = capsys.readouterr().err
    assert "Traceback (most recent call last)" in stderr and "full_disk" in stderr
    assert len(error_lines(stderr)) == 1 and stderr.rstrip().endswith(")")


# --- inside the label flow ------------------------------------------------------------------


def label_with_ingest(tmp_path: Path, instances: Path) -> list[str]:
    checkpoint = tmp_path / "tagger.pt"
    torch.save({"model": {}}, checkpoint)
    captions = write_json(tmp_path / "captions.json", {"annotations": [
        {"id": 1, "image_id": 1, "caption": "a person"}
    ]})
    return ["label", "--dataset", str(tmp_path / "dataset"), "--out", str(tmp_path / "labels"),
            "--coco-instances", str(instances), "--coco-captions", str(captions),
            "--image-root", str(tmp_path / "images"), "--tagger-checkpoint", str(checkpoint),
            "--tagger-device", "cpu"]


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(("instances", "message"), [
    ('{"images": [{"id": 1, "file_name": "a.png"\n "width": 32}]}', "malformed JSON at line 2"),
    ('{"images": [{"id": 1, "file_name": "a.png", "width": 0, "height": 32}], '
     '"annotations": [], "categories": [{"id": 1, "name": "person"}]}', "has no images"),
], ids=["malformed-instances", "no-images"])
def test_an_input_error_inside_the_label_flow_is_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], error_logs: Path, instances: str,
    message: str,
) -> None:
    path = tmp_path / "instances.json"
    path.write_text(instances)
    (tmp_path / "images").mkdir()
    earlier = set(error_logs.glob("label-*.log"))
    assert main(label_with_ingest(tmp_path, path)) == 2
    stderr = capfd.readouterr().err
    assert "Traceback" not in stderr, stderr
    [line] = error_lines(stderr)
    assert message in line
    assert not (tmp_path / "labels" / "manifest.json").exists()
    [log] = set(error_logs.glob("label-*.log")) - earlier  # Prefect's tracebacks went there
    assert "Traceback" in log.read_text() and message in log.read_text()

"""A label run's inputs are checked before any stage runs: one clear error per mistake."""

import os
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from data_schemas import RLIPv2InputError
from data_schemas.dataset_manifest import DatasetManifest, DatasetSources
from data_schemas.manifest_file import write_manifest
from data_schemas.table_counts import TableCount
from flows.cli import main
from flows.label_inputs import check_label_inputs
from flows.label_parameters import LabelParameters
from flows.training_parameters import PretrainParameters
from pipeline.labelling import BlipSettings


def ingested_manifest(
    *, image_root: Path | None = None, rejects: dict[str, int] | None = None
) -> DatasetManifest:
    return DatasetManifest(dataset="coco", split="train", counts={}, rejects=rejects or {},
                           sources=DatasetSources(image_root=image_root))


@pytest.fixture
def valid(tmp_path: Path) -> LabelParameters:
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    write_manifest(dataset, ingested_manifest())
    torch.save({"model": {}}, tmp_path / "tagger.pt")  # read as weights only; loaded by a task
    (tmp_path / "images").mkdir()
    return LabelParameters(dataset_dir=dataset, out_dir=tmp_path / "out",
                           tagger_checkpoint=tmp_path / "tagger.pt", image_root=tmp_path / "images")


def test_valid_inputs_pass(valid: LabelParameters) -> None:
    check_label_inputs(valid)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dataset_dir": "images"}, "is not an ingested dataset"),
        ({"tagger_checkpoint": "missing.pt"}, r"tagger checkpoint \S+missing.pt does not exist"),
        ({"synonyms_file": "synonyms.json"}, r"synonyms file \S+synonyms.json does not exist"),
        ({"image_root": "tagger.pt"}, r"image root \S+tagger.pt is not a directory"),
        ({"image_root": None}, "was ingested without --image-root"),
        ({"tagger_device": "gpu"}, "tagger device 'gpu' is not a device"),
        ({"blip": BlipSettings(device="cuda:x")}, "BLIP device 'cuda:x' is not a device"),
        ({"then_pretrain": PretrainParameters(config_file=Path("nope.toml"))},
         "config file nope.toml does not exist"),
    ],
)
def test_each_bad_input_is_one_clear_error(
    valid: LabelParameters, tmp_path: Path, change: dict, message: str
) -> None:
    change = {name: tmp_path / value if isinstance(value, str) and name != "tagger_device"
              else value for name, value in change.items()}
    with pytest.raises(RLIPv2InputError, match=message):
        check_label_inputs(valid.model_copy(update=change))


class RunsCode:
    """Pickles as a call of ``os.system``: loading it with plain ``pickle`` would run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


def test_a_checkpoint_that_would_run_code_is_refused_without_running_it(
    valid: LabelParameters, tmp_path: Path
) -> None:
    marker = tmp_path / "code-ran"
    torch.save({"model": {}, "payload": RunsCode(marker)}, valid.tagger_checkpoint)
    with pytest.raises(RLIPv2InputError, match="objects other than tensors"):
        check_label_inputs(valid)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("synonyms", "message"),
    [('{"person": ["man", ', "is not valid JSON: line 1"),
     ('["person", "man"]', "expected")],
)
def test_a_bad_synonyms_file_is_refused(
    valid: LabelParameters, tmp_path: Path, synonyms: str, message: str
) -> None:
    path = tmp_path / "synonyms.json"
    path.write_text(synonyms)
    with pytest.raises(RLIPv2InputError, match=message):
        check_label_inputs(valid.model_copy(update={"synonyms_file": path}))


def test_a_dataset_without_images_is_refused(valid: LabelParameters) -> None:
    empty = ingested_manifest().model_copy(
        update={"tables": {"images": TableCount(schema_version=1, rows=0, shards=1)}}
    )
    write_manifest(valid.dataset_dir, empty)
    with pytest.raises(RLIPv2InputError, match="has no images"):
        check_label_inputs(valid)


def test_the_output_may_not_be_or_hold_the_dataset(valid: LabelParameters) -> None:
    fields = valid.model_dump()
    for out_dir in (valid.dataset_dir, valid.dataset_dir / "labels", valid.dataset_dir.parent):
        with pytest.raises(ValidationError, match="must be separate directories"):
            LabelParameters(**(fields | {"out_dir": out_dir}))
    with pytest.raises(ValidationError, match="only with task_runner 'dask'"):
        LabelParameters(**(fields | {"dask_address": "tcp://127.0.0.1:8786"}))


def test_the_command_line_reports_a_bad_input_before_starting_prefect(
    valid: LabelParameters, capsys: pytest.CaptureFixture
) -> None:
    code = main(["label", "--dataset", str(valid.dataset_dir), "--out", str(valid.out_dir),
                 "--tagger-checkpoint", str(valid.tagger_checkpoint),
                 "--image-root", str(valid.image_root), "--tagger-device", "gpu"])
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("rlipv2: error: tagger device 'gpu' is not a device")
    assert "Traceback" not in error


def test_an_ingest_with_missing_image_files_is_not_reused() -> None:
    """The JSON the ingest key digests cannot tell whether a missing file has arrived."""
    assert ingested_manifest(rejects={"missing_image_file": 3}).missing_image_files() == 3
    assert ingested_manifest(rejects={"degenerate_box": 2}).missing_image_files() == 0


def test_the_image_root_recorded_at_ingest_must_still_be_there(
    valid: LabelParameters, tmp_path: Path
) -> None:
    write_manifest(valid.dataset_dir, ingested_manifest(image_root=tmp_path / "moved"))
    with pytest.raises(RLIPv2InputError, match=r"image root recorded at ingest \S+moved is not"):
        check_label_inputs(valid.model_copy(update={"image_root": None}))
    check_label_inputs(valid)  # an image root given overrides the recorded one

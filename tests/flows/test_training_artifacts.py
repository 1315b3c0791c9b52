"""The training flows publish their progress and metrics as artifacts, read back through
Prefect's API (``prefect_harness``), and refuse a form's config with a message that names the
server's working directory."""

import json
from pathlib import Path

import pytest

from data_schemas import RLIPv2InputError
from flows.training_flows import pretrain, train_tagger
from flows.training_parameters import PretrainParameters, TrainTaggerParameters
from flows.training_report import CHART_FILE, loss_terms
from labelling_world import LabellingWorld
from prefect_artifacts import artifacts_of_run

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_loss_terms_sum_each_loss_over_its_layers():
    terms = {"relations/layer_0": 1.0, "boxes_l1/layer_0": 0.25, "relations/layer_1": 0.5}
    assert loss_terms(terms) == {"relations": 1.5, "boxes_l1": 0.25}


@pytest.mark.parametrize("flow_name", ["train-tagger", "pretrain"])
def test_a_training_run_publishes_progress_epochs_and_loss_curves(
    labelling_world: LabellingWorld, tmp_path: Path, flow_name: str
) -> None:
    output_dir = tmp_path / flow_name
    changes = [f'output_dir="{output_dir}"', "optimization.epochs=2"]
    if flow_name == "train-tagger":
        state = train_tagger(TrainTaggerParameters(
            config_file=labelling_world.tagger_config,
            overrides=[*labelling_world.tagger_overrides, *changes],
        ), return_state=True)
    else:
        state = pretrain(PretrainParameters(
            config_file=labelling_world.pretrain_config,
            overrides=[*labelling_world.pretrain_overrides, *changes],
            relation_threshold=0.0,
        ), return_state=True)
    assert state.result()["epoch"] == 2
    keys = [f"{flow_name}-progress", f"{flow_name}-epochs", f"{flow_name}-loss-curves"]
    found = artifacts_of_run(state.state_details.flow_run_id, keys)
    (progress,) = found[keys[0]]
    assert progress.type == "progress" and float(progress.data) == 100.0
    epochs = found[keys[1]][0]  # the newest: both epochs
    rows = json.loads(epochs.data) if isinstance(epochs.data, str) else epochs.data
    assert [row["epoch"] for row in rows] == [1, 2]
    for row in rows:
        assert row["loss"] > 0 and row["images/s"] > 0 and "lr transformer" in row
        assert "relations" in row and Path(row["checkpoint"]).is_file()
    assert rows[1]["checkpoint"].endswith("checkpoint-000002.pt")
    curves = found[keys[2]][0]
    assert "data:image/png;base64," in str(curves.data)
    assert (output_dir / CHART_FILE).is_file()


def test_a_forms_missing_config_names_the_servers_working_directory(tmp_path: Path) -> None:
    parameters = TrainTaggerParameters(config_file=Path("configs/no-such-tagger.toml"))
    with pytest.raises(RLIPv2InputError, match=r"relative to the server's working directory, /"):
        train_tagger(parameters)

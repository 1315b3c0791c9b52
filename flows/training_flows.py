"""The ``train-tagger`` and ``pretrain`` flows, and starting pretraining after labelling."""

from collections.abc import Sequence
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.deployments import run_deployment
from prefect.runtime import deployment

from data_schemas.errors import RLIPv2InputError
from flows.evaluation_report import publish_evaluation
from flows.output_guard import Inputs, check_output_place, config_inputs
from flows.stage_logs import route_stage_logs
from flows.training_parameters import PretrainParameters, TrainTaggerParameters
from flows.training_report import TrainingArtifacts
from model.config_file import ConfigT, load_config_file
from model.pretrain import run_pretraining
from model.pretrain_config import PretrainConfig
from model.relation_evaluation import evaluate_pretrained
from model.training_loop import TrainingResult
from rtagger.tagger_config import TaggerTrainingConfig
from rtagger.train_tagger import run_tagger_training

PRETRAIN_DEPLOYMENT = "pretrain/pretrain"
"""``<flow name>/<deployment name>`` of the pretraining deployment ``rlipv2 server`` serves."""


@flow(name="train-tagger", description="Train the R-Tagger by denoising on human scene graphs.")
def train_tagger(parameters: TrainTaggerParameters) -> dict:
    route_stage_logs()
    config = form_config(parameters.config_file, TaggerTrainingConfig, parameters.overrides)
    artifacts = TrainingArtifacts(
        "train-tagger", config.output_dir, epochs=config.optimization.epochs
    )
    return report_training(run_tagger_training(config, on_epoch=artifacts))


@flow(name="pretrain", description="Pretrain RLIPv2 on human and pseudo-labelled scene graphs.")
def pretrain(parameters: PretrainParameters) -> dict:
    route_stage_logs()
    config = form_config(parameters.config_file, PretrainConfig, parameters.all_overrides(),
                         other_inputs={"benchmark": parameters.then_evaluate})
    artifacts = TrainingArtifacts("pretrain", config.output_dir, epochs=config.optimization.epochs)
    result = run_pretraining(config, on_epoch=artifacts)
    report = report_training(result)
    if parameters.then_evaluate is not None and result.is_main:
        evaluation = evaluate_pretrained(config.output_dir, parameters.then_evaluate)
        report["metrics"] = publish_evaluation(evaluation)
    return report


def start_pretraining(parameters: PretrainParameters) -> None:
    """Pretrain after labelling: as a run of the pretraining deployment when this run is a
    deployment's (it shows in the UI as its own run, on the server's workers), else as a
    subflow of this run."""
    if deployment.id is None:
        pretrain(parameters)
        return
    follow_up = run_deployment(
        PRETRAIN_DEPLOYMENT,
        parameters={"parameters": parameters.model_dump(mode="json")},
        timeout=0,
        as_subflow=False,
    )
    get_run_logger().info("started pretraining run %s (%s)", follow_up.name, follow_up.id)


def form_config(
    path: Path,
    config_type: type[ConfigT],
    overrides: Sequence[str],
    *,
    other_inputs: Inputs | None = None,
) -> ConfigT:
    """:func:`~model.config_file.load_config_file` for a flow run, whose relative paths are the
    server's (its error says so), with the command line's output guard: the config's
    ``output_dir`` may not be, hold or lie inside the config file, a path the config reads or
    one of ``other_inputs``.

    Raises:
        RLIPv2InputError: the config or an override does not load, or ``output_dir`` is in the
            way of an input.
    """
    try:
        config = load_config_file(path, config_type, overrides)
    except RLIPv2InputError as error:
        raise RLIPv2InputError(
            f"{error} (a form's relative paths are relative to the server's working directory, "
            f"{Path.cwd()})"
        ) from None
    check_output_place(config.output_dir, config_inputs(path, config) | (other_inputs or {}),
                       option="output_dir")
    return config


def report_training(result: TrainingResult) -> dict:
    """The training result as a small JSON-able dict (the flow run's result). The epochs
    were logged as they ended; this logs where training stands."""
    get_run_logger().info("%s", result.report_lines()[-1])
    return {
        "epoch": result.state.epoch,
        "checkpoint_dir": str(result.checkpoint_dir),
        "losses": [stats.mean_loss for stats in result.epochs],
    }

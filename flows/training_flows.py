"""The ``train-tagger`` and ``pretrain`` flows, and starting pretraining after labelling."""

from prefect import flow, get_run_logger
from prefect.deployments import run_deployment
from prefect.runtime import deployment

from flows.evaluation_report import publish_evaluation
from flows.stage_logs import route_stage_logs
from flows.training_parameters import PretrainParameters, TrainTaggerParameters
from model.config_file import load_config_file
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
    config = load_config_file(parameters.config_file, TaggerTrainingConfig, parameters.overrides)
    return report_training(run_tagger_training(config))


@flow(name="pretrain", description="Pretrain RLIPv2 on human and pseudo-labelled scene graphs.")
def pretrain(parameters: PretrainParameters) -> dict:
    route_stage_logs()
    config = load_config_file(parameters.config_file, PretrainConfig, parameters.all_overrides())
    result = run_pretraining(config)
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


def report_training(result: TrainingResult) -> dict:
    """The training result as a small JSON-able dict (the flow run's result), logged per epoch."""
    logger = get_run_logger()
    for line in result.report_lines():
        logger.info("%s", line)
    return {
        "epoch": result.state.epoch,
        "checkpoint_dir": str(result.checkpoint_dir),
        "losses": [stats.mean_loss for stats in result.epochs],
    }

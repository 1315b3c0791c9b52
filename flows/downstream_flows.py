"""The ``finetune`` and ``evaluate`` flows: thin wrappers of the jobs ``rlipv2 finetune`` and
``rlipv2 evaluate`` run, publishing the metrics as artifacts."""

from prefect import flow

from flows.evaluation_parameters import EvaluateParameters, run_evaluation
from flows.evaluation_report import publish_evaluation
from flows.finetune_parameters import FinetuneParameters
from flows.stage_logs import route_stage_logs
from flows.training_flows import form_config, report_training
from model.finetune import evaluate_finetuned, run_finetuning
from model.finetune_config import FinetuneConfig


@flow(name="finetune", description="Fine-tune RLIPv2 on HICO-DET, V-COCO or Open Images.")
def finetune(parameters: FinetuneParameters) -> dict:
    route_stage_logs()
    config = form_config(parameters.config_file, FinetuneConfig, parameters.overrides)
    result = run_finetuning(config)
    report = report_training(result)
    if parameters.then_evaluate and result.is_main:
        report["metrics"] = publish_evaluation(evaluate_finetuned(config))
    return report


@flow(name="evaluate", description="Score a checkpoint or detections file on a benchmark.")
def evaluate(parameters: EvaluateParameters) -> dict:
    route_stage_logs()
    return publish_evaluation(run_evaluation(parameters))

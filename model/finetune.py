"""A fine-tuning run of the RLIPv2 detector on an ingested relation benchmark: CPU, GPU or
torchrun, resumable like pretraining (same loop, checkpoints and rejects)."""

from dataclasses import replace

import torch

from data_schemas.errors import RLIPv2InputError
from model.config_file import config_as_dict
from model.data.finetune_data import build_finetune_loader, read_finetune_annotations
from model.detector_checkpoint import LABEL_TEXTS_KEY, read_detector_checkpoint
from model.detector_config import DetectorConfig
from model.detector_training import build_initial_detector, detector_loss
from model.distributed import end_process, start_process
from model.finetune_config import FinetuneConfig
from model.relation_evaluation import EvaluationResult, evaluate_latest_checkpoint
from model.training_loop import TrainingResult
from model.training_run import train_on


def run_finetuning(config: FinetuneConfig) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs on the benchmark's training split over its
    fixed label texts, resuming from the newest checkpoint in ``<output_dir>/checkpoints``.
    The checkpoints record the detector's configuration and the label texts, so that
    ``rlipv2 evaluate`` rebuilds it and refuses a benchmark with other texts."""
    model = finetuned_model_config(config)
    context = start_process(config.device)
    try:
        torch.manual_seed(config.data.seed)
        annotations = read_finetune_annotations(config.data)
        data = build_finetune_loader(
            annotations,
            config.data,
            batch_size=config.batch_size,
            num_workers=config.num_workers,
            distributed=context.is_distributed,
            pin_memory=context.device.type == "cuda",
        )
        record = config_as_dict(replace(config, model=model))
        record[LABEL_TEXTS_KEY] = {
            "entity_texts": list(annotations.label_texts.entity_texts),
            "relation_texts": list(annotations.label_texts.relation_texts),
        }
        return train_on(
            data,
            config,
            context,
            seed=config.data.seed,
            build_model=lambda: build_initial_detector(model, config.init_from),
            make_loss=detector_loss,
            config_record=record,
        )
    finally:
        end_process(context)


def finetuned_model_config(config: FinetuneConfig) -> DetectorConfig:
    """``config.model``, or the detector ``init_from`` was trained as.

    Raises:
        RLIPv2InputError: the criterion's decoder layers are not the model's.
    """
    model = config.model or read_detector_checkpoint(config.init_from, complete=False).model
    if config.criterion.num_decoder_layers != model.decoder_layers:
        raise RLIPv2InputError(
            f"criterion.num_decoder_layers ({config.criterion.num_decoder_layers}) must equal "
            f"the model's decoder_layers ({model.decoder_layers})"
        )
    return model


def evaluate_finetuned(config: FinetuneConfig) -> EvaluationResult:
    """Score the newest checkpoint of a fine-tuning run on its benchmark's test split (with the
    run's zero-shot setting, if any): detections and metrics go to ``config.output_dir``.

    Raises:
        RLIPv2InputError: the run has no checkpoint yet.
    """
    scoring = replace(config.evaluation.scoring, zero_shot=config.data.zero_shot)
    return evaluate_latest_checkpoint(
        config.output_dir,
        config.data.benchmark_dir,
        replace(config.evaluation, scoring=scoring),
    )

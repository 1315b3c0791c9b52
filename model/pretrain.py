"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

from model.detector_training import build_initial_detector, detector_loss
from model.distributed import end_process, start_process
from model.pretrain_config import PretrainConfig
from model.training_loop import TrainingResult
from model.training_run import run_training


def run_pretraining(config: PretrainConfig) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs, resuming from the newest checkpoint in
    ``<output_dir>/checkpoints``."""
    context = start_process(config.device)
    try:
        return run_training(
            config,
            context,
            seed=config.data.seed,
            build_model=lambda: build_initial_detector(config.model, config.init_from),
            make_loss=detector_loss,
        )
    finally:
        end_process(context)

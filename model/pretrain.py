"""A pretraining run of the RLIPv2 detector: CPU, GPU or torchrun."""

from collections.abc import Callable

from model.detector_training import build_initial_detector, detector_loss
from model.distributed import end_process, start_process
from model.pretrain_config import PretrainConfig
from model.training_loop import EpochReport, TrainingResult
from model.training_run import run_training


def run_pretraining(
    config: PretrainConfig, *, on_epoch: Callable[[EpochReport], None] | None = None
) -> TrainingResult:
    """Train ``config.optimization.epochs`` epochs, resuming from the newest checkpoint in
    ``<output_dir>/checkpoints``; ``on_epoch`` hears of each finished epoch (rank 0)."""
    context = start_process(config.device)
    try:
        return run_training(
            config,
            context,
            seed=config.data.seed,
            build_model=lambda: build_initial_detector(config.model, config.init_from),
            make_loss=detector_loss,
            on_epoch=on_epoch,
        )
    finally:
        end_process(context)

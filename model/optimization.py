"""Optimizer settings and the step schedule of pretraining."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class OptimizationConfig:
    """AdamW with separate learning rates, gradient clipping and one step decay (paper §4.4:
    lr 1.41e-4, backbone and text encoder 1.41e-5, weight decay 1e-4, clip 0.1, x0.1 at
    epoch 15 of 20)."""

    learning_rate: float = 1.41e-4
    backbone_learning_rate: float = 1.41e-5
    text_encoder_learning_rate: float = 1.41e-5
    weight_decay: float = 1e-4
    max_grad_norm: float = 0.1
    epochs: int = 20
    lr_drop_epoch: int = 15
    lr_drop_factor: float = 0.1

    def __post_init__(self) -> None:
        rates = (self.learning_rate, self.backbone_learning_rate, self.text_encoder_learning_rate)
        if any(rate < 0 for rate in rates) or self.learning_rate == 0:
            raise ValueError(f"learning rates must be >= 0 (the main one > 0), got {rates}")
        if self.weight_decay < 0 or self.max_grad_norm <= 0:
            raise ValueError("weight_decay must be >= 0 and max_grad_norm > 0")
        if self.epochs < 1 or self.lr_drop_epoch < 1:
            raise ValueError("epochs and lr_drop_epoch must be >= 1")


def build_optimizer(
    parameter_groups: list[dict], config: OptimizationConfig
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW over ``parameter_groups`` (each with its own ``lr``) and a per-epoch step decay."""
    optimizer = torch.optim.AdamW(parameter_groups, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(
        optimizer, step_size=config.lr_drop_epoch, gamma=config.lr_drop_factor
    )
    return optimizer, scheduler



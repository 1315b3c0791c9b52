"""The inverse of the sigmoid, clamped: where box refinement adds its deltas."""

import torch


def inverse_sigmoid(values: torch.Tensor, *, eps: float = 1e-5) -> torch.Tensor:
    """log(x / (1 - x)) for x in [0, 1], with x clamped to [eps, 1 - eps] (any shape)."""
    values = values.clamp(min=0.0, max=1.0)
    return torch.log(values.clamp(min=eps) / (1.0 - values).clamp(min=eps))

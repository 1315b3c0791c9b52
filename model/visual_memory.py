"""The encoder's output that the decoders attend to."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class VisualMemory:
    """Flattened multi-scale encoder features.

    Attributes:
        features: (batch, total_tokens, hidden_dim), levels concatenated finest first.
        padding_mask: (batch, total_tokens) bool, True = padding.
        spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
        level_start_index: (num_levels,) int64, first token of each level.
        valid_ratios: (batch, num_levels, 2) float, (width, height) share of each level that
            is not padding.
    """

    features: torch.Tensor
    padding_mask: torch.Tensor
    spatial_shapes: torch.Tensor
    level_start_index: torch.Tensor
    valid_ratios: torch.Tensor

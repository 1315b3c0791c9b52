"""Projection of label-text features to the detector's width (RLIPv2's ``FeatureResizer``)."""

import torch
from torch import nn


class FeatureResizer(nn.Module):
    """``Dropout(LayerNorm(Linear(features)))``, LayerNorm eps 1e-12 as in RLIPv2 (768 -> 256).

    Args:
        input_dim: width of the incoming features (RoBERTa's 768).
        output_dim: width of the outgoing features (the detector's hidden 256).
        dropout: dropout probability after the LayerNorm (0.1 in RLIPv2).
    """

    def __init__(self, *, input_dim: int, output_dim: int, dropout: float) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.projection = nn.Linear(input_dim, output_dim)
        self.norm = nn.LayerNorm(output_dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """
        Args:
            features: (..., input_dim), e.g. (num_stages, batch, num_texts, input_dim).

        Returns:
            (..., output_dim).
        """
        return self.dropout(self.norm(self.projection(features)))

"""The transformer layers' feed-forward block, with its residual and post-norm."""

import torch
from torch import nn
from torch.nn import functional


class FeedForward(nn.Module):
    """``norm(x + dropout(W2 dropout(relu(W1 x))))``, as in Deformable-DETR's layers."""

    def __init__(self, *, hidden_dim: int, feedforward_dim: int, dropout: float) -> None:
        super().__init__()
        self.expand = nn.Linear(hidden_dim, feedforward_dim)
        self.contract = nn.Linear(feedforward_dim, hidden_dim)
        self.hidden_dropout = nn.Dropout(dropout)
        self.output_dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(hidden_dim)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(..., hidden_dim) -> (..., hidden_dim)."""
        hidden = self.hidden_dropout(functional.relu(self.expand(inputs)))
        return self.norm(inputs + self.output_dropout(self.contract(hidden)))

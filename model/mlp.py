"""The multi-layer perceptron of the project (box heads and other small projections)."""

import torch
from torch import nn
from torch.nn import functional


class MLP(nn.Module):
    """``num_layers`` linear layers with a ReLU between consecutive layers (none after the last).

    The hidden layers all have width ``hidden_dim``: ``MLP(256, 256, 4, 3)`` is
    Linear(256, 256) -> ReLU -> Linear(256, 256) -> ReLU -> Linear(256, 4).

    Args:
        input_dim: width of the input's last dimension.
        hidden_dim: width of every hidden layer (unused when ``num_layers == 1``).
        output_dim: width of the output's last dimension.
        num_layers: number of linear layers, >= 1.
    """

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if min(input_dim, hidden_dim, output_dim) < 1:
            raise ValueError(
                f"dimensions must be >= 1, got input {input_dim}, hidden {hidden_dim}, "
                f"output {output_dim}"
            )
        input_dims = [input_dim] + [hidden_dim] * (num_layers - 1)
        output_dims = [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(
            nn.Linear(in_features, out_features)
            for in_features, out_features in zip(input_dims, output_dims, strict=True)
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """
        Args:
            inputs: (..., input_dim).

        Returns:
            (..., output_dim).
        """
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            inputs = layer(inputs)
            if index < last:
                inputs = functional.relu(inputs)
        return inputs

"""ParSeDA's query positions: DAB-DETR's embedding of each query's current anchor box.

At every decoder layer, a query's position is a 2-layer MLP of the sine embedding of its
reference box (as given to the layer, on the finest level's padded map), and from the second
layer on it is scaled elementwise by a 2-layer MLP of the query's state: the position moves
with the anchor as the boxes are refined.
"""

import torch
from torch import nn

from model.mlp import MLP
from model.position_encoding import sine_box_embedding


class AnchorQueryPosition(nn.Module):
    """Position embedding of anchor boxes (``ref_point_head`` and ``query_scale`` of DAB-DETR).

    Args:
        hidden_dim: query width; the sine embedding has ``hidden_dim // 2`` features per box
            coordinate (``2 * hidden_dim`` in all).
    """

    def __init__(self, *, hidden_dim: int) -> None:
        super().__init__()
        if hidden_dim < 4 or hidden_dim % 4 != 0:
            raise ValueError(f"hidden_dim must be a positive multiple of 4, got {hidden_dim}")
        self.hidden_dim = hidden_dim
        self.anchor_projection = MLP(2 * hidden_dim, hidden_dim, hidden_dim, 2)
        self.state_scale = MLP(hidden_dim, hidden_dim, hidden_dim, 2)

    def forward(self, anchors: torch.Tensor, states: torch.Tensor | None) -> torch.Tensor:
        """
        Args:
            anchors: (batch, num_queries, 4) cxcywh reference boxes on the finest level's padded
                map (image coordinates times the valid ratios).
            states: (batch, num_queries, hidden_dim) the queries' states entering the layer, or
                None at the first layer (no scaling).

        Returns:
            (batch, num_queries, hidden_dim).
        """
        embedded = sine_box_embedding(anchors, num_features=self.hidden_dim // 2)
        position = self.anchor_projection(embedded.to(anchors.dtype))
        if states is None:
            return position
        return self.state_scale(states) * position

"""The deformable decoder layer: query self-attention, deformable cross-attention to the
encoder memory, feed-forward block; post-norm (Deformable-DETR)."""

import torch
from torch import nn

from model.deformable_attention import MultiScaleDeformableAttention
from model.feedforward import FeedForward


class DeformableDecoderLayer(nn.Module):
    """
    Args:
        hidden_dim: query and memory width.
        feedforward_dim: hidden width of the feed-forward block (2048 in RLIPv2).
        dropout: dropout after each attention and inside/after the feed-forward block.
        num_levels: feature levels of the memory (4).
        num_heads: heads of both attentions (8).
        num_points: sampled points per head and level in the cross-attention (4).
    """

    def __init__(
        self,
        *,
        hidden_dim: int,
        feedforward_dim: int,
        dropout: float,
        num_levels: int,
        num_heads: int,
        num_points: int,
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_heads = num_heads
        self.self_attention = nn.MultiheadAttention(
            hidden_dim, num_heads, dropout=dropout, batch_first=True
        )
        self.self_attention_dropout = nn.Dropout(dropout)
        self.self_attention_norm = nn.LayerNorm(hidden_dim)
        self.cross_attention = MultiScaleDeformableAttention(
            hidden_dim=hidden_dim, num_levels=num_levels, num_heads=num_heads, num_points=num_points
        )
        self.cross_attention_dropout = nn.Dropout(dropout)
        self.cross_attention_norm = nn.LayerNorm(hidden_dim)
        self.feedforward = FeedForward(
            hidden_dim=hidden_dim, feedforward_dim=feedforward_dim, dropout=dropout
        )

    def forward(
        self,
        *,
        queries: torch.Tensor,
        query_position: torch.Tensor,
        reference_points: torch.Tensor,
        memory: torch.Tensor,
        spatial_shapes: torch.Tensor,
        level_start_index: torch.Tensor,
        memory_padding_mask: torch.Tensor | None = None,
        query_padding_mask: torch.Tensor | None = None,
        self_attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            queries: (batch, num_queries, hidden_dim) query content.
            query_position: (batch, num_queries, hidden_dim), added to the queries and keys of
                the self-attention and to the query of the cross-attention.
            reference_points: (batch, num_queries, num_levels, 2) points (x, y) or
                (batch, num_queries, num_levels, 4) boxes (cx, cy, w, h), normalised to each
                level's padded map (unpadded-image coordinates times the valid ratios).
            memory: (batch, total_tokens, hidden_dim) encoder output, levels finest first.
            spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
            level_start_index: (num_levels,) int64, first token of each level.
            memory_padding_mask: (batch, total_tokens) bool, True = padding; None = none.
            query_padding_mask: (batch, num_queries) bool, True = padding slot: no query
                attends to it. None = no padding.
            self_attention_mask: (num_queries, num_queries) or
                (batch * num_heads, num_queries, num_queries) bool, True = query i may not
                attend to query j (batch-major: row ``b * num_heads + h``). None = no mask.
                A query left with nothing to attend to (every key masked) attends to itself
                only, so that its output stays finite.

        Returns:
            (batch, num_queries, hidden_dim).
        """
        attention_mask = self._self_attention_mask(queries, query_padding_mask, self_attention_mask)
        queries_and_keys = queries + query_position
        attended, _ = self.self_attention(
            queries_and_keys,
            queries_and_keys,
            queries,
            attn_mask=attention_mask,
            need_weights=False,
        )
        queries = self.self_attention_norm(queries + self.self_attention_dropout(attended))

        attended = self.cross_attention(
            query=queries + query_position,
            reference_points=reference_points,
            value=memory,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            value_padding_mask=memory_padding_mask,
        )
        queries = self.cross_attention_norm(queries + self.cross_attention_dropout(attended))

        return self.feedforward(queries)

    def _self_attention_mask(
        self,
        queries: torch.Tensor,
        query_padding_mask: torch.Tensor | None,
        self_attention_mask: torch.Tensor | None,
    ) -> torch.Tensor | None:
        """Both masks merged into one (batch * num_heads, num_queries, num_queries) bool mask,
        True = not allowed, with the diagonal re-opened on rows that would be fully masked."""
        if query_padding_mask is None and self_attention_mask is None:
            return None
        batch_size, num_queries, _ = queries.shape
        shape = (batch_size, self.num_heads, num_queries, num_queries)
        flat_shape = (batch_size * self.num_heads, num_queries, num_queries)
        blocked = torch.zeros(shape, dtype=torch.bool, device=queries.device)
        if query_padding_mask is not None:
            blocked = blocked | query_padding_mask[:, None, None, :]  # block padded keys
        if self_attention_mask is not None:
            if self_attention_mask.shape == (num_queries, num_queries):
                blocked = blocked | self_attention_mask
            elif self_attention_mask.shape == flat_shape:
                blocked = blocked | self_attention_mask.view(shape)
            else:
                raise ValueError(
                    "self_attention_mask must be (num_queries, num_queries) or (batch * num_heads, "
                    f"num_queries, num_queries) = {flat_shape}, got "
                    f"{tuple(self_attention_mask.shape)}"
                )
        fully_blocked = blocked.all(dim=-1, keepdim=True)  # (batch, num_heads, num_queries, 1)
        diagonal = torch.eye(num_queries, dtype=torch.bool, device=queries.device)
        blocked = blocked & ~(fully_blocked & diagonal)
        return blocked.view(flat_shape)

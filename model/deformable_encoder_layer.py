"""The deformable encoder layer and the flattened multi-scale input it works on.

Levels are flattened row-major and concatenated finest first: a token's position in the
sequence is ``level_start_index[level] + row * width + column``. Coordinates follow
:mod:`model.deformable_attention`: normalised to each level's padded map. The valid ratios
convert between that frame and the unpadded image's: a point (x, y) in [0, 1] of the unpadded
image is (x * valid_ratio_x, y * valid_ratio_y) on the padded map.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model.deformable_attention import MultiScaleDeformableAttention
from model.feedforward import FeedForward


@dataclass(frozen=True)
class FlattenedLevels:
    """Multi-scale feature maps as one token sequence.

    Attributes:
        features: (batch, total_tokens, hidden_dim).
        position: (batch, total_tokens, hidden_dim) position encoding (plus the level
            embedding when one was given).
        padding_mask: (batch, total_tokens) bool, True = padding.
        spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
        level_start_index: (num_levels,) int64, first token of each level.
        valid_ratios: (batch, num_levels, 2) float, (width, height) share of each level that is
            not padding, in (0, 1].
    """

    features: torch.Tensor
    position: torch.Tensor
    padding_mask: torch.Tensor
    spatial_shapes: torch.Tensor
    level_start_index: torch.Tensor
    valid_ratios: torch.Tensor


def flatten_levels(
    *,
    feature_maps: Sequence[torch.Tensor],
    padding_masks: Sequence[torch.Tensor],
    position_encodings: Sequence[torch.Tensor],
    level_embedding: torch.Tensor | None = None,
) -> FlattenedLevels:
    """Flattens and concatenates the levels, finest (first) to coarsest.

    Args:
        feature_maps: per level (batch, hidden_dim, height_l, width_l).
        padding_masks: per level (batch, height_l, width_l) bool, True = padding.
        position_encodings: per level (batch, hidden_dim, height_l, width_l).
        level_embedding: (num_levels, hidden_dim) added to every position of its level, or None.
    """
    num_levels = len(feature_maps)
    if num_levels == 0 or not len(padding_masks) == len(position_encodings) == num_levels:
        raise ValueError(
            f"need one padding mask and one position encoding per level, got {num_levels} maps, "
            f"{len(padding_masks)} masks and {len(position_encodings)} encodings"
        )
    if level_embedding is not None and level_embedding.shape[0] != num_levels:
        raise ValueError(
            f"level_embedding has {level_embedding.shape[0]} rows for {num_levels} levels"
        )
    features, positions, masks, shapes = [], [], [], []
    for level, (feature_map, mask, encoding) in enumerate(
        zip(feature_maps, padding_masks, position_encodings, strict=True)
    ):
        height, width = feature_map.shape[-2:]
        if mask.shape[-2:] != (height, width) or encoding.shape[-2:] != (height, width):
            raise ValueError(
                f"level {level}: mask {tuple(mask.shape)} and position {tuple(encoding.shape)} "
                f"do not match the feature map {tuple(feature_map.shape)}"
            )
        shapes.append((height, width))
        # (batch, hidden_dim, height, width) -> (batch, height * width, hidden_dim)
        features.append(feature_map.flatten(2).transpose(1, 2))
        position = encoding.flatten(2).transpose(1, 2)
        if level_embedding is not None:
            position = position + level_embedding[level]
        positions.append(position)
        masks.append(mask.flatten(1))  # (batch, height * width)
    device = feature_maps[0].device
    spatial_shapes = torch.tensor(shapes, dtype=torch.int64, device=device)
    sizes = spatial_shapes.prod(dim=1)
    level_start_index = torch.cat([sizes.new_zeros(1), sizes.cumsum(dim=0)[:-1]])
    return FlattenedLevels(
        features=torch.cat(features, dim=1),
        position=torch.cat(positions, dim=1),
        padding_mask=torch.cat(masks, dim=1),
        spatial_shapes=spatial_shapes,
        level_start_index=level_start_index,
        valid_ratios=valid_ratios(padding_masks),
    )


def valid_ratios(padding_masks: Sequence[torch.Tensor]) -> torch.Tensor:
    """Share of each level that is image, not padding.

    Args:
        padding_masks: per level (batch, height_l, width_l) bool, True = padding; the image
            sits at the top left.

    Returns:
        (batch, num_levels, 2) float32, (valid_width / width, valid_height / height).
    """
    ratios = []
    for mask in padding_masks:
        height, width = mask.shape[-2:]
        valid_height = (~mask[:, :, 0]).sum(dim=1).to(torch.float32)  # image rows, first column
        valid_width = (~mask[:, 0, :]).sum(dim=1).to(torch.float32)  # image columns, first row
        ratios.append(torch.stack([valid_width / width, valid_height / height], dim=-1))
    return torch.stack(ratios, dim=1)


def encoder_reference_points(
    spatial_shapes: torch.Tensor, valid_ratios: torch.Tensor
) -> torch.Tensor:
    """The encoder's reference points: every token's pixel centre, seen from every level.

    Args:
        spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
        valid_ratios: (batch, num_levels, 2) float, (width, height) valid shares.

    Returns:
        (batch, total_tokens, num_levels, 2) (x, y) on each level's padded map: the token's
        centre is taken relative to its own level's unpadded area (so tokens of different
        levels at the same image location agree) and scaled by each level's valid ratio.
        Padded tokens get coordinates above the valid ratio; they are never attended to.
    """
    points = []
    for level, (height, width) in enumerate(spatial_shapes.tolist()):
        centre_y, centre_x = torch.meshgrid(
            torch.arange(height, dtype=torch.float32, device=valid_ratios.device) + 0.5,
            torch.arange(width, dtype=torch.float32, device=valid_ratios.device) + 0.5,
            indexing="ij",
        )
        # Pixel centres -> [0, 1] of this level's unpadded area: (batch, height * width)
        x = centre_x.reshape(1, -1) / (valid_ratios[:, None, level, 0] * width)
        y = centre_y.reshape(1, -1) / (valid_ratios[:, None, level, 1] * height)
        points.append(torch.stack([x, y], dim=-1))
    reference = torch.cat(points, dim=1)  # (batch, total_tokens, 2) in [0, 1] of the image
    return reference[:, :, None] * valid_ratios[:, None]


class DeformableEncoderLayer(nn.Module):
    """Deformable self-attention over all levels, then a feed-forward block; post-norm.

    Args:
        hidden_dim: token width.
        feedforward_dim: hidden width of the feed-forward block (2048 in RLIPv2).
        dropout: dropout after attention and inside/after the feed-forward block (0.0 in RLIPv2).
        num_levels: feature levels (4).
        num_heads: attention heads (8).
        num_points: sampled points per head and level (4).
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
        self.self_attention = MultiScaleDeformableAttention(
            hidden_dim=hidden_dim, num_levels=num_levels, num_heads=num_heads, num_points=num_points
        )
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = nn.LayerNorm(hidden_dim)
        self.feedforward = FeedForward(
            hidden_dim=hidden_dim, feedforward_dim=feedforward_dim, dropout=dropout
        )

    def forward(
        self,
        features: torch.Tensor,
        position: torch.Tensor,
        reference_points: torch.Tensor,
        spatial_shapes: torch.Tensor,
        level_start_index: torch.Tensor,
        padding_mask: torch.Tensor,
    ) -> torch.Tensor:
        """
        Args:
            features: (batch, total_tokens, hidden_dim), levels flattened finest first.
            position: (batch, total_tokens, hidden_dim) position (+ level) embedding.
            reference_points: (batch, total_tokens, num_levels, 2) (x, y) on each level's padded
                map, from :func:`encoder_reference_points`.
            spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
            level_start_index: (num_levels,) int64, first token of each level.
            padding_mask: (batch, total_tokens) bool, True = padding (never sampled from).

        Returns:
            (batch, total_tokens, hidden_dim).
        """
        attended = self.self_attention(
            query=features + position,
            reference_points=reference_points,
            value=features,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            value_padding_mask=padding_mask,
        )
        features = self.attention_norm(features + self.attention_dropout(attended))
        return self.feedforward(features)

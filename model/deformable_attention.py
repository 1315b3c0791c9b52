"""Multi-scale deformable attention (Deformable-DETR), in pure PyTorch.

Each query attends, per head, to ``num_points`` sampled locations on each of ``num_levels``
feature maps. The locations are a reference point plus learned offsets; the sampled values
(bilinear interpolation) are averaged with learned weights that are softmax-normalised over the
``num_levels * num_points`` samples of a head.

Coordinates. A sampling location (x, y) is normalised to its level's padded map: (0, 0) is the
top-left corner of the top-left pixel, (1, 1) the bottom-right corner of the bottom-right pixel,
so pixel (row i, column j) has its centre at ((j + 0.5) / width, (i + 0.5) / height).
Locations outside [0, 1] read zeros (zero padding), as in the CUDA kernel.

:func:`multi_scale_deformable_attention` (``grid_sample``) is the default path;
:func:`multi_scale_deformable_attention_reference` interpolates point by point and is the test
oracle.
"""

import math

import torch
from torch import nn
from torch.nn import functional


def multi_scale_deformable_attention(
    value: torch.Tensor,
    spatial_shapes: torch.Tensor,
    sampling_locations: torch.Tensor,
    attention_weights: torch.Tensor,
) -> torch.Tensor:
    """Weighted sum of bilinearly sampled values, with ``grid_sample``.

    Args:
        value: (batch, total_tokens, num_heads, head_dim); the levels' maps flattened row-major
            and concatenated in the order of ``spatial_shapes``.
        spatial_shapes: (num_levels, 2) int64, (height, width) of each level; the heights times
            widths sum to ``total_tokens``.
        sampling_locations: (batch, num_queries, num_heads, num_levels, num_points, 2), (x, y)
            normalised to each level's padded map (see the module docstring); outside [0, 1]
            samples zeros.
        attention_weights: (batch, num_queries, num_heads, num_levels, num_points), usually
            summing to 1 over (num_levels, num_points).

    Returns:
        (batch, num_queries, num_heads * head_dim), heads concatenated.
    """
    batch_size, _, num_heads, head_dim = value.shape
    _, num_queries, _, num_levels, num_points, _ = sampling_locations.shape
    shapes = [(int(height), int(width)) for height, width in spatial_shapes.tolist()]
    value_per_level = value.split([height * width for height, width in shapes], dim=1)
    # grid_sample wants (x, y) in [-1, 1]; with align_corners=False, -1 and 1 are the outer
    # edges of the border pixels, which matches the [0, 1] convention above.
    grids = 2 * sampling_locations - 1
    sampled_per_level = []
    for level, (height, width) in enumerate(shapes):
        # (batch, height * width, num_heads, head_dim)
        #   -> (batch * num_heads, head_dim, height, width)
        level_value = (
            value_per_level[level]
            .permute(0, 2, 3, 1)
            .reshape(batch_size * num_heads, head_dim, height, width)
        )
        # (batch, num_queries, num_heads, num_points, 2)
        #   -> (batch * num_heads, num_queries, num_points, 2)
        level_grid = grids[:, :, :, level].transpose(1, 2).flatten(0, 1)
        sampled_per_level.append(
            functional.grid_sample(
                level_value,
                level_grid,
                mode="bilinear",
                padding_mode="zeros",
                align_corners=False,
            )
        )  # (batch * num_heads, head_dim, num_queries, num_points)
    # (batch * num_heads, head_dim, num_queries, num_levels, num_points)
    sampled = torch.stack(sampled_per_level, dim=3)
    # (batch, num_queries, num_heads, num_levels, num_points)
    #   -> (batch * num_heads, 1, num_queries, num_levels, num_points)
    weights = attention_weights.transpose(1, 2).reshape(
        batch_size * num_heads, 1, num_queries, num_levels, num_points
    )
    output = (sampled * weights).sum(dim=(3, 4))  # (batch * num_heads, head_dim, num_queries)
    return output.view(batch_size, num_heads * head_dim, num_queries).transpose(1, 2)


def multi_scale_deformable_attention_reference(
    value: torch.Tensor,
    spatial_shapes: torch.Tensor,
    sampling_locations: torch.Tensor,
    attention_weights: torch.Tensor,
) -> torch.Tensor:
    """Same contract as :func:`multi_scale_deformable_attention`, one point at a time with
    hand-written bilinear interpolation. Slow: for tests only."""
    batch_size, _, num_heads, head_dim = value.shape
    _, num_queries, _, num_levels, num_points, _ = sampling_locations.shape
    shapes = [(int(height), int(width)) for height, width in spatial_shapes.tolist()]
    level_starts = [0]
    for height, width in shapes[:-1]:
        level_starts.append(level_starts[-1] + height * width)

    outputs = []
    for batch_index in range(batch_size):
        for query in range(num_queries):
            for head in range(num_heads):
                head_output = value.new_zeros(head_dim)
                for level, (height, width) in enumerate(shapes):
                    start = level_starts[level]
                    level_map = value[batch_index, start : start + height * width, head]
                    level_map = level_map.view(height, width, head_dim)
                    for point in range(num_points):
                        location = sampling_locations[batch_index, query, head, level, point]
                        sample = _bilinear_sample(level_map, location[0], location[1])
                        weight = attention_weights[batch_index, query, head, level, point]
                        head_output = head_output + weight * sample
                outputs.append(head_output)
    return torch.stack(outputs).view(batch_size, num_queries, num_heads * head_dim)


def _bilinear_sample(level_map: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """level_map: (height, width, channels); (x, y) scalars normalised as in the module
    docstring. Returns (channels,): the bilinear mix of the 4 neighbouring pixel centres,
    neighbours outside the map counting as zeros."""
    height, width, channels = level_map.shape
    column = x * width - 0.5  # continuous pixel coordinates: pixel (i, j) has its centre at (j, i)
    row = y * height - 0.5
    left = math.floor(float(column))
    top = math.floor(float(row))
    right_share = column - left
    bottom_share = row - top
    corners = (
        (top, left, (1 - bottom_share) * (1 - right_share)),
        (top, left + 1, (1 - bottom_share) * right_share),
        (top + 1, left, bottom_share * (1 - right_share)),
        (top + 1, left + 1, bottom_share * right_share),
    )
    sample = level_map.new_zeros(channels)
    for corner_row, corner_column, corner_weight in corners:
        if 0 <= corner_row < height and 0 <= corner_column < width:
            sample = sample + corner_weight * level_map[corner_row, corner_column]
    return sample


class MultiScaleDeformableAttention(nn.Module):
    """Deformable attention of queries to a flattened multi-scale value map.

    Args:
        hidden_dim: width of queries, values and output; divisible by ``num_heads``.
        num_levels: feature levels in the value.
        num_heads: attention heads, each with its own offsets and weights.
        num_points: sampled points per head and level.
    """

    def __init__(
        self, *, hidden_dim: int, num_levels: int, num_heads: int, num_points: int
    ) -> None:
        super().__init__()
        if num_heads < 1 or hidden_dim % num_heads != 0:
            raise ValueError(
                f"hidden_dim ({hidden_dim}) must be a positive multiple of num_heads ({num_heads})"
            )
        if num_levels < 1 or num_points < 1:
            raise ValueError(
                f"num_levels and num_points must be >= 1, got {num_levels} and {num_points}"
            )
        self.hidden_dim = hidden_dim
        self.num_levels = num_levels
        self.num_heads = num_heads
        self.num_points = num_points
        self.sampling_offsets = nn.Linear(hidden_dim, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(hidden_dim, num_heads * num_levels * num_points)
        self.value_projection = nn.Linear(hidden_dim, hidden_dim)
        self.output_projection = nn.Linear(hidden_dim, hidden_dim)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Deformable-DETR's initialisation: offsets start as a fixed pattern (head h points
        in direction 2 pi h / num_heads, point p at distance p + 1 pixels, in the level's pixel
        units), attention weights start uniform, projections are Xavier-uniform."""
        nn.init.zeros_(self.sampling_offsets.weight)
        angles = torch.arange(self.num_heads, dtype=torch.float32) * (2 * math.pi / self.num_heads)
        directions = torch.stack([angles.cos(), angles.sin()], dim=-1)  # (num_heads, 2)
        # Scale so that the larger of |x|, |y| is 1: the first point lands on a neighbour pixel.
        directions = directions / directions.abs().max(dim=-1, keepdim=True).values
        distances = torch.arange(1, self.num_points + 1, dtype=torch.float32)
        pattern = directions[:, None, None, :] * distances[None, None, :, None]
        pattern = pattern.expand(self.num_heads, self.num_levels, self.num_points, 2)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(pattern.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for projection in (self.value_projection, self.output_projection):
            nn.init.xavier_uniform_(projection.weight)
            nn.init.zeros_(projection.bias)

    def forward(
        self,
        *,
        query: torch.Tensor,
        reference_points: torch.Tensor,
        value: torch.Tensor,
        spatial_shapes: torch.Tensor,
        level_start_index: torch.Tensor,
        value_padding_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            query: (batch, num_queries, hidden_dim), position embedding already added.
            reference_points: (batch, num_queries, num_levels, 2) points (x, y), or
                (batch, num_queries, num_levels, 4) boxes (cx, cy, w, h); normalised to each
                level's padded map (see the module docstring), i.e. a point relative to the
                unpadded image already multiplied by that level's valid ratio. Point offsets are
                in pixels of the level; box offsets are in units of half the box size divided
                by ``num_points``, so the samples start inside the box.
            value: (batch, total_tokens, hidden_dim), the levels flattened row-major and
                concatenated in the order of ``spatial_shapes`` (before the value projection).
            spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
            level_start_index: (num_levels,) int64, first token of each level in ``value``.
            value_padding_mask: (batch, total_tokens) bool, True = padding; padded values are
                zeroed, so they contribute nothing. None = no padding.

        Returns:
            (batch, num_queries, hidden_dim).
        """
        batch_size, num_queries, _ = query.shape
        _check_levels(value, spatial_shapes, level_start_index, self.num_levels)
        if reference_points.shape[:3] != (batch_size, num_queries, self.num_levels) or (
            reference_points.shape[-1] not in (2, 4)
        ):
            raise ValueError(
                "reference_points must be (batch, num_queries, num_levels, 2 or 4) = "
                f"({batch_size}, {num_queries}, {self.num_levels}, 2|4), "
                f"got {tuple(reference_points.shape)}"
            )
        head_dim = self.hidden_dim // self.num_heads

        projected_value = self.value_projection(value)
        if value_padding_mask is not None:
            projected_value = projected_value.masked_fill(value_padding_mask[..., None], 0.0)
        projected_value = projected_value.view(batch_size, -1, self.num_heads, head_dim)

        offsets = self.sampling_offsets(query).view(
            batch_size, num_queries, self.num_heads, self.num_levels, self.num_points, 2
        )
        weights = self.attention_weights(query).view(
            batch_size, num_queries, self.num_heads, self.num_levels * self.num_points
        )
        weights = weights.softmax(dim=-1).view(
            batch_size, num_queries, self.num_heads, self.num_levels, self.num_points
        )
        # Broadcast the reference over heads and points: (batch, num_queries, 1, num_levels, 1, 2|4)
        reference = reference_points[:, :, None, :, None, :]
        if reference_points.shape[-1] == 2:
            # Offsets are in pixels: divide by (width, height) of each level.
            # (num_levels, 2) = (width, height) of each level
            level_sizes = spatial_shapes.flip(-1).to(offsets.dtype)
            locations = reference + offsets / level_sizes[None, None, None, :, None, :]
        else:
            half_sizes = reference[..., 2:] * 0.5
            locations = reference[..., :2] + offsets / self.num_points * half_sizes
        output = multi_scale_deformable_attention(
            projected_value, spatial_shapes, locations, weights
        )
        return self.output_projection(output)


def _check_levels(
    value: torch.Tensor,
    spatial_shapes: torch.Tensor,
    level_start_index: torch.Tensor,
    num_levels: int,
) -> None:
    """Raises ValueError unless the levels tile ``value``'s tokens in order."""
    shapes = spatial_shapes.tolist()
    sizes = [height * width for height, width in shapes]
    starts = [sum(sizes[:level]) for level in range(len(sizes))]
    if len(shapes) != num_levels:
        raise ValueError(f"expected {num_levels} levels, spatial_shapes has {len(shapes)}")
    if sum(sizes) != value.shape[1] or level_start_index.tolist() != starts:
        raise ValueError(
            f"spatial_shapes {shapes} and level_start_index {level_start_index.tolist()} do not "
            f"tile the {value.shape[1]} value tokens (expected starts {starts})"
        )

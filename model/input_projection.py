"""Projection of the backbone's maps to the transformer width, plus extra coarser levels
(Deformable-DETR's ``input_proj``).

Backbone level l: 1x1 convolution to ``hidden_dim`` + GroupNorm. Extra levels: a 3x3 stride-2
convolution + GroupNorm, the first on the coarsest backbone map (before projection), each next
one on the previous extra level. With ResNet-50 or Swin and 4 levels: strides 8, 16, 32 and 64.
"""

import enum
from collections.abc import Sequence

import torch
from torch import nn

from model.backbone import BackboneConfig, MultiScaleFeatures, downsample_mask


class ExtraLevelMask(enum.Enum):
    """Where an extra level's padding mask comes from (nearest-neighbour downsampling):
    ``PREVIOUS_LEVEL``, the level it is computed from; ``IMAGE``, the image's pixel mask, as the
    released RLIPv2 code does. The two differ only where rounding moves the padding border."""

    PREVIOUS_LEVEL = "previous_level"
    IMAGE = "image"


class InputProjection(nn.Module):
    """
    Args:
        in_channels: channels of each backbone map, finest first.
        hidden_dim: channels of every output level; divisible by ``num_groups``.
        num_levels: output levels, >= ``len(in_channels)``; the extra ones are coarser.
        extra_level_mask: where the extra levels' padding masks come from.
        num_groups: GroupNorm groups (32 in Deformable-DETR).
    """

    def __init__(
        self,
        *,
        in_channels: Sequence[int],
        hidden_dim: int,
        num_levels: int,
        extra_level_mask: ExtraLevelMask = ExtraLevelMask.PREVIOUS_LEVEL,
        num_groups: int = 32,
    ) -> None:
        super().__init__()
        if not in_channels:
            raise ValueError("in_channels needs at least one backbone level")
        if num_levels < len(in_channels):
            raise ValueError(
                f"num_levels ({num_levels}) must be >= the backbone's levels ({len(in_channels)})"
            )
        if num_groups < 1 or hidden_dim % num_groups != 0:
            raise ValueError(
                f"hidden_dim ({hidden_dim}) must be a positive multiple of num_groups "
                f"({num_groups})"
            )
        self.level_projections = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, hidden_dim, kernel_size=1),
                nn.GroupNorm(num_groups, hidden_dim),
            )
            for channels in in_channels
        )
        num_extra_levels = num_levels - len(in_channels)
        # The first extra level reads the coarsest backbone map, the others the previous extra.
        extra_in_channels = ([in_channels[-1]] + [hidden_dim] * num_extra_levels)[:num_extra_levels]
        self.extra_levels = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, hidden_dim, kernel_size=3, stride=2, padding=1),
                nn.GroupNorm(num_groups, hidden_dim),
            )
            for channels in extra_in_channels
        )
        self.extra_level_mask = extra_level_mask
        for block in (*self.level_projections, *self.extra_levels):
            convolution = block[0]
            nn.init.xavier_uniform_(convolution.weight, gain=1)
            nn.init.zeros_(convolution.bias)

    def forward(
        self, features: MultiScaleFeatures, pixel_mask: torch.Tensor
    ) -> MultiScaleFeatures:
        """
        Args:
            features: backbone maps (batch, in_channels[l], height_l, width_l), finest first,
                and their masks (batch, height_l, width_l) bool, True = padding.
            pixel_mask: (batch, height, width) bool, the image's padding mask (True = padding).

        Returns:
            ``num_levels`` maps (batch, hidden_dim, height_l, width_l) and masks, True =
            padding. Each extra level has (ceil(height / 2), ceil(width / 2)) of the level
            before it; its mask is the previous level's mask or ``pixel_mask`` downsampled
            (nearest neighbour), as ``extra_level_mask`` says.
        """
        if len(features.feature_maps) != len(self.level_projections):
            raise ValueError(
                f"expected {len(self.level_projections)} backbone maps, "
                f"got {len(features.feature_maps)}"
            )
        maps = [
            projection(feature_map)
            for projection, feature_map in zip(
                self.level_projections, features.feature_maps, strict=True
            )
        ]
        masks = list(features.padding_masks)
        extra_input = features.feature_maps[-1]
        for extra_level in self.extra_levels:
            extra_input = extra_level(extra_input)
            maps.append(extra_input)
            source = masks[-1]
            if self.extra_level_mask is ExtraLevelMask.IMAGE:
                source = pixel_mask
            masks.append(downsample_mask(source, extra_input.shape[-2:]))
        return MultiScaleFeatures(feature_maps=tuple(maps), padding_masks=tuple(masks))


def build_input_projection(
    config: BackboneConfig,
    *,
    in_channels: Sequence[int],
    extra_level_mask: ExtraLevelMask = ExtraLevelMask.PREVIOUS_LEVEL,
) -> InputProjection:
    """The projection of a backbone built from ``config`` (pass ``Backbone.channels``) to
    ``config.hidden_dim`` with ``config.num_levels`` levels."""
    return InputProjection(
        in_channels=in_channels,
        hidden_dim=config.hidden_dim,
        num_levels=config.num_levels,
        extra_level_mask=extra_level_mask,
    )


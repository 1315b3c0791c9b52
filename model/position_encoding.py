"""Fixed 2-D sine position encoding of a padded feature map (DETR / Deformable-DETR style).

Each position's row and column are counted over the unpadded pixels only, normalised to
(0, 2 pi] by the image's own unpadded height and width, and encoded with sines and cosines of
geometrically spaced frequencies (``temperature ** (2 i / num_position_features)``). The
learnable per-level embedding that Deformable-DETR adds on top is owned by the encoder.
"""

import math

import torch
from torch import nn


class SinePositionEncoding(nn.Module):
    """Normalised sine/cosine encoding of (y, x); no parameters.

    Args:
        hidden_dim: output channels; the first ``hidden_dim // 2`` encode y, the last encode x.
            Must be a multiple of 4 (each half alternates sine and cosine channels).
        temperature: base of the frequency progression (10000 as in DETR).
    """

    def __init__(self, *, hidden_dim: int, temperature: float = 10000.0) -> None:
        super().__init__()
        if hidden_dim < 4 or hidden_dim % 4 != 0:
            raise ValueError(f"hidden_dim must be a positive multiple of 4, got {hidden_dim}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.num_position_features = hidden_dim // 2
        self.temperature = temperature
        self.scale = 2 * math.pi
        self.eps = 1e-6

    def forward(self, padding_mask: torch.Tensor) -> torch.Tensor:
        """
        Args:
            padding_mask: (batch, height, width) bool, True = padding. The unpadded area is
                expected at the top left (padding at the bottom and right).

        Returns:
            (batch, hidden_dim, height, width) float32, finite everywhere; values at padded
            positions are meaningless (attention masks them out).
        """
        not_padding = (~padding_mask).to(torch.float32)
        # 1-based row/column counts over unpadded pixels, then centred on the pixel (-0.5) and
        # normalised by the unpadded extent (the count at the last row/column).
        y_position = not_padding.cumsum(dim=1)
        x_position = not_padding.cumsum(dim=2)
        y_position = (y_position - 0.5) / (y_position[:, -1:, :] + self.eps) * self.scale
        x_position = (x_position - 0.5) / (x_position[:, :, -1:] + self.eps) * self.scale

        feature_index = torch.arange(
            self.num_position_features, dtype=torch.float32, device=padding_mask.device
        )
        frequencies = self.temperature ** (
            2 * torch.div(feature_index, 2, rounding_mode="floor") / self.num_position_features
        )
        y_angles = y_position[..., None] / frequencies  # (batch, height, width, features)
        x_angles = x_position[..., None] / frequencies
        # Even channels take the sine, odd channels the cosine of the same frequency.
        y_encoding = torch.stack([y_angles[..., 0::2].sin(), y_angles[..., 1::2].cos()], dim=4)
        x_encoding = torch.stack([x_angles[..., 0::2].sin(), x_angles[..., 1::2].cos()], dim=4)
        y_encoding = y_encoding.flatten(3)
        x_encoding = x_encoding.flatten(3)
        return torch.cat([y_encoding, x_encoding], dim=3).permute(0, 3, 1, 2)

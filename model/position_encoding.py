"""Fixed sine position encodings: of a padded feature map (DETR / Deformable-DETR style) and of
boxes (DAB-DETR's anchor embedding).

A feature-map position's row and column are counted over the unpadded pixels only, normalised to
(0, 2 pi] by the image's own unpadded height and width, and encoded with sines and cosines of
geometrically spaced frequencies (``temperature ** (2 i / num_features)``). The learnable
per-level embedding that Deformable-DETR adds on top is owned by the encoder.
"""

import math

import torch
from torch import nn

PIXEL_CENTRE_OFFSET = 0.5
"""The default offset: each pixel is encoded at its centre. The released RLIPv2 ResNet models
use 0 (their position encoding counts pixels from 1 at the far edge); its Swin models use 0.5."""


def sine_cosine_features(
    values: torch.Tensor, *, num_features: int, temperature: float = 10000.0
) -> torch.Tensor:
    """Sine/cosine features of scalar values, as DETR encodes coordinates.

    Args:
        values: (...) float angles (a coordinate already multiplied by its scale).
        num_features: even number of features per value.
        temperature: base of the frequency progression.

    Returns:
        (..., num_features) float32: feature 2k is ``sin(value / t_k)``, feature 2k + 1 is
        ``cos(value / t_k)``, with ``t_k = temperature ** (2k / num_features)``.
    """
    feature_index = torch.arange(num_features, dtype=torch.float32, device=values.device)
    frequencies = temperature ** (
        2 * torch.div(feature_index, 2, rounding_mode="floor") / num_features
    )
    angles = values[..., None].to(torch.float32) / frequencies
    # Even channels take the sine, odd channels the cosine of the same frequency.
    return torch.stack([angles[..., 0::2].sin(), angles[..., 1::2].cos()], dim=-1).flatten(-2)


class SinePositionEncoding(nn.Module):
    """Normalised sine/cosine encoding of (y, x); no parameters.

    Args:
        hidden_dim: output channels; the first ``hidden_dim // 2`` encode y, the last encode x.
            Must be a multiple of 4 (each half alternates sine and cosine channels).
        temperature: base of the frequency progression (10000 as in DETR).
        offset: subtracted from the 1-based row and column counts before normalising: 0.5
            (the default) encodes pixel centres, 0 the released ResNet models' far edges.
    """

    def __init__(
        self,
        *,
        hidden_dim: int,
        temperature: float = 10000.0,
        offset: float = PIXEL_CENTRE_OFFSET,
    ) -> None:
        super().__init__()
        if hidden_dim < 4 or hidden_dim % 4 != 0:
            raise ValueError(f"hidden_dim must be a positive multiple of 4, got {hidden_dim}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        if not 0.0 <= offset < 1.0:
            raise ValueError(f"offset must be in [0, 1), got {offset}")
        self.num_position_features = hidden_dim // 2
        self.temperature = temperature
        self.offset = offset
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
        # 1-based row/column counts over unpadded pixels, minus the offset, normalised by the
        # unpadded extent (the count at the last row/column).
        y_position = not_padding.cumsum(dim=1)
        x_position = not_padding.cumsum(dim=2)
        y_position = (y_position - self.offset) / (y_position[:, -1:, :] + self.eps) * self.scale
        x_position = (x_position - self.offset) / (x_position[:, :, -1:] + self.eps) * self.scale
        features = {"num_features": self.num_position_features, "temperature": self.temperature}
        y_encoding = sine_cosine_features(y_position, **features)  # (batch, height, width, f)
        x_encoding = sine_cosine_features(x_position, **features)
        return torch.cat([y_encoding, x_encoding], dim=3).permute(0, 3, 1, 2)


def sine_box_embedding(boxes: torch.Tensor, *, num_features: int) -> torch.Tensor:
    """DAB-DETR's embedding of anchor boxes: each coordinate times 2 pi, sine/cosine encoded
    (temperature 10000), concatenated in the order (cy, cx, w, h).

    Args:
        boxes: (..., 4) cxcywh in [0, 1].
        num_features: features per coordinate (half the query width).

    Returns:
        (..., 4 * num_features) float32.
    """
    angles = boxes * (2 * math.pi)
    order = (1, 0, 2, 3)  # y before x, as the feature-map encoding
    return torch.cat(
        [sine_cosine_features(angles[..., index], num_features=num_features) for index in order],
        dim=-1,
    )

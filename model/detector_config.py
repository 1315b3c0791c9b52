"""Configuration of the RLIPv2 relation detector (read only by ``build_relation_detector``)."""

import math
from dataclasses import dataclass, field

from model.backbone import BackboneConfig
from model.fused_encoder import FusionConfig
from model.text_encoder import TextEncoderConfig


@dataclass(frozen=True)
class DetectorConfig:
    """Sizes of the detector; defaults are RLIPv2-ParSeD's (reference §2, §4).

    ``decoder_layers`` must equal the number of fusion stages, ceil(encoder_layers /
    fusion_interval): decoder layer i classifies with the label texts of fusion stage i.
    """

    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    text_encoder: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    hidden_dim: int = 256
    num_pairs: int = 100
    encoder_layers: int = 6
    decoder_layers: int = 3
    feedforward_dim: int = 2048
    num_heads: int = 8
    num_points: int = 4
    dropout: float = 0.0
    text_dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.backbone.hidden_dim != self.hidden_dim:
            raise ValueError(
                f"backbone.hidden_dim ({self.backbone.hidden_dim}) must equal hidden_dim "
                f"({self.hidden_dim})"
            )
        if min(self.num_pairs, self.encoder_layers, self.decoder_layers, self.num_heads) < 1:
            raise ValueError("num_pairs, encoder_layers, decoder_layers, num_heads must be >= 1")
        stages = math.ceil(self.encoder_layers / self.fusion.fusion_interval)
        if self.decoder_layers != stages:
            raise ValueError(
                f"decoder_layers ({self.decoder_layers}) must equal the fusion stages "
                f"ceil({self.encoder_layers} / {self.fusion.fusion_interval}) = {stages}"
            )
        if self.hidden_dim % self.num_heads != 0:
            raise ValueError(f"hidden_dim {self.hidden_dim} is not divisible by {self.num_heads}")

    @property
    def num_levels(self) -> int:
        return self.backbone.num_levels

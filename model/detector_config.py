"""Configuration of the RLIPv2 relation detector (read only by ``build_relation_detector``)."""

import math
from dataclasses import dataclass, field

from model.backbone import BackboneConfig
from model.decoder_config import DecoderConfig, RelationContent
from model.fused_encoder import FusionConfig
from model.input_projection import ExtraLevelMask
from model.position_encoding import PIXEL_CENTRE_OFFSET
from model.text_encoder import TextEncoderConfig


@dataclass(frozen=True)
class DetectorConfig:
    """Sizes of the detector; defaults are RLIPv2-ParSeD's (reference §2, §4).

    ``decoder_layers`` must equal the number of fusion stages, ceil(encoder_layers /
    fusion_interval): decoder layer i classifies with the label texts of fusion stage i.
    ``position_offset`` is the sine position encoding's (0.5: pixel centres; 0: the released
    ResNet models), ``extra_level_mask`` where the extra levels' padding masks come from (the
    released code: the image's mask).
    """

    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    text_encoder: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    position_offset: float = PIXEL_CENTRE_OFFSET
    extra_level_mask: ExtraLevelMask = ExtraLevelMask.PREVIOUS_LEVEL
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
        fused = self.decoder.relation_content is RelationContent.FUSED
        if fused and self.hidden_dim % self.decoder.fusion_branches != 0:
            raise ValueError(
                f"hidden_dim {self.hidden_dim} is not divisible by decoder.fusion_branches "
                f"{self.decoder.fusion_branches}"
            )
        if not 0.0 <= self.position_offset < 1.0:
            raise ValueError(f"position_offset must be in [0, 1), got {self.position_offset}")

    @property
    def num_levels(self) -> int:
        return self.backbone.num_levels

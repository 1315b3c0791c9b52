"""ALIF encoder: deformable visual encoder layers interleaved with sparse language fusion.

Before every ``fusion_interval``-th visual layer (layers 0, 2, 4 of 6 in RLIPv2), the tokens of
the coarsest feature level are fused with the label-text tokens (:class:`GatedCrossAttention`),
and the fused text tokens go through one extra, freshly initialised ``RobertaLayer``; then the
visual layers run on all levels. One language layer per two visual layers is the "asymmetric"
part of ALIF. The text features after each stage are returned: decoder layer ``i`` uses stage
``i`` as its text classifier.
"""

import copy
import enum
import math
from dataclasses import dataclass

import torch
from torch import nn
from transformers import RobertaConfig
from transformers.models.roberta.modeling_roberta import RobertaLayer

from model.gated_cross_attention import GatedCrossAttention, GateKind, ResidualBase


class FusionKind(enum.Enum):
    """``ALIF``: fusion in the encoder (RLIPv2). ``NONE``: late fusion only, the text features
    reach the decoders' classifiers unchanged (the same features for every stage)."""

    ALIF = "alif"
    NONE = "none"


@dataclass(frozen=True)
class FusionConfig:
    """Language-image fusion in the encoder; the defaults are RLIPv2's ALIF.

    ``gate_kind`` defaults to ``TANH`` with a ``RAW`` residual (identity at initialisation). The
    released code's choices are ``LEARNABLE_SCALAR`` (pre-training) or ``PER_CHANNEL`` (the
    R-Tagger) gates on a ``NORMALISED`` residual, with ``mask_padding = false`` (see
    :class:`~model.gated_cross_attention.GatedCrossAttention`).
    """

    kind: FusionKind = FusionKind.ALIF
    fusion_interval: int = 2
    embed_dim: int = 2048
    num_heads: int = 8
    dropout: float = 0.1
    gate_kind: GateKind = GateKind.TANH
    residual_base: ResidualBase = ResidualBase.RAW
    mask_padding: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FusionKind):
            raise ValueError(f"kind must be a FusionKind, got {self.kind!r}")
        if not isinstance(self.gate_kind, GateKind):
            raise ValueError(f"gate_kind must be a GateKind, got {self.gate_kind!r}")
        if not isinstance(self.residual_base, ResidualBase):
            raise ValueError(f"residual_base must be a ResidualBase, got {self.residual_base!r}")
        if self.fusion_interval < 1:
            raise ValueError(f"fusion_interval must be >= 1, got {self.fusion_interval}")
        if self.num_heads < 1 or self.embed_dim % self.num_heads != 0:
            raise ValueError(
                f"embed_dim ({self.embed_dim}) must be a positive multiple of num_heads "
                f"({self.num_heads})"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class FusedEncoderOutput:
    """
    Attributes:
        memory: (batch, total_tokens, hidden_dim) encoded visual tokens, levels finest first.
        language_stages: (num_stages, batch, num_texts, text_dim) text features after each
            fusion stage; with no fusion, the input text features repeated per stage.
    """

    memory: torch.Tensor
    language_stages: torch.Tensor


class FusedEncoder(nn.Module):
    """Runs the visual encoder layers, fusing language before every ``fusion_interval``-th one.

    Args:
        encoder_layers: visual layers called as ``layer(features, position, reference_points,
            spatial_shapes, level_start_index, padding_mask) -> features`` (see ``forward``).
        fusion_blocks: one :class:`GatedCrossAttention` per stage, or empty for no fusion.
        language_layers: one ``RobertaLayer`` per fusion block (empty for no fusion).
        fusion_interval: visual layers per stage; there are
            ``ceil(len(encoder_layers) / fusion_interval)`` stages.
    """

    def __init__(
        self,
        *,
        encoder_layers: nn.ModuleList,
        fusion_blocks: nn.ModuleList,
        language_layers: nn.ModuleList,
        fusion_interval: int,
    ) -> None:
        super().__init__()
        if fusion_interval < 1:
            raise ValueError(f"fusion_interval must be >= 1, got {fusion_interval}")
        if len(encoder_layers) == 0:
            raise ValueError("the encoder needs at least one visual layer")
        num_stages = math.ceil(len(encoder_layers) / fusion_interval)
        if len(fusion_blocks) != len(language_layers) or len(fusion_blocks) not in (0, num_stages):
            raise ValueError(
                f"{len(encoder_layers)} visual layers with fusion_interval {fusion_interval} need "
                f"{num_stages} fusion blocks and as many language layers (or none of either), "
                f"got {len(fusion_blocks)} and {len(language_layers)}"
            )
        self.encoder_layers = encoder_layers
        self.fusion_blocks = fusion_blocks
        self.language_layers = language_layers
        self.fusion_interval = fusion_interval
        self.num_stages = num_stages

    def forward(
        self,
        *,
        features: torch.Tensor,
        position: torch.Tensor,
        reference_points: torch.Tensor,
        spatial_shapes: torch.Tensor,
        level_start_index: torch.Tensor,
        padding_mask: torch.Tensor,
        text_features: torch.Tensor,
        text_padding_mask: torch.Tensor | None = None,
    ) -> FusedEncoderOutput:
        """
        Args:
            features: (batch, total_tokens, hidden_dim) flattened multi-scale tokens, levels
                concatenated finest first (the coarsest level last).
            position: (batch, total_tokens, hidden_dim) position + level embedding.
            reference_points: (batch, total_tokens, num_levels, 2) normalised (x, y) in [0, 1].
            spatial_shapes: (num_levels, 2) int64, (height, width) of each level.
            level_start_index: (num_levels,) int64, first token of each level.
            padding_mask: (batch, total_tokens) bool, True = padding.
            text_features: (batch, num_texts, text_dim) pooled label-text features.
            text_padding_mask: (batch, num_texts) bool, True = padding; None = no padding.
        """
        coarsest_start = _coarsest_level_start(features, spatial_shapes, level_start_index)
        coarsest_position = position[:, coarsest_start:]
        coarsest_padding_mask = padding_mask[:, coarsest_start:]
        language_attention_mask = _extended_attention_mask(text_padding_mask, text_features.dtype)

        language_stages = []
        for index, layer in enumerate(self.encoder_layers):
            stage, first_of_stage = divmod(index, self.fusion_interval)
            if first_of_stage == 0 and len(self.fusion_blocks) > 0:
                fused = self.fusion_blocks[stage](
                    visual_features=features[:, coarsest_start:],
                    visual_position=coarsest_position,
                    text_features=text_features,
                    visual_padding_mask=coarsest_padding_mask,
                    text_padding_mask=text_padding_mask,
                )
                # Write the fused coarsest level back behind the untouched finer levels.
                features = torch.cat([features[:, :coarsest_start], fused.visual_features], dim=1)
                text_features = self.language_layers[stage](
                    fused.text_features, attention_mask=language_attention_mask
                )
                language_stages.append(text_features)
            features = layer(
                features,
                position,
                reference_points,
                spatial_shapes,
                level_start_index,
                padding_mask,
            )
        if len(self.fusion_blocks) == 0:
            language_stages = [text_features] * self.num_stages
        return FusedEncoderOutput(memory=features, language_stages=torch.stack(language_stages))


def build_fused_encoder(
    config: FusionConfig,
    *,
    encoder_layers: nn.ModuleList,
    visual_dim: int,
    language_config: RobertaConfig,
) -> FusedEncoder:
    """Wraps the visual layers with ``config.kind`` fusion.

    Args:
        config: the fusion choice and its sizes.
        encoder_layers: the deformable encoder layers (6 in RLIPv2), of width ``visual_dim``.
        visual_dim: width of the visual tokens (256).
        language_config: the text encoder's configuration; every language layer is a fresh,
            randomly initialised ``RobertaLayer`` of this size (as in RLIPv2, no weights copied).
    """
    num_stages = math.ceil(len(encoder_layers) / config.fusion_interval)
    if config.kind is FusionKind.NONE:
        num_stages = 0
    layer_config = _language_layer_config(language_config)
    fusion_blocks = nn.ModuleList(
        GatedCrossAttention(
            visual_dim=visual_dim,
            text_dim=language_config.hidden_size,
            embed_dim=config.embed_dim,
            num_heads=config.num_heads,
            dropout=config.dropout,
            gate_kind=config.gate_kind,
            residual_base=config.residual_base,
            mask_padding=config.mask_padding,
        )
        for _ in range(num_stages)
    )
    language_layers = nn.ModuleList(RobertaLayer(layer_config) for _ in range(num_stages))
    return FusedEncoder(
        encoder_layers=encoder_layers,
        fusion_blocks=fusion_blocks,
        language_layers=language_layers,
        fusion_interval=config.fusion_interval,
    )


def _language_layer_config(language_config: RobertaConfig) -> RobertaConfig:
    """A copy of the text encoder's configuration for stand-alone encoder layers.

    A ``RobertaLayer`` outside a ``RobertaModel`` dispatches attention on
    ``config._attn_implementation``, which is unset in a fresh configuration: pin it to SDPA
    (the additive mask of :func:`_extended_attention_mask` suits both eager and SDPA).
    """
    layer_config = copy.deepcopy(language_config)
    if layer_config.is_decoder or layer_config.add_cross_attention:
        raise ValueError("language layers must be bidirectional encoder layers (is_decoder=False)")
    if layer_config._attn_implementation not in ("eager", "sdpa"):
        layer_config._attn_implementation = "sdpa"
    return layer_config


def _extended_attention_mask(
    text_padding_mask: torch.Tensor | None, dtype: torch.dtype
) -> torch.Tensor | None:
    """(batch, num_texts) bool, True = padding -> (batch, 1, 1, num_texts) additive mask for
    ``RobertaLayer``: 0 to attend, the dtype's minimum for padding."""
    if text_padding_mask is None:
        return None
    additive = torch.zeros(text_padding_mask.shape, dtype=dtype, device=text_padding_mask.device)
    additive = additive.masked_fill(text_padding_mask, torch.finfo(dtype).min)
    return additive[:, None, None, :]  # broadcast over heads and query tokens


def _coarsest_level_start(
    features: torch.Tensor, spatial_shapes: torch.Tensor, level_start_index: torch.Tensor
) -> int:
    """First token of the last (coarsest) level, checked to run to the end of ``features``."""
    start = int(level_start_index[-1])
    height, width = (int(size) for size in spatial_shapes[-1])
    if start + height * width != features.shape[1]:
        raise ValueError(
            f"the last level (start {start}, {height}x{width}) must end at the last token "
            f"({features.shape[1]} tokens): levels are expected finest first"
        )
    return start

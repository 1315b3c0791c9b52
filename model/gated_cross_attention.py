"""ALIF's fusion block: gated bi-directional cross-attention between image and label-text tokens.

Both directions share one attention-logit matrix ``A`` (visual x text), as in GLIP and RLIPv2:
visual tokens read the texts through ``softmax(A)`` over texts, and texts read the visual tokens
through ``softmax(A^T)`` over visual tokens. Each direction's residual is scaled by a learnable
gate (:class:`GateKind`) and added to the raw or to the LayerNorm-ed input
(:class:`ResidualBase`).

rlipv2's default (``RAW`` residual, ``TANH`` gate at 0) makes the block exactly the identity at
initialisation. The released RLIPv2 code adds the residual to the LayerNorm-ed input
(``LN(v) + gamma * delta``) with a gate at 0.25: one scalar (``VXAc``, pre-training) or one per
channel (``GLIP``, the R-Tagger); both are config choices here.
"""

import enum
from dataclasses import dataclass

import torch
from torch import nn

RELEASED_GATE_INIT = 0.25
"""Initial value of a ``LEARNABLE_SCALAR`` or ``PER_CHANNEL`` gate: ``1 / num_feature_levels``
(4 levels) in RLIPv2."""


class GateKind(enum.Enum):
    """How a residual branch is scaled.

    ``TANH``: ``tanh(alpha)``, one scalar initialised at 0 (Flamingo), so the block starts as the
    identity (with a ``RAW`` residual). ``LEARNABLE_SCALAR``: one learnable scalar initialised
    at 0.25, no squashing (the released pre-training, ``--gating_mechanism VXAc``).
    ``PER_CHANNEL``: one learnable factor per channel of the updated tokens, initialised at 0.25
    (the released R-Tagger, GLIP's gate, ``--gating_mechanism GLIP``).
    """

    TANH = "tanh"
    LEARNABLE_SCALAR = "learnable_scalar"
    PER_CHANNEL = "per_channel"


class ResidualBase(enum.Enum):
    """What a gated update is added to: ``RAW``, the block's input (identity at a zero gate);
    ``NORMALISED``, the LayerNorm-ed input, as in the released RLIPv2 code (and GLIP)."""

    RAW = "raw"
    NORMALISED = "normalised"


class ResidualGate(nn.Module):
    """The learnable factor of a residual branch; ``forward()`` returns it.

    Args:
        kind: how the factor is parametrised.
        num_channels: channels of the gated tokens (the size of a ``PER_CHANNEL`` gate).
    """

    def __init__(self, kind: GateKind, *, num_channels: int) -> None:
        super().__init__()
        if not isinstance(kind, GateKind):
            raise ValueError(f"gate kind must be a GateKind, got {kind!r}")
        self.kind = kind
        if kind is GateKind.TANH:
            initial = torch.tensor(0.0)
        elif kind is GateKind.LEARNABLE_SCALAR:
            initial = torch.tensor(RELEASED_GATE_INIT)
        else:
            initial = torch.full((num_channels,), RELEASED_GATE_INIT)
        self.parameter = nn.Parameter(initial)

    def forward(self) -> torch.Tensor:
        """() scalar gate, or (num_channels,) for ``PER_CHANNEL``."""
        if self.kind is GateKind.TANH:
            return torch.tanh(self.parameter)
        return self.parameter


@dataclass(frozen=True)
class FusedFeatures:
    """Both token sets after one fusion block.

    Attributes:
        visual_features: (batch, num_visual, visual_dim).
        text_features: (batch, num_texts, text_dim).
    """

    visual_features: torch.Tensor
    text_features: torch.Tensor


class GatedCrossAttention(nn.Module):
    """Bi-directional multi-head cross-attention through a shared attention map, gated residuals.

    RLIPv2 uses ``visual_dim=256``, ``text_dim=768``, ``embed_dim=2048``, ``num_heads=8``,
    ``dropout=0.1`` (dropout on both attention-probability maps).

    Args:
        visual_dim: width of the visual tokens.
        text_dim: width of the text tokens.
        embed_dim: width of the attention space, split over the heads.
        num_heads: attention heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention probabilities.
        gate_kind: how both residual branches are gated.
        residual_base: what the gated updates are added to.
        mask_padding: False ignores the padding masks, as the released code does (its masks
            are no-ops: a boolean mask filled with -9e15 stays True and adds 1 to every logit),
            so padded visual tokens reach the text update.
    """

    def __init__(
        self,
        *,
        visual_dim: int,
        text_dim: int,
        embed_dim: int,
        num_heads: int,
        dropout: float,
        gate_kind: GateKind,
        residual_base: ResidualBase = ResidualBase.RAW,
        mask_padding: bool = True,
    ) -> None:
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads != 0:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be a positive multiple of num_heads ({num_heads})"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.visual_norm = nn.LayerNorm(visual_dim)
        self.text_norm = nn.LayerNorm(text_dim)
        self.visual_query = nn.Linear(visual_dim, embed_dim)
        self.text_key = nn.Linear(text_dim, embed_dim)
        self.visual_value = nn.Linear(visual_dim, embed_dim)
        self.text_value = nn.Linear(text_dim, embed_dim)
        self.visual_output = nn.Linear(embed_dim, visual_dim)
        self.text_output = nn.Linear(embed_dim, text_dim)
        self.attention_dropout = nn.Dropout(dropout)
        self.visual_gate = ResidualGate(gate_kind, num_channels=visual_dim)
        self.text_gate = ResidualGate(gate_kind, num_channels=text_dim)
        self.residual_base = residual_base
        self.mask_padding = mask_padding
        for projection in (
            self.visual_query,
            self.text_key,
            self.visual_value,
            self.text_value,
            self.visual_output,
            self.text_output,
        ):
            nn.init.xavier_uniform_(projection.weight)
            nn.init.zeros_(projection.bias)

    def forward(
        self,
        *,
        visual_features: torch.Tensor,
        visual_position: torch.Tensor,
        text_features: torch.Tensor,
        visual_padding_mask: torch.Tensor | None = None,
        text_padding_mask: torch.Tensor | None = None,
    ) -> FusedFeatures:
        """
        Args:
            visual_features: (batch, num_visual, visual_dim).
            visual_position: (batch, num_visual, visual_dim) position embedding, added to the
                normalised visual tokens for the queries only.
            text_features: (batch, num_texts, text_dim), one token per label text.
            visual_padding_mask: (batch, num_visual) bool, True = padding; None = no padding.
            text_padding_mask: (batch, num_texts) bool, True = padding; None = no padding.

        Returns:
            ``base_visual + visual_gate * delta_visual`` and ``base_text + text_gate *
            delta_text``, same shapes as the inputs, where a base is the input (``RAW``) or its
            LayerNorm (``NORMALISED``). With ``mask_padding``, padded text tokens do not reach
            the visual update and padded visual tokens do not reach the text update.
        """
        if not self.mask_padding:
            visual_padding_mask = text_padding_mask = None
        normed_visual = self.visual_norm(visual_features)
        normed_text = self.text_norm(text_features)
        queries = self._split_heads(self.visual_query(normed_visual + visual_position))
        keys = self._split_heads(self.text_key(normed_text))
        # (batch, num_heads, num_visual, num_texts): the one logit map both directions share.
        logits = torch.matmul(queries * self.head_dim**-0.5, keys.transpose(-1, -2))

        visual_probabilities = _masked_softmax(logits, text_padding_mask)
        # (batch, num_heads, num_texts, num_visual): the same map read from the text side.
        text_probabilities = _masked_softmax(logits.transpose(-1, -2), visual_padding_mask)

        text_values = self._split_heads(self.text_value(normed_text))
        visual_values = self._split_heads(self.visual_value(normed_visual))
        visual_delta = torch.matmul(self.attention_dropout(visual_probabilities), text_values)
        text_delta = torch.matmul(self.attention_dropout(text_probabilities), visual_values)

        visual_delta = self.visual_output(self._merge_heads(visual_delta))
        text_delta = self.text_output(self._merge_heads(text_delta))
        if self.residual_base is ResidualBase.NORMALISED:
            visual_features, text_features = normed_visual, normed_text
        return FusedFeatures(
            visual_features=visual_features + self.visual_gate() * visual_delta,
            text_features=text_features + self.text_gate() * text_delta,
        )

    def _split_heads(self, tokens: torch.Tensor) -> torch.Tensor:
        """(batch, num_tokens, embed_dim) -> (batch, num_heads, num_tokens, head_dim)."""
        batch_size, num_tokens, _ = tokens.shape
        return tokens.view(batch_size, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

    def _merge_heads(self, tokens: torch.Tensor) -> torch.Tensor:
        """(batch, num_heads, num_tokens, head_dim) -> (batch, num_tokens, embed_dim)."""
        batch_size, _, num_tokens, _ = tokens.shape
        embed_dim = self.num_heads * self.head_dim
        return tokens.transpose(1, 2).reshape(batch_size, num_tokens, embed_dim)


def _masked_softmax(logits: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last dimension that gives padded keys exactly zero weight.

    Args:
        logits: (batch, num_heads, num_queries, num_keys).
        padding_mask: (batch, num_keys) bool, True = padding; None = no padding.

    A query whose keys are all padding gets all-zero weights (no NaN).
    """
    if padding_mask is None:
        return logits.softmax(dim=-1)
    key_mask = padding_mask[:, None, None, :]  # broadcast over heads and queries
    filled = logits.masked_fill(key_mask, torch.finfo(logits.dtype).min)
    return filled.softmax(dim=-1).masked_fill(key_mask, 0.0)

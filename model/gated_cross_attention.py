"""ALIF's fusion block: gated bi-directional cross-attention between image and label-text tokens.

Both directions share one attention-logit matrix ``A`` (visual x text), as in GLIP and RLIPv2:
visual tokens read the texts through ``softmax(A)`` over texts, and texts read the visual tokens
through ``softmax(A^T)`` over visual tokens. Each direction's residual is scaled by a learnable
gate (:class:`GateKind`).

Deviation from the released RLIPv2 code: there the residual is added to the LayerNorm-ed input
(``LN(v) + gamma * delta``). Here it is added to the raw input (``v + gate * delta``) so that a
zero gate makes the block exactly the identity, whatever the gate kind.
"""

import enum
from dataclasses import dataclass

import torch
from torch import nn

LEARNABLE_SCALAR_GATE_INIT = 0.25
"""Initial value of a ``LEARNABLE_SCALAR`` gate: ``1 / num_feature_levels`` (4 levels) in RLIPv2."""


class GateKind(enum.Enum):
    """How a residual branch is scaled.

    ``LEARNABLE_SCALAR``: a learnable scalar initialised at 0.25, no squashing (the released
    RLIPv2 code, ``--gating_mechanism VXAc``). ``TANH``: ``tanh(alpha)`` with ``alpha``
    initialised at 0 (Flamingo), so the block starts as the identity.
    """

    LEARNABLE_SCALAR = "learnable_scalar"
    TANH = "tanh"


class ResidualGate(nn.Module):
    """One learnable scalar that scales a residual branch; ``forward()`` returns the gate."""

    def __init__(self, kind: GateKind) -> None:
        super().__init__()
        if not isinstance(kind, GateKind):
            raise ValueError(f"gate kind must be a GateKind, got {kind!r}")
        self.kind = kind
        initial = LEARNABLE_SCALAR_GATE_INIT if kind is GateKind.LEARNABLE_SCALAR else 0.0
        self.parameter = nn.Parameter(torch.tensor(initial))

    def forward(self) -> torch.Tensor:
        """() scalar gate."""
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
        self.visual_gate = ResidualGate(gate_kind)
        self.text_gate = ResidualGate(gate_kind)
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
            ``visual_features + visual_gate * delta_visual`` and
            ``text_features + text_gate * delta_text``, same shapes as the inputs. Padded text
            tokens do not reach the visual update and padded visual tokens do not reach the
            text update.
        """
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

"""Subject/object queries of the ParSeD decoder: learned points (ParSeD), learned anchor boxes
(ParSeDA), or given boxes (R-Tagger)."""

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class PairQueries:
    """Queries of ``num_pairs`` pair slots: subject slots first, then object slots.

    Slot k (subject) and slot ``num_pairs + k`` (object) form pair k.

    Attributes:
        content: (batch, 2 * num_pairs, hidden_dim) query content (decoder input).
        position: (batch, 2 * num_pairs, hidden_dim) query position embedding, the same at every
            layer; None for anchor queries, whose decoder derives it from the boxes at each
            layer (:class:`~model.anchor_position.AnchorQueryPosition`).
        reference_points: (batch, 2 * num_pairs, 2) points or (..., 4) boxes, cxcywh, in [0, 1]
            of the unpadded image.
        padding_mask: (batch, 2 * num_pairs) bool, True = empty slot (ignored by attention).
        self_attention_mask: None, or (batch * num_heads, 2 * num_pairs, 2 * num_pairs) bool,
            True = query i may not attend to query j.
    """

    content: torch.Tensor
    position: torch.Tensor | None
    reference_points: torch.Tensor
    padding_mask: torch.Tensor
    self_attention_mask: torch.Tensor | None = None

    @property
    def num_pairs(self) -> int:
        return self.content.shape[1] // 2


class LearnedPairQueries(nn.Module):
    """The detector's queries: learned content and position per slot, reference points
    predicted from the position (separately for subject and object slots)."""

    def __init__(self, *, num_pairs: int, hidden_dim: int) -> None:
        super().__init__()
        self.num_pairs = num_pairs
        self.embedding = nn.Embedding(2 * num_pairs, 2 * hidden_dim)
        self.subject_reference = nn.Linear(hidden_dim, 2)
        self.object_reference = nn.Linear(hidden_dim, 2)

    def forward(self, batch_size: int) -> PairQueries:
        position, content = self.embedding.weight.chunk(2, dim=-1)  # (2 * num_pairs, hidden_dim)
        reference_points = torch.cat(
            [
                self.subject_reference(position[: self.num_pairs]),
                self.object_reference(position[self.num_pairs :]),
            ]
        ).sigmoid()
        return PairQueries(
            content=_repeat_for_batch(content, batch_size),
            position=_repeat_for_batch(position, batch_size),
            reference_points=_repeat_for_batch(reference_points, batch_size),
            padding_mask=torch.zeros(
                batch_size, 2 * self.num_pairs, dtype=torch.bool, device=content.device
            ),
        )


class AnchorPairQueries(nn.Module):
    """ParSeDA's queries (DAB anchors): learned content and a learned anchor box per slot (its
    cxcywh logits); the decoder embeds the anchors into positions."""

    def __init__(self, *, num_pairs: int, hidden_dim: int) -> None:
        super().__init__()
        self.num_pairs = num_pairs
        self.content = nn.Embedding(2 * num_pairs, hidden_dim)
        self.anchors = nn.Embedding(2 * num_pairs, 4)

    def forward(self, batch_size: int) -> PairQueries:
        content = self.content.weight
        return PairQueries(
            content=_repeat_for_batch(content, batch_size),
            position=None,
            reference_points=_repeat_for_batch(self.anchors.weight.sigmoid(), batch_size),
            padding_mask=torch.zeros(
                batch_size, 2 * self.num_pairs, dtype=torch.bool, device=content.device
            ),
        )


def _repeat_for_batch(tensor: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(...) -> (batch_size, ...), a view."""
    return tensor.unsqueeze(0).expand(batch_size, *tensor.shape)

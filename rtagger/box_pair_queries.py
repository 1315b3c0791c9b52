"""Subject/object queries built from given boxes and labels: the R-Tagger's object embeddings."""

import enum
from dataclasses import dataclass

import torch
from torch import nn

from model.inverse_sigmoid import inverse_sigmoid
from model.pair_queries import PairQueries


@dataclass(frozen=True)
class TaggerPairs:
    """The (subject, object) pairs to score, padded to ``num_pairs`` slots per image.

    Attributes:
        subject_boxes: (batch, num_pairs, 4) cxcywh in [0, 1] of the unpadded image.
        object_boxes: (batch, num_pairs, 4).
        subject_labels: (batch, num_pairs) int64 indices into the batch's entity texts.
        object_labels: (batch, num_pairs) int64.
        padding_mask: (batch, num_pairs) bool, True = empty slot.
    """

    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_labels: torch.Tensor
    object_labels: torch.Tensor
    padding_mask: torch.Tensor

    def to(self, device: torch.device) -> "TaggerPairs":
        return TaggerPairs(
            subject_boxes=self.subject_boxes.to(device),
            object_boxes=self.object_boxes.to(device),
            subject_labels=self.subject_labels.to(device),
            object_labels=self.object_labels.to(device),
            padding_mask=self.padding_mask.to(device),
        )


class TaggerReference(enum.Enum):
    """Where the first decoder layer reads for a given box: ``BOX``, the box itself (rlipv2);
    ``POINT``, a point predicted from the box's position embedding by a linear map (one for the
    subject slots, one for the object slots), as in the released R-Tagger."""

    BOX = "box"
    POINT = "point"


class BoxPairQueryEncoder(nn.Module):
    """Query position from the box (a linear map of its inverse-sigmoid coordinates), query
    content from the label's text feature (detached, as in the paper), reference as
    ``reference`` says. Empty slots get zero position and content, as in the released code."""

    def __init__(
        self, *, hidden_dim: int, reference: TaggerReference = TaggerReference.BOX
    ) -> None:
        super().__init__()
        self.coordinate_projection = nn.Linear(4, hidden_dim)
        self.reference = reference
        if reference is TaggerReference.POINT:
            self.subject_reference = nn.Linear(hidden_dim, 2)
            self.object_reference = nn.Linear(hidden_dim, 2)

    def forward(
        self,
        pairs: TaggerPairs,
        entity_text_features: torch.Tensor,
        *,
        self_attention_mask: torch.Tensor | None = None,
    ) -> PairQueries:
        """
        Args:
            pairs: the pairs to encode.
            entity_text_features: (batch, num_entity_texts, hidden_dim).
            self_attention_mask: None, or (batch * num_heads, 2 * num_pairs, 2 * num_pairs)
                bool, True = may not attend.
        """
        boxes = torch.cat([pairs.subject_boxes, pairs.object_boxes], dim=1)  # (B, 2P, 4)
        labels = torch.cat([pairs.subject_labels, pairs.object_labels], dim=1)  # (B, 2P)
        padding = torch.cat([pairs.padding_mask, pairs.padding_mask], dim=1)  # (B, 2P)
        texts = entity_text_features.detach()
        content = torch.gather(texts, 1, labels.unsqueeze(-1).expand(-1, -1, texts.shape[-1]))
        position = self.coordinate_projection(inverse_sigmoid(boxes))
        content = content.masked_fill(padding[..., None], 0.0)
        position = position.masked_fill(padding[..., None], 0.0)
        reference = boxes
        if self.reference is TaggerReference.POINT:
            num_pairs = pairs.subject_boxes.shape[1]
            reference = torch.cat(
                [
                    self.subject_reference(position[:, :num_pairs]),
                    self.object_reference(position[:, num_pairs:]),
                ],
                dim=1,
            ).sigmoid()  # (B, 2P, 2) box centres
        return PairQueries(
            content=content,
            position=position,
            reference_points=reference,
            padding_mask=padding,
            self_attention_mask=self_attention_mask,
        )


def duplicate_entity_attention_mask(
    boxes: torch.Tensor, labels: torch.Tensor, *, num_heads: int
) -> torch.Tensor:
    """Training-time mask: a query may not attend to another query of the same (clean) box and
    label, so that the copies of an entity in several pairs cannot simply agree.

    Args:
        boxes: (batch, num_queries, 4) clean boxes; labels: (batch, num_queries) clean labels.

    Returns:
        (batch * num_heads, num_queries, num_queries) bool, True = may not attend.
    """
    same_box = (boxes[:, :, None, :] == boxes[:, None, :, :]).all(dim=-1)
    same_label = labels[:, :, None] == labels[:, None, :]
    not_self = ~torch.eye(boxes.shape[1], dtype=torch.bool, device=boxes.device)
    mask = same_box & same_label & not_self  # (batch, num_queries, num_queries)
    return mask.repeat_interleave(num_heads, dim=0)

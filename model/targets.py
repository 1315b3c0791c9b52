"""Training targets and label texts of a batch."""

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import torch

from data_schemas.categories import RESERVED_CATEGORY_NAME

NO_OBJECT_TEXT = RESERVED_CATEGORY_NAME


@dataclass(frozen=True)
class LabelTexts:
    """The label vocabulary of one batch, shared by its images (open vocabulary).

    ``entity_texts`` ends with :data:`NO_OBJECT_TEXT`, the class of unmatched entity slots.
    """

    entity_texts: tuple[str, ...]
    relation_texts: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.entity_texts or self.entity_texts[-1] != NO_OBJECT_TEXT:
            raise ValueError(f"entity_texts must end with {NO_OBJECT_TEXT!r}")
        if len(set(self.entity_texts)) != len(self.entity_texts):
            raise ValueError("entity_texts has duplicates")
        if len(set(self.relation_texts)) != len(self.relation_texts):
            raise ValueError("relation_texts has duplicates")

    @property
    def no_object_index(self) -> int:
        return len(self.entity_texts) - 1


@dataclass(frozen=True)
class RelationTarget:
    """Ground truth of one image: its unique (subject, object) pairs and their relations.

    Attributes:
        subject_boxes: (num_gt_pairs, 4) cxcywh normalised to [0, 1] by the image size.
        object_boxes: (num_gt_pairs, 4) cxcywh in [0, 1].
        subject_labels: (num_gt_pairs,) int64 indices into ``LabelTexts.entity_texts``.
        object_labels: (num_gt_pairs,) int64.
        relation_labels: (num_gt_pairs, num_relation_texts) float multi-hot over
            ``LabelTexts.relation_texts``.
        unrelated_boxes: (num_unrelated, 4) cxcywh in [0, 1]: the image's objects in no
            relation (the R-Tagger pairs them into negatives; the criterion ignores them).
        unrelated_labels: (num_unrelated,) int64 indices into ``LabelTexts.entity_texts``.
    """

    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_labels: torch.Tensor
    object_labels: torch.Tensor
    relation_labels: torch.Tensor
    unrelated_boxes: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 4))
    unrelated_labels: torch.Tensor = field(
        default_factory=lambda: torch.zeros(0, dtype=torch.int64)
    )

    def __post_init__(self) -> None:
        num_pairs = self.subject_boxes.shape[0]
        shapes_ok = (
            self.subject_boxes.shape == (num_pairs, 4)
            and self.object_boxes.shape == (num_pairs, 4)
            and self.subject_labels.shape == (num_pairs,)
            and self.object_labels.shape == (num_pairs,)
            and self.relation_labels.dim() == 2
            and self.relation_labels.shape[0] == num_pairs
        )
        if not shapes_ok:
            raise ValueError("RelationTarget tensors disagree on the number of pairs")
        num_unrelated = self.unrelated_boxes.shape[0]
        unrelated_ok = self.unrelated_boxes.shape == (num_unrelated, 4) and (
            self.unrelated_labels.shape == (num_unrelated,)
        )
        if not unrelated_ok:
            raise ValueError("RelationTarget unrelated boxes and labels disagree")

    @property
    def num_pairs(self) -> int:
        return self.subject_boxes.shape[0]

    def to(self, device: torch.device, *, non_blocking: bool = False) -> "RelationTarget":
        return self._map(lambda tensor: tensor.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> "RelationTarget":
        return self._map(torch.Tensor.pin_memory)

    def _map(self, function: Callable[[torch.Tensor], torch.Tensor]) -> "RelationTarget":
        """A target whose every tensor is ``function`` of this one's."""
        return RelationTarget(
            **{item.name: function(getattr(self, item.name)) for item in fields(self)}
        )

"""From the final decoder layer to scored (subject, relation, object) triplets in pixels.

A triplet is one (pair slot, relation text). Its score is::

    sigmoid(relation logit) * max_e softmax(subject logits)[e] * max_e softmax(object logits)[e]

where the softmax runs over all entity texts and the maxima over all but "no objects" (the
last text), as DETR's post-processing does; the argmax texts are the triplet's subject and
object labels. A slot therefore scores high only if both its entities look like real objects.
"""

from dataclasses import dataclass

import torch
from torch import nn

from model.box_ops import cxcywh_to_xyxy
from model.outputs import RelationDetectionOutput


@dataclass(frozen=True)
class ScoredTriplets:
    """The best triplets of one image, by descending score.

    Attributes:
        scores: (num_triplets,) float in [0, 1].
        subject_boxes: (num_triplets, 4) xyxy in absolute pixels of the image whose size was
            given (x right, y down; not clipped to the image).
        object_boxes: (num_triplets, 4) xyxy in pixels.
        subject_labels: (num_triplets,) int64 indices into the entity texts (never "no objects").
        object_labels: (num_triplets,) int64 indices into the entity texts.
        relation_labels: (num_triplets,) int64 indices into the relation texts.
        slots: (num_triplets,) int64 pair-slot indices (for the R-Tagger: slot k = pair k).
    """

    scores: torch.Tensor
    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    subject_labels: torch.Tensor
    object_labels: torch.Tensor
    relation_labels: torch.Tensor
    slots: torch.Tensor

    @property
    def num_triplets(self) -> int:
        return self.scores.shape[0]


@dataclass(frozen=True)
class PostProcessConfig:
    top_k: int = 100
    score_threshold: float = 0.0

    def __post_init__(self) -> None:
        _check_settings(top_k=self.top_k, score_threshold=self.score_threshold)


class RelationPostProcessor(nn.Module):
    """Keeps per image the ``top_k`` triplets whose score is at least ``score_threshold``."""

    def __init__(self, *, top_k: int, score_threshold: float = 0.0) -> None:
        super().__init__()
        _check_settings(top_k=top_k, score_threshold=score_threshold)
        self.top_k = top_k
        self.score_threshold = score_threshold

    @torch.no_grad()
    def forward(
        self, output: RelationDetectionOutput, image_sizes: torch.Tensor
    ) -> list[ScoredTriplets]:
        """
        Args:
            output: the detector's output; only the final layer is used. Boxes cxcywh in
                [0, 1] of the unpadded image; entity logits end with "no objects".
            image_sizes: (batch, 2) (height, width) in pixels of each image, the size the
                boxes are scaled to.

        Returns:
            One :class:`ScoredTriplets` per image, at most ``top_k`` triplets each.
        """
        predictions = output.final
        batch_size, _, num_relation_texts = predictions.relation_logits.shape
        if predictions.subject_logits.shape[-1] < 2:
            raise ValueError("entity logits need at least one text besides 'no objects'")
        if image_sizes.shape != (batch_size, 2):
            raise ValueError(
                f"image_sizes must be (batch, 2) = ({batch_size}, 2) (height, width), "
                f"got {tuple(image_sizes.shape)}"
            )
        # Best real entity text per slot: (batch, num_slots) each.
        subject_scores, subject_labels = predictions.subject_logits.softmax(-1)[..., :-1].max(-1)
        object_scores, object_labels = predictions.object_logits.softmax(-1)[..., :-1].max(-1)
        scores = (
            predictions.relation_logits.sigmoid()
            * (subject_scores * object_scores)[..., None]
        ).flatten(1)  # (batch, num_slots * num_relation_texts), slot-major
        top_scores, top_indices = scores.topk(min(self.top_k, scores.shape[1]), dim=1)
        top_slots = top_indices // num_relation_texts
        top_relations = top_indices % num_relation_texts

        boxes_like = predictions.subject_boxes
        height, width = image_sizes.to(boxes_like.device, boxes_like.dtype).unbind(-1)
        scale = torch.stack([width, height, width, height], dim=-1)[:, None]  # (batch, 1, 4)
        subject_boxes = cxcywh_to_xyxy(predictions.subject_boxes) * scale
        object_boxes = cxcywh_to_xyxy(predictions.object_boxes) * scale

        results = []
        for image in range(batch_size):
            keep = top_scores[image] >= self.score_threshold
            slots = top_slots[image][keep]
            results.append(
                ScoredTriplets(
                    scores=top_scores[image][keep],
                    subject_boxes=subject_boxes[image, slots],
                    object_boxes=object_boxes[image, slots],
                    subject_labels=subject_labels[image, slots],
                    object_labels=object_labels[image, slots],
                    relation_labels=top_relations[image][keep],
                    slots=slots,
                )
            )
        return results


def build_postprocessor(config: PostProcessConfig) -> RelationPostProcessor:
    return RelationPostProcessor(top_k=config.top_k, score_threshold=config.score_threshold)


def _check_settings(*, top_k: int, score_threshold: float) -> None:
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if not 0.0 <= score_threshold <= 1.0:
        raise ValueError(f"score_threshold must be in [0, 1], got {score_threshold}")

"""Soft relation targets of RLIPv1, used by RLIPv2's pre-training.

- **RPL** (relational pseudo-labels): a relation text close to a pair's ground-truth relations in
  the text encoder's feature space becomes a weaker positive of that pair. Closeness is the
  Euclidean distance between pooled text features (before fusion), measured against the
  farthest text: ``closeness[i, j] = max_k dist(i, k) - dist(i, j)``. A pair's pseudo-labels are
  the summed closeness of its ground-truth relations to every text, divided by the pair's
  largest, zero on the ground-truth relations themselves, and kept above a threshold (0.3).
- **RQL** (relational quality labels): a matched slot's targets are scaled by the quality of
  its boxes, ``(min(GIoU_subject, GIoU_object) + 1) / 2`` in [0, 1].

Targets are ``(labels + pseudo_labels) * quality``, in [0, 1], trained with
:func:`model.focal_loss.quality_focal_loss`. Nothing here carries gradients: targets are
constants of the loss.
"""

import torch

PAPER_PSEUDO_LABEL_THRESHOLD = 0.3


def relation_text_closeness(relation_text_features: torch.Tensor) -> torch.Tensor:
    """(num_relation_texts, text_dim) pooled features -> (num_relation_texts, num_relation_texts)
    float32 ``closeness[i, j] = max_k dist(i, k) - dist(i, j)`` (Euclidean), >= 0, largest at
    ``j = i``; computed in float32 under autocast too."""
    features = relation_text_features.detach().float()
    if features.shape[0] == 0:
        return features.new_zeros(0, 0)
    with torch.autocast(device_type=features.device.type, enabled=False):
        distances = torch.cdist(features, features, compute_mode="donot_use_mm_for_euclid_dist")
    return distances.amax(dim=-1, keepdim=True) - distances


def pseudo_relation_labels(
    relation_labels: torch.Tensor, closeness: torch.Tensor, *, threshold: float
) -> torch.Tensor:
    """Pseudo-labels of each pair from its ground-truth relations.

    Args:
        relation_labels: (num_pairs, num_relation_texts) multi-hot ground truth.
        closeness: (num_relation_texts, num_relation_texts) from :func:`relation_text_closeness`.
        threshold: pseudo-labels at or below it are dropped (0.3 in the paper).

    Returns:
        (num_pairs, num_relation_texts) in [0, 1]; 0 on the ground-truth relations, and 0 for
        a pair whose relations are close to no other text.
    """
    if closeness.shape[0] == 0:
        return closeness.new_zeros(relation_labels.shape)
    with torch.autocast(device_type=closeness.device.type, enabled=False):
        summed = relation_labels.float() @ closeness.float()  # (num_pairs, num_relation_texts)
    largest = summed.amax(dim=-1, keepdim=True)
    normalised = torch.where(largest > 0, summed / largest.clamp(min=1e-12), 0.0)
    normalised = normalised.masked_fill(relation_labels > 0, 0.0)
    return torch.where(normalised > threshold, normalised, 0.0)


def box_quality(subject_giou: torch.Tensor, object_giou: torch.Tensor) -> torch.Tensor:
    """(num_pairs,) GIoUs of each slot's subject and object box with its targets -> (num_pairs,)
    quality in [0, 1]: ``(min(GIoU_subject, GIoU_object) + 1) / 2``, detached."""
    worse = torch.minimum(subject_giou.detach(), object_giou.detach())
    return ((worse + 1) / 2).clamp(0.0, 1.0)

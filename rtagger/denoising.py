"""Denoising noise for the R-Tagger's inputs: jittered boxes and flipped labels (DN-DETR style).

Defaults are the paper's code: box noise 0.4, label noise 0.2 (reference §3).
"""

import torch


def noise_boxes(boxes: torch.Tensor, *, scale: float, generator: torch.Generator) -> torch.Tensor:
    """Jitter boxes by up to ``scale`` of their size, clamped to the image.

    Args:
        boxes: (..., 4) cxcywh in [0, 1].
        scale: 0 returns the boxes unchanged; the centre moves by up to ``scale * w / 2``
            (resp. h) and the size changes by up to ``scale * w`` (resp. h).

    Returns:
        (..., 4) cxcywh in [0, 1].
    """
    if scale < 0:
        raise ValueError(f"box noise scale must be >= 0, got {scale}")
    if scale == 0:
        return boxes
    spread = torch.cat([boxes[..., 2:] / 2, boxes[..., 2:]], dim=-1)
    uniform = torch.rand(boxes.shape, generator=generator, device="cpu").to(boxes.device)
    return (boxes + (2 * uniform - 1) * spread * scale).clamp(min=0.0, max=1.0)


def flip_labels(
    labels: torch.Tensor, *, probability: float, num_classes: int, generator: torch.Generator
) -> torch.Tensor:
    """Replace each label, with ``probability``, by a uniformly drawn class in
    [0, num_classes) (which may be the same one). ``labels``: any shape, int64."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"label noise probability must be in [0, 1], got {probability}")
    if probability == 0:
        return labels
    flip = torch.rand(labels.shape, generator=generator) < probability
    random_labels = torch.randint(0, num_classes, labels.shape, generator=generator)
    return torch.where(flip.to(labels.device), random_labels.to(labels.device), labels)

"""Box conversions and (generalised) IoU.

Boxes are float tensors whose last dimension holds 4 coordinates: ``cxcywh`` = (centre x,
centre y, width, height) or ``xyxy`` = (left, top, right, bottom), x right and y down, in any
one unit (normalised [0, 1] or pixels). Degenerate boxes (zero or negative width or height)
have area 0 and never divide by zero: IoU and GIoU stay finite and in [-1, 1].
"""

import torch

_EPSILON = 1e-7


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) cxcywh -> (..., 4) xyxy."""
    centre_x, centre_y, width, height = boxes.unbind(-1)
    return torch.stack(
        [
            centre_x - 0.5 * width,
            centre_y - 0.5 * height,
            centre_x + 0.5 * width,
            centre_y + 0.5 * height,
        ],
        dim=-1,
    )


def xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy -> (..., 4) cxcywh."""
    left, top, right, bottom = boxes.unbind(-1)
    return torch.stack(
        [(left + right) / 2, (top + bottom) / 2, right - left, bottom - top], dim=-1
    )


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy -> (...) area; 0 for degenerate boxes."""
    sides = (boxes[..., 2:] - boxes[..., :2]).clamp(min=0)
    return sides[..., 0] * sides[..., 1]


def pairwise_iou(boxes_a: torch.Tensor, boxes_b: torch.Tensor) -> torch.Tensor:
    """IoU of every box of ``boxes_a`` with every box of ``boxes_b``.

    Args:
        boxes_a: (num_a, 4) xyxy.
        boxes_b: (num_b, 4) xyxy.

    Returns:
        (num_a, num_b) IoU in [0, 1].
    """
    intersection, union = _intersection_and_union(boxes_a[:, None], boxes_b[None, :])
    return intersection / union.clamp(min=_EPSILON)


def pairwise_generalized_iou(boxes_a: torch.Tensor, boxes_b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU (Rezatofighi et al. 2019) of every box of ``boxes_a`` with every box
    of ``boxes_b``.

    Args:
        boxes_a: (num_a, 4) xyxy.
        boxes_b: (num_b, 4) xyxy.

    Returns:
        (num_a, num_b) GIoU in [-1, 1].
    """
    return elementwise_generalized_iou(boxes_a[:, None], boxes_b[None, :])


def elementwise_generalized_iou(boxes_a: torch.Tensor, boxes_b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of corresponding boxes (shapes broadcast).

    ``GIoU = IoU - (enclosing area - union) / enclosing area``, in [-1, 1]: 1 for identical
    non-degenerate boxes, below 0 for disjoint boxes, towards -1 the farther apart they are.

    Args:
        boxes_a: (..., 4) xyxy.
        boxes_b: (..., 4) xyxy.

    Returns:
        (...) GIoU.
    """
    intersection, union = _intersection_and_union(boxes_a, boxes_b)
    enclosing = box_area(
        torch.cat(
            [
                torch.minimum(boxes_a[..., :2], boxes_b[..., :2]),
                torch.maximum(boxes_a[..., 2:], boxes_b[..., 2:]),
            ],
            dim=-1,
        )
    )
    iou = intersection / union.clamp(min=_EPSILON)
    return iou - (enclosing - union) / enclosing.clamp(min=_EPSILON)


def _intersection_and_union(
    boxes_a: torch.Tensor, boxes_b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., 4) xyxy, (..., 4) xyxy (broadcast) -> intersection and union areas, (...) each."""
    overlap = torch.cat(
        [
            torch.maximum(boxes_a[..., :2], boxes_b[..., :2]),
            torch.minimum(boxes_a[..., 2:], boxes_b[..., 2:]),
        ],
        dim=-1,
    )
    intersection = box_area(overlap)
    return intersection, box_area(boxes_a) + box_area(boxes_b) - intersection

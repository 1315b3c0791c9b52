"""The focal relation loss: quality focal loss on sigmoid probabilities (RLIPv2's relation loss).

RLIPv2 runs CornerNet's focal loss (``_neg_loss``) on hard {0, 1} relation labels and the quality
focal loss (``_soft_neg_loss``) on soft labels in [0, 1]. On {0, 1} labels the two are the same
function, so one implementation serves both.
"""

import torch
from torch.nn import functional


def quality_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, *, gamma: float = 2.0
) -> torch.Tensor:
    """Focal loss of independent sigmoid classifiers with targets in [0, 1], normalised by the
    number of positives.

    With ``p = sigmoid(logits)`` and ``y = targets``::

        loss = sum |y - p|^gamma * BCE(p, y) / max(num_pos, 1),   num_pos = #(y > 0)

    For ``y = 1`` a term is ``-(1 - p)^gamma log(p)``, for ``y = 0`` it is ``-p^gamma log(1 - p)``:
    CornerNet's focal loss. The cross-entropy comes from the logits, so it stays finite for any
    logit, where RLIPv2 clamps p to [1e-6, 1 - 1e-6] instead.

    Args:
        logits: (...) raw scores.
        targets: (...) of the same shape, in [0, 1].
        gamma: focusing exponent (2 in CornerNet and RLIPv2).

    Returns:
        () scalar; 0 for empty inputs.
    """
    cross_entropy = functional.binary_cross_entropy_with_logits(
        logits, targets, reduction="none"
    )
    modulation = (targets - logits.sigmoid()).abs().pow(gamma)
    return (modulation * cross_entropy).sum() / (targets > 0).sum().clamp(min=1)

"""CornerNet's focal loss on sigmoid probabilities (RLIPv2's ``_neg_loss`` for relations)."""

import torch
from torch.nn import functional


def binary_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, *, gamma: float = 2.0
) -> torch.Tensor:
    """Focal loss of independent sigmoid classifiers, normalised by the number of positives.

    With ``p = sigmoid(logits)``::

        loss = -(sum_pos log(p) (1 - p)^gamma + sum_neg log(1 - p) p^gamma) / max(num_pos, 1)

    Positives are the entries with target 1, negatives those below 1 (RLIPv2's ``gt.eq(1)``
    and ``gt.lt(1)``). ``log(p)`` and ``log(1 - p)`` come from ``logsigmoid`` and stay finite
    for any logit, where RLIPv2 clamps p to [1e-6, 1 - 1e-6] instead.

    Args:
        logits: (...) raw scores.
        targets: (...) of the same shape, in {0, 1}.
        gamma: focusing exponent (2 in CornerNet and RLIPv2).

    Returns:
        () scalar; 0 for empty inputs.
    """
    probabilities = logits.sigmoid()
    positive = targets == 1
    positive_terms = functional.logsigmoid(logits) * (1 - probabilities).pow(gamma)
    negative_terms = functional.logsigmoid(-logits) * probabilities.pow(gamma)
    summed = torch.where(positive, positive_terms, negative_terms).sum()
    return -summed / positive.sum().clamp(min=1)

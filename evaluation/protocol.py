"""Which behaviour of the official RLIPv2 evaluators to reproduce where they are wrong."""

from enum import Enum


class EvaluationProtocol(Enum):
    """``OFFICIAL`` reproduces the official evaluation code, faults included, so numbers compare
    with the paper's tables; ``CORRECTED`` fixes what is listed below and nothing else.

    What ``CORRECTED`` changes (each is a fault of the official code, see the README):

    - HICO-DET and Open Images relations: the predictions on an image without ground-truth
      boxes count as false positives (the official code drops them: it looks a list up among
      tuples, which never matches).
    - HICO-DET and Open Images: the 11-point AP thresholds are exactly 0.0, 0.1, ..., 1.0 (the
      official ``np.arange(0, 1.1, 0.1)`` makes 0.3, 0.6 and 0.7 slightly larger, so a recall of
      exactly 0.3, 0.6 or 0.7 misses its own threshold).
    - Open Images phrases: each phrase is matched with its own overlaps (the official code
      re-sorts the phrases by score after computing overlaps and then reads them by position,
      which mixes phrases up whenever pair NMS has left them out of score order).
    """

    OFFICIAL = "official"
    CORRECTED = "corrected"

"""The mean and spread of one figure over repeated runs (training seeds), for benchmark tables."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """``mean``, sample standard deviation (``std``, 0 for one run), ``minimum`` and
    ``maximum`` of ``count`` runs' values."""

    mean: float
    std: float
    minimum: float
    maximum: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        if not values:
            raise ValueError("a spread needs at least one value")
        mean = sum(values) / len(values)
        variance = (sum((value - mean) ** 2 for value in values) / (len(values) - 1)
                    if len(values) > 1 else 0.0)
        return cls(mean=mean, std=math.sqrt(variance), minimum=min(values),
                   maximum=max(values), count=len(values))

    def format(self, digits: int = 3) -> str:
        """``mean ± std [min, max]``; one run's value alone."""
        if self.count == 1:
            return f"{self.mean:.{digits}f}"
        return (f"{self.mean:.{digits}f} ± {self.std:.{digits}f} "
                f"[{self.minimum:.{digits}f}, {self.maximum:.{digits}f}]")

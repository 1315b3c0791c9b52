"""Seeds derived from several integers, stable across processes and Python versions."""

import numpy as np


def mixed_seed(*values: int) -> int:
    """A 63-bit seed mixing non-negative ``values`` (numpy ``SeedSequence``); any change of any
    value gives an unrelated seed, unlike ``seed + index``."""
    if any(value < 0 for value in values):
        raise ValueError(f"seed values must be >= 0, got {values}")
    low, high = np.random.SeedSequence(list(values)).generate_state(2, dtype=np.uint32)
    return ((int(high) << 32) | int(low)) & (2**63 - 1)

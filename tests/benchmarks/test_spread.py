import math

import pytest

from benchmarks.spread import Spread


def test_spread_of_three_seeds():
    spread = Spread.of([0.9, 0.8, 1.0])
    assert spread.mean == pytest.approx(0.9)
    assert spread.std == pytest.approx(0.1)  # sample standard deviation: n - 1
    assert (spread.minimum, spread.maximum, spread.count) == (0.8, 1.0, 3)
    assert spread.format() == "0.900 ± 0.100 [0.800, 1.000]"


def test_one_run_has_no_spread():
    spread = Spread.of([7.0])
    assert spread.std == 0.0 and not math.isnan(spread.std)
    assert spread.format(digits=0) == "7"


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match="at least one value"):
        Spread.of([])

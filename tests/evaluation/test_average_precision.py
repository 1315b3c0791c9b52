"""Average precision: VOC 11-point (official thresholds or exact tenths) and all-point."""

import numpy as np
import pytest

from evaluation.average_precision import all_point_ap, eleven_point_ap, ranked_eleven_point_ap
from evaluation.protocol import EvaluationProtocol

OFFICIAL, CORRECTED = EvaluationProtocol.OFFICIAL, EvaluationProtocol.CORRECTED


def test_perfect_and_empty_rankings() -> None:
    assert ranked_eleven_point_ap(
        np.array([0.9, 0.8]), np.array([True, True]), 2, OFFICIAL
    ) == pytest.approx(1.0)
    assert ranked_eleven_point_ap(np.zeros(0), np.zeros(0, dtype=bool), 3, OFFICIAL) == 0.0
    assert all_point_ap(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == pytest.approx(1.0)


def test_official_thresholds_miss_a_recall_of_exactly_three_tenths() -> None:
    recall = np.array([0.1, 0.2, 0.3])
    precision = np.array([1.0, 1.0, 1.0])
    # Exact tenths: t = 0, 0.1, 0.2, 0.3 are reached; np.arange's 0.30000000000000004 is not.
    assert eleven_point_ap(recall, precision, CORRECTED) == pytest.approx(4 / 11)
    assert eleven_point_ap(recall, precision, OFFICIAL) == pytest.approx(3 / 11)


def test_ranking_sorts_by_score_and_keeps_tie_order() -> None:
    # Ranked: hit 0.9, then the tie at 0.5 in given order (miss, hit): precision 1, 1/2, 2/3.
    scores = np.array([0.5, 0.9, 0.5])
    hits = np.array([False, True, True])
    expected = eleven_point_ap(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3]), OFFICIAL)
    assert ranked_eleven_point_ap(scores, hits, 2, OFFICIAL) == pytest.approx(expected)
    assert expected == pytest.approx((6 * 1.0 + 5 * 2 / 3) / 11)


def test_all_point_ap_is_the_area_under_the_precision_envelope() -> None:
    recall = np.array([0.25, 0.25, 0.5, 0.75])
    precision = np.array([1.0, 0.5, 2 / 3, 0.75])
    # Envelope: 1 up to 0.25, then 0.75 up to 0.75, then 0.
    assert all_point_ap(recall, precision) == pytest.approx(0.25 * 1 + 0.5 * 0.75)

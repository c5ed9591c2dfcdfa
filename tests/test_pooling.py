"""Pooling fitted years into a left-out year's prediction (atlarge.analysis.pooling)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis.pooling import MIN_COVARIATE_SPREAD, pool, predictive


def test_one_year_cannot_be_pooled():
    with pytest.raises(ValueError, match="two years"):
        pool([0.5], [0.0])


@settings(max_examples=50, deadline=None)
@given(
    means=st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    within=st.floats(0, 1),
    at=st.floats(0, 1),
)
def test_without_a_covariate_it_is_the_mean_with_its_own_uncertainty(means, within, at):
    entry = pool(means, [within] * len(means))
    mean, sd = predictive(entry, at)  # no line: the covariate does not matter
    j = len(means)
    assert not entry["by_line"]
    assert mean == pytest.approx(np.mean(means), abs=1e-9)
    assert sd == pytest.approx(math.sqrt(np.var(means, ddof=1) * (1 + 1 / j) + within), abs=1e-9)


def test_a_line_needs_years_that_differ_in_the_covariate():
    assert not pool([0.8, 0.7, 0.6], [0, 0, 0], [0.0, 0.0, MIN_COVARIATE_SPREAD / 2])["by_line"]
    assert pool([0.8, 0.7, 0.6], [0, 0, 0], [0.0, 0.0, MIN_COVARIATE_SPREAD])["by_line"]
    assert not pool([0.8, 0.4], [0, 0], [0.0, 1.0])["by_line"]  # two years: no line
    line = pool([0.8, 0.8, 0.4], [0, 0, 0], [0.0, 0.0, 1.0])
    assert predictive(line, 1.0)[0] == pytest.approx(0.4)
    # a perfect fit has no spread between years, yet its prediction is not certain if
    # years vary within
    assert predictive(line, 1.0)[1] == pytest.approx(0.0, abs=1e-12)
    assert predictive(pool([0.8, 0.8, 0.4], [0.01] * 3, [0, 0, 1]), 1.0)[1] == pytest.approx(0.1)

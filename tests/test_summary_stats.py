"""KPI statistics: percentiles over replications, and days that never come."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from atlarge.analysis import bands, stats, trailing_mean
from atlarge.analysis.kpis import KPIS


def test_four_statistics():
    s = stats(np.arange(101, dtype=float))
    assert s == {"mean": 50.0, "p5": 5.0, "p50": 50.0, "p95": 95.0}


def test_never_counts_as_later_than_any_day():
    days = np.array([10.0] * 90 + [np.nan] * 10)
    s = stats(days, never_as_inf=True)
    assert s["p5"] == 10 and s["p50"] == 10
    assert s["p95"] is None  # more than 5% never got there
    assert s["mean"] == 10 and s["share_reached"] == pytest.approx(0.9)
    assert stats(np.full(5, np.nan), never_as_inf=True) == {
        "mean": None,
        "p5": None,
        "p50": None,
        "p95": None,
        "share_reached": 0.0,
    }


def test_undefined_values_are_left_out_of_ordinary_statistics():
    s = stats(np.array([1.0, np.nan, 3.0]))
    assert s["mean"] == 2.0 and s["p50"] == 2.0
    assert stats(np.array([np.nan]))["p50"] is None


def test_kpi_keys_list_every_kpi_in_order():
    from atlarge.analysis.kpis import KPI_KEYS, kpi_values
    from atlarge.runs.replications import run_model
    from tests.conftest import small_scenario

    out = run_model(small_scenario(days=5), 2, 1)
    assert tuple(kpi_values(out)) == KPI_KEYS


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.int64, st.tuples(st.integers(1, 4), st.integers(1, 40)), elements=st.integers(0, 10**6)
    ),
    st.integers(1, 50),
)
def test_trailing_mean_is_the_mean_of_the_last_days(series, window):
    got = trailing_mean(series, window)
    for d in range(series.shape[1]):
        lo = max(0, d - window + 1)
        assert np.allclose(got[:, d], series[:, lo : d + 1].mean(axis=1))


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 30), st.integers(1, 10)), elements=st.floats(0, 1e6)
    )
)
def test_bands_are_ordered_and_bracket_the_median(series):
    b = bands(series)
    assert np.all(b["p5"] <= b["p25"]) and np.all(b["p25"] <= b["p50"])
    assert np.all(b["p50"] <= b["p75"]) and np.all(b["p75"] <= b["p95"])
    assert np.allclose(b["p50"], np.median(series, axis=0))


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("cost_total_usd", -886.6e6, "-$886.6m"),
        ("cost_total_usd", 2.5e9, "+$2.50bn"),
        ("target_attainment", 0.0, "0.0 pts"),
        ("target_attainment", -4e-5, "0.0 pts"),
        ("day_detention_full", -1e-9, "0 days"),
        ("day_detention_full", 0.4, "0 days"),
        ("target_attainment", -0.025, "-2.5 pts"),
        ("day_detention_full", 3.0, "+3 days"),
        ("removals_total", -993.0, "-993"),
        ("removals_total", 0.0, "0"),
        ("releases_total", None, "n/a"),
    ],
)
def test_differences_read_as_people_read_them(key, value, text):
    from atlarge.report.format import format_difference

    assert format_difference(key, value) == text


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(sorted(KPIS)),
    value=st.one_of(
        st.floats(-1e13, 1e13, allow_nan=False),
        st.floats(-1e-3, 1e-3, allow_nan=False),
        st.sampled_from([0.0, -0.0, -0.4, 0.4, -0.04, -5e-4]),
    ),
)
def test_a_difference_carries_a_sign_exactly_when_it_shows_one_digit(key, value):
    """Rounds to nothing, reads with no sign ('0', '0.0 pts', '0 days'); else '+' or '-'
    as the difference goes, in every KPI's format."""
    from atlarge.report.format import format_difference

    text = format_difference(key, value)
    shows_digit = any(c in "123456789" for c in text)
    assert (text[0] in "+-") == shows_digit, text
    if shows_digit:
        assert text[0] == ("+" if value > 0 else "-"), text

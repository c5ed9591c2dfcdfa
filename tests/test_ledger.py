"""Outlays charged to budget lines (analysis/ledger.py): the charging rule against worked
examples and a plain per-replication reference, its invariants under random lines, fiscal
years at their boundary, and the runway of each line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from atlarge.model.ledger import (
    PURPOSES,
    by_fiscal_year,
    charge_lines,
    fiscal_years,
    runway,
    spent_day,
)

P = len(PURPOSES)
TRANSPORT = PURPOSES.index("transport")
DETENTION = PURPOSES.index("detention")
START = np.datetime64("2025-09-28")


def _dates(days: int, start: np.datetime64 = START) -> np.ndarray:
    return start + np.arange(days)


def _daily(reps: int, days: int, **by_purpose: float) -> np.ndarray:
    """(R, P, D) costs: each named purpose costs the same every day, the others nothing."""
    daily = np.zeros((reps, P, days))
    for name, cost in by_purpose.items():
        daily[:, PURPOSES.index(name), :] = cost
    return daily


def _covers(*lines: tuple[str, ...]) -> np.ndarray:
    covers = np.zeros((len(lines), P), dtype=bool)
    for i, names in enumerate(lines):
        covers[i, [PURPOSES.index(n) for n in names]] = True
    return covers


def _reference(daily, amounts, covers, open_):
    """The rule spelt out with Python floats, one replication at a time: an independent
    reading of the docstring, and a check that replications never mix."""
    reps, purposes, days = daily.shape
    charged = np.zeros((reps, covers.shape[0], days))
    unfunded = np.zeros_like(daily)
    for r in range(reps):
        left = [float(a) for a in amounts[r]]
        for d in range(days):
            for p in range(purposes):
                need = float(daily[r, p, d])
                for line in range(covers.shape[0]):
                    if covers[line, p] and open_[line, d]:
                        take = min(need, left[line])
                        charged[r, line, d] += take
                        left[line] -= take
                        need -= take
                unfunded[r, p, d] = need
    return charged, unfunded


# --- the purposes -----------------------------------------------------------------


def test_purposes_charge_transport_before_detention():
    assert len(set(PURPOSES)) == len(PURPOSES) == 10
    assert TRANSPORT < DETENTION


# --- worked examples ---------------------------------------------------------------


def test_second_line_opens_later_and_takes_over_when_the_first_runs_out():
    daily = _daily(1, 5, detention=100.0)
    covers = _covers(("detention",), ("detention",))
    open_ = np.ones((2, 5), dtype=bool)
    open_[1, :2] = False  # the second line is available from day 2
    ledger = charge_lines(daily, np.array([[250.0, 1000.0]]), covers, open_)
    np.testing.assert_array_equal(ledger.charged[0, 0], [100, 100, 50, 0, 0])
    np.testing.assert_array_equal(ledger.charged[0, 1], [0, 0, 50, 100, 100])
    assert not ledger.unfunded.any()


def test_gap_before_the_second_line_opens_is_unfunded():
    daily = _daily(1, 4, detention=100.0)
    covers = _covers(("detention",), ("detention",))
    open_ = np.array([[True] * 4, [False, False, True, True]])
    ledger = charge_lines(daily, np.array([[150.0, 1000.0]]), covers, open_)
    np.testing.assert_array_equal(ledger.charged[0, 0], [100, 50, 0, 0])
    np.testing.assert_array_equal(ledger.charged[0, 1], [0, 0, 100, 100])
    np.testing.assert_array_equal(ledger.unfunded[0, DETENTION], [0, 50, 0, 0])


def test_lines_are_drawn_in_their_order():
    daily = _daily(1, 1, detention=30.0)
    covers = _covers(("detention",), ("detention",))
    ledger = charge_lines(daily, np.array([[1000.0, 1000.0]]), covers, np.ones((2, 1), bool))
    np.testing.assert_array_equal(ledger.charged[0, :, 0], [30, 0])
    ledger = charge_lines(daily, np.array([[0.0, 1000.0]]), covers, np.ones((2, 1), bool))
    np.testing.assert_array_equal(ledger.charged[0, :, 0], [0, 30])


def test_a_line_covering_two_purposes_pays_them_in_purpose_order():
    # Transport comes before detention in PURPOSES, so transport is paid in full
    # and detention gets what is left of the line.
    daily = _daily(1, 2, transport=100.0, detention=100.0)
    covers = _covers(("detention", "transport"))
    ledger = charge_lines(daily, np.array([[150.0]]), covers, np.ones((1, 2), bool))
    np.testing.assert_array_equal(ledger.charged[0, 0], [150, 0])
    np.testing.assert_array_equal(ledger.unfunded[0, TRANSPORT], [0, 100])
    np.testing.assert_array_equal(ledger.unfunded[0, DETENTION], [50, 100])


def test_everything_is_unfunded_when_every_line_is_closed():
    rng = np.random.default_rng(1)
    daily = rng.uniform(0, 50, (3, P, 4))
    covers = np.ones((2, P), dtype=bool)
    ledger = charge_lines(daily, np.full((3, 2), 1e9), covers, np.zeros((2, 4), bool))
    assert not ledger.charged.any()
    np.testing.assert_array_equal(ledger.unfunded, daily)


def test_a_purpose_no_line_covers_is_unfunded_while_covered_ones_are_paid():
    daily = _daily(2, 3, detention=10.0, court=7.0)
    covers = _covers(("detention",))
    ledger = charge_lines(daily, np.full((2, 1), 1e6), covers, np.ones((1, 3), bool))
    np.testing.assert_array_equal(ledger.unfunded[:, PURPOSES.index("court")], 7.0)
    np.testing.assert_array_equal(ledger.unfunded[:, DETENTION], 0.0)
    np.testing.assert_array_equal(ledger.charged[:, 0], 10.0)


def test_each_replication_draws_on_its_own_amount():
    daily = _daily(3, 3, detention=10.0)
    amounts = np.array([[0.0], [15.0], [100.0]])
    ledger = charge_lines(daily, amounts, _covers(("detention",)), np.ones((1, 3), bool))
    np.testing.assert_array_equal(ledger.charged[:, 0], [[0, 0, 0], [10, 5, 0], [10, 10, 10]])
    np.testing.assert_array_equal(
        ledger.unfunded[:, DETENTION], [[10, 10, 10], [0, 5, 10], [0, 0, 0]]
    )


def test_no_lines_leaves_every_cost_unfunded():
    daily = _daily(2, 3, atd=4.0)
    ledger = charge_lines(daily, np.zeros((2, 0)), np.zeros((0, P), bool), np.zeros((0, 3), bool))
    assert ledger.charged.shape == (2, 0, 3)
    np.testing.assert_array_equal(ledger.unfunded, daily)


@pytest.mark.parametrize(
    ("daily", "amounts", "covers", "open_"),
    [
        (np.ones((1, P, 2)), np.ones((2, 1)), np.ones((1, P), bool), np.ones((1, 2), bool)),
        (np.ones((1, P, 2)), np.ones((1, 1)), np.ones((1, P - 1), bool), np.ones((1, 2), bool)),
        (np.ones((1, P, 2)), np.ones((1, 1)), np.ones((1, P), bool), np.ones((1, 3), bool)),
        (np.ones((1, P, 2)), -np.ones((1, 1)), np.ones((1, P), bool), np.ones((1, 2), bool)),
        (-np.ones((1, P, 2)), np.ones((1, 1)), np.ones((1, P), bool), np.ones((1, 2), bool)),
        (np.full((1, P, 2), np.nan), np.ones((1, 1)), np.ones((1, P), bool), np.ones((1, 2), bool)),
    ],
    ids=["reps", "purposes", "days", "negative-amount", "negative-cost", "nan-cost"],
)
def test_inputs_that_would_break_the_invariants_are_refused(daily, amounts, covers, open_):
    with pytest.raises(ValueError):
        charge_lines(daily, amounts, covers, open_)


# --- invariants ----------------------------------------------------------------------


@st.composite
def ledgers_in(draw):
    """Random costs (with zeros), lines (with zero amounts), covers and opening days."""
    reps = draw(st.integers(1, 4))
    purposes = draw(st.integers(1, P))  # the first `purposes` of PURPOSES
    lines = draw(st.integers(0, 4))
    days = draw(st.integers(1, 10))
    money = st.one_of(st.just(0.0), st.floats(0.0, 1e4, allow_subnormal=False))
    daily = draw(arrays(float, (reps, purposes, days), elements=money))
    amounts = draw(
        arrays(float, (reps, lines), elements=st.one_of(st.just(0.0), st.floats(0.0, 3e4)))
    )
    covers = draw(arrays(bool, (lines, purposes)))
    open_ = draw(arrays(bool, (lines, days)))
    return daily, amounts, covers, open_


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers_in())
def test_charging_invariants(case):
    daily, amounts, covers, open_ = case
    ledger = charge_lines(daily, amounts, covers, open_)
    scale = 1e-9 * max(1.0, daily.sum(), amounts.sum())
    assert ledger.charged.shape == (daily.shape[0], covers.shape[0], daily.shape[2])
    assert ledger.unfunded.shape == daily.shape
    assert (ledger.charged >= 0).all() and (ledger.unfunded >= 0).all()
    # A line never pays more than it holds, nor on a closed day.
    assert (ledger.charged.sum(axis=2) <= amounts + scale).all()
    assert not ledger.charged[:, ~open_].any()
    # What is paid plus what is unfunded is what was spent, each day.
    paid_plus_unpaid = ledger.charged.sum(axis=1) + ledger.unfunded.sum(axis=1)
    np.testing.assert_allclose(paid_plus_unpaid, daily.sum(axis=1), rtol=0, atol=scale)
    # A purpose no line covers is all unfunded; each purpose's unfunded is at most its cost.
    np.testing.assert_array_equal(
        ledger.unfunded[:, ~covers.any(axis=0)], daily[:, ~covers.any(axis=0)]
    )
    assert (ledger.unfunded <= daily).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers_in())
def test_cost_goes_unfunded_only_when_every_line_that_could_pay_is_spent(case):
    daily, amounts, covers, open_ = case
    ledger = charge_lines(daily, amounts, covers, open_)
    scale = 1e-9 * max(1.0, daily.sum(), amounts.sum())
    left_after = amounts[:, :, None] - np.cumsum(ledger.charged, axis=2)  # (R, L, D)
    for p in range(daily.shape[1]):
        could_pay = covers[:, p, None] & open_  # (L, D)
        short = ledger.unfunded[:, p, :] > scale  # (R, D)
        money_left = left_after > scale
        assert not (short[:, None, :] & could_pay[None] & money_left).any()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers_in())
def test_charging_matches_a_per_replication_reference(case):
    daily, amounts, covers, open_ = case
    ledger = charge_lines(daily, amounts, covers, open_)
    charged, unfunded = _reference(daily, amounts, covers, open_)
    scale = 1e-9 * max(1.0, daily.sum(), amounts.sum())
    np.testing.assert_allclose(ledger.charged, charged, rtol=0, atol=scale)
    np.testing.assert_allclose(ledger.unfunded, unfunded, rtol=0, atol=scale)


# --- fiscal years --------------------------------------------------------------------


def test_fiscal_year_turns_on_the_first_of_october():
    dates = np.array(
        ["2025-09-30", "2025-10-01", "2026-09-30", "2026-10-01", "2025-01-01", "2024-12-31"],
        dtype="datetime64[D]",
    )
    np.testing.assert_array_equal(fiscal_years(dates), [2025, 2026, 2026, 2027, 2025, 2025])


def test_by_fiscal_year_splits_a_window_across_the_boundary():
    daily_total = np.array([[1.0, 2.0, 4.0, 8.0], [0.0, 1.0, 0.0, 1.0]])
    years = by_fiscal_year(_dates(4), daily_total)  # 28, 29, 30 September, 1 October 2025
    assert [fy for fy, _ in years] == [2025, 2026]
    np.testing.assert_array_equal(years[0][1], [7.0, 1.0])
    np.testing.assert_array_equal(years[1][1], [8.0, 1.0])


@settings(max_examples=50, deadline=None)
@given(
    start=st.integers(0, 3000),
    days=st.integers(1, 800),
    reps=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_fiscal_year_sums_add_up_to_the_total_in_order(start, days, reps, seed):
    dates = _dates(days, np.datetime64("2020-01-01") + start)
    daily_total = np.random.default_rng(seed).uniform(0, 1e6, (reps, days))
    years = by_fiscal_year(dates, daily_total)
    fys = [fy for fy, _ in years]
    assert fys == sorted(set(fys)) == list(range(fys[0], fys[-1] + 1))
    np.testing.assert_allclose(sum(s for _, s in years), daily_total.sum(axis=1), rtol=1e-12)


def test_by_fiscal_year_refuses_dates_that_do_not_match_the_days():
    with pytest.raises(ValueError):
        by_fiscal_year(_dates(3), np.ones((2, 4)))


# --- runway --------------------------------------------------------------------------


def test_spent_day_is_the_first_day_cumulative_charges_reach_the_amount():
    charged = np.array([[[5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]])
    amounts = np.array([[10.0, 0.0, 2.0]])
    np.testing.assert_array_equal(spent_day(charged, amounts), [[1, 0, -1]])


def test_spent_day_forgives_float_rounding_but_not_a_real_shortfall():
    amounts = np.array([[1.0]])
    assert spent_day(np.array([[[0.5, 0.5 - 1e-12, 0.0]]]), amounts)[0, 0] == 1
    assert spent_day(np.array([[[0.5, 0.5 - 1e-6, 0.0]]]), amounts)[0, 0] == -1


def test_runway_of_a_line_spent_on_day_three_everywhere():
    charged = np.zeros((5, 2, 6))
    charged[:, 0, :4] = 25.0  # 100 reached on day 3
    amounts = np.tile([100.0, 1e9], (5, 1))
    dates, beyond = runway(charged, amounts, _dates(6))
    assert dates == ["2025-10-01", None]
    np.testing.assert_array_equal(beyond, [0.0, 1.0])


def test_runway_median_is_a_simulated_day_and_needs_half_the_replications():
    charged = np.zeros((4, 3, 8))
    amounts = np.ones((4, 3))
    charged[0, 0, 1] = charged[1, 0, 5] = 1.0  # half spend line 0 (days 1 and 5)
    charged[0, 1, 2] = 1.0  # one in four spends line 1
    charged[:, 2, [2, 3, 6, 7]] = np.eye(4)  # all spend line 2: days 2, 3, 6, 7
    dates, beyond = runway(charged, amounts, _dates(8))
    # Lower medians: day 5 for line 0 (with the unspent ones after the window), day 3
    # for line 2 (not 4.5).
    assert dates == [str(START + 5), None, str(START + 3)]
    np.testing.assert_array_equal(beyond, [0.5, 0.75, 0.0])


def test_runway_of_an_empty_line_is_the_first_day():
    dates, beyond = runway(np.zeros((3, 1, 4)), np.zeros((3, 1)), _dates(4))
    assert dates == [str(START)]
    np.testing.assert_array_equal(beyond, [0.0])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers_in())
def test_runway_agrees_with_spent_day_on_charged_lines(case):
    daily, amounts, covers, open_ = case
    ledger = charge_lines(daily, amounts, covers, open_)
    dates = _dates(daily.shape[2])
    spent = spent_day(ledger.charged, amounts)
    p50, beyond = runway(ledger.charged, amounts, dates)
    assert len(p50) == amounts.shape[1]
    np.testing.assert_allclose(beyond, (spent < 0).mean(axis=0))
    for line, date in enumerate(p50):
        if date is None:
            assert beyond[line] > 0.5
        else:
            day = int((np.datetime64(date) - dates[0]).astype(int))
            assert beyond[line] <= 0.5
            assert day in spent[:, line]
            # At least half the replications spend the line by that day.
            assert ((spent[:, line] >= 0) & (spent[:, line] <= day)).mean() >= 0.5

"""Money to capacity (model/capacity.py): the procurement and hiring rules on worked
examples computed by hand and their invariants over random plans."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.model.capacity import (
    BedKind,
    hire_officers,
    procure_beds,
)

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REL = 1e-6

# ---------------------------------------------------------------- strategies

kinds_st = st.lists(
    st.builds(
        BedKind,
        lead_days=st.integers(0, 120),
        cost_per_bed_day=st.floats(1.0, 500.0),
        max_added_per_month=st.one_of(st.just(0.0), st.floats(0.0, 2000.0)),
    ),
    min_size=1,
    max_size=3,
)
funds_st = st.one_of(st.just(0.0), st.floats(0.0, 1e9))
target_st = st.one_of(st.just(math.inf), st.floats(0.0, 5000.0))


@st.composite
def calendars(
    draw: st.DrawFn, from_day_zero: bool = False, inside: bool = False
) -> tuple[int, int, int, int]:
    """(open_day, until_day, days, round_days): money may open before day 0 and close
    after the window, or close before it opens (no rounds at all). ``from_day_zero``
    keeps the opening inside the window's start; ``inside`` keeps the whole calendar of
    the money inside the window (built so, not filtered, so no draw is wasted)."""
    days = draw(st.integers(1, 400))
    if inside:
        open_day = draw(st.integers(0, days))
        until_day = draw(st.integers(open_day, days))
    else:
        open_day = draw(st.integers(0 if from_day_zero else -200, 200))
        until_day = open_day + draw(st.integers(-10, 600))
    return open_day, until_day, days, draw(st.integers(1, 60))


def _rounds(open_day: int, until_day: int, round_days: int) -> list[int]:
    return list(range(open_day, until_day, round_days))


# ---------------------------------------------------------------- procurement: examples


def test_procurement_worked_example_funds_and_max() -> None:
    # Rounds on days 0 and 30 (money to day 60). Day 0: funded 60 - 10 = 50 days at
    # $2 = $100 a bed, max 5 -> 5 beds, $500. Day 30: 20 days, $40 a bed -> 5 beds, $200.
    plan = procure_beds([BedKind(10, 2.0, 5)], 1000.0, 0, 60, 90)
    expected = np.zeros(90, dtype=np.int64)
    expected[10:40] = 5
    expected[40:60] = 10
    np.testing.assert_array_equal(plan.online[0], expected)
    assert plan.committed == pytest.approx(700.0)
    assert np.flatnonzero(plan.ordered[0]).tolist() == [0, 30]
    assert plan.ordered[0, [0, 30]].tolist() == [5, 5]
    assert plan.online.dtype == np.int64 and plan.ordered.dtype == np.int64


def test_procurement_orders_before_the_window_arrive_inside_it() -> None:
    # Money from day -40 to 50, lead 15, $1/bed-day, 3 a round. Day -40: online from -25,
    # 75 days -> $225. Day -10: online from 5, 45 days -> $135. Day 20: online from 35
    # (after the 30-day window), 15 days -> $45, still committed.
    plan = procure_beds([BedKind(15, 1.0, 3)], 1e9, -40, 50, 30)
    expected = np.full(30, 6)
    expected[:5] = 3
    np.testing.assert_array_equal(plan.online[0], expected)
    assert np.flatnonzero(plan.ordered[0]).tolist() == [20]
    assert plan.ordered_before.tolist() == [6]
    assert plan.committed == pytest.approx(405.0)


def test_procurement_takes_kinds_in_order_until_the_target() -> None:
    # Target 6 whole beds (6.9 rounds down): the preferred kind fills its 4, the next 2.
    kinds = [BedKind(0, 1.0, 4), BedKind(0, 1.0, 10)]
    plan = procure_beds(kinds, 1e6, 0, 10, 10, target_added=6.9)
    assert plan.online[:, 0].tolist() == [4, 2]
    assert plan.committed == pytest.approx(60.0)


def test_procurement_funds_left_go_to_the_next_kind() -> None:
    # $150 for 10 days: the first kind costs $100 a bed (one bed, $50 left), the second
    # $10 a bed (five beds). Nothing is left over.
    kinds = [BedKind(0, 10.0, 4), BedKind(0, 1.0, 100)]
    plan = procure_beds(kinds, 150.0, 0, 10, 20)
    assert plan.online[:, 0].tolist() == [1, 5]
    assert plan.online[:, 10:].sum() == 0
    assert plan.committed == pytest.approx(150.0)


def test_procurement_skips_a_kind_that_would_arrive_after_the_money() -> None:
    # Lead 10 >= the 10 days of money: the slow kind is skipped; the quick one is bought.
    kinds = [BedKind(10, 1.0, 5), BedKind(0, 1.0, 5)]
    plan = procure_beds(kinds, 1e6, 0, 10, 20)
    assert plan.online[0].sum() == 0
    assert plan.online[1, :10].tolist() == [5] * 10


def test_more_money_can_mean_fewer_beds_later_by_the_rule() -> None:
    # The rule plans round by round: $40 buys one bed on day 0 for all 40 days; $39
    # cannot, and buys three beds on day 30 for 10 days each instead.
    kind = [BedKind(0, 1.0, 3)]
    rich = procure_beds(kind, 40.0, 0, 40, 40)
    poor = procure_beds(kind, 39.0, 0, 40, 40)
    assert rich.online[0, 35] == 1
    assert poor.online[0, 35] == 3


@pytest.mark.parametrize(
    ("kinds", "kwargs"),
    [
        ([BedKind(-1, 1.0, 1)], {}),
        ([BedKind(0, 0.0, 1)], {}),
        ([BedKind(0, 1.0, -1)], {}),
        ([BedKind(0, 1.0, 1)], {"round_days": 0}),
        ([BedKind(0, 1.0, 1)], {"funds": -1.0}),
        ([BedKind(0, 1.0, 1)], {"target_added": math.nan}),
        ([BedKind(0, 1.0, math.inf)], {"funds": math.inf}),
    ],
)
def test_procurement_refuses_bad_inputs(kinds: list[BedKind], kwargs: dict) -> None:
    args = {"funds": 100.0, "open_day": 0, "until_day": 10, "days": 10, **kwargs}
    with pytest.raises(ValueError):
        procure_beds(kinds, **args)


# ---------------------------------------------------------------- procurement: invariants


@FAST
@given(kinds_st, funds_st, calendars(), target_st)
def test_procurement_invariants(kinds, funds, calendar, target) -> None:
    open_day, until_day, days, round_days = calendar
    plan = procure_beds(kinds, funds, open_day, until_day, days, target, round_days)
    rounds = _rounds(open_day, until_day, round_days)
    assert plan.online.shape == plan.ordered.shape == (len(kinds), days)
    assert 0.0 <= plan.committed <= funds * (1 + REL)
    assert (plan.online >= 0).all() and (plan.ordered >= 0).all()
    total_ordered = plan.ordered.sum() + plan.ordered_before.sum()
    assert plan.online.sum(axis=0).max() <= min(target, total_ordered)
    before = sum(1 for r in rounds if r < 0)
    for k, kind in enumerate(kinds):
        cap = math.floor(kind.max_added_per_month)
        assert plan.ordered[k].max() <= cap
        assert plan.ordered_before[k] <= cap * before
        _assert_online_follows_orders(plan.online[k], kind.lead_days, rounds, until_day)


def _assert_online_follows_orders(
    online: np.ndarray, lead: int, rounds: list[int], until_day: int
) -> None:
    """Beds come online only on a round day plus the lead, and leave when the money does."""
    arrivals = {r + lead for r in rounds}
    rises = np.flatnonzero(np.diff(online) > 0) + 1
    assert set(rises.tolist()) <= arrivals
    if online[0] > 0:
        assert min(arrivals) <= 0
    assert (online[max(until_day, 0) :] == 0).all()


@FAST
@given(kinds_st, funds_st, calendars(from_day_zero=True), target_st)
def test_orders_inside_the_window_are_online_after_their_lead(
    kinds, funds, calendar, target
) -> None:
    open_day, until_day, days, round_days = calendar
    plan = procure_beds(kinds, funds, open_day, until_day, days, target, round_days)
    for k, kind in enumerate(kinds):
        shifted = np.concatenate([np.zeros(kind.lead_days, np.int64), plan.ordered[k]])[:days]
        expected = np.cumsum(shifted)
        expected[max(until_day, 0) :] = 0
        np.testing.assert_array_equal(plan.online[k], expected)


@FAST
@given(kinds_st, funds_st, calendars(inside=True), target_st)
def test_each_bed_is_paid_for_every_day_it_is_online(kinds, funds, calendar, target) -> None:
    # With the whole calendar of the money inside the window, the commitment is the
    # bed-days online priced by kind: nothing paid for a bed that is not there.
    open_day, until_day, days, round_days = calendar
    plan = procure_beds(kinds, funds, open_day, until_day, days, target, round_days)
    rates = np.array([k.cost_per_bed_day for k in kinds])
    assert plan.committed == pytest.approx(float(rates @ plan.online.sum(axis=1)), rel=REL)


@FAST
@given(kinds_st, calendars(), target_st)
def test_no_money_buys_no_beds(kinds, calendar, target) -> None:
    open_day, until_day, days, round_days = calendar
    plan = procure_beds(kinds, 0.0, open_day, until_day, days, target, round_days)
    assert plan.online.sum() == plan.ordered.sum() == plan.ordered_before.sum() == 0
    assert plan.committed == 0.0


@FAST
@given(kinds_st, st.floats(0.0, 1e7), st.floats(0.0, 1e7), calendars(), target_st)
def test_more_money_never_fewer_beds_one_kind_one_round(kinds, a, b, calendar, target) -> None:
    # Where the rule has nothing to trade off (one kind, one round), more money never
    # gives fewer beds on any day.
    open_day, until_day, days, _ = calendar
    kind = kinds[:1]
    single_round = max(until_day - open_day, 1)
    low, high = sorted((a, b))
    poor = procure_beds(kind, low, open_day, until_day, days, target, single_round)
    rich = procure_beds(kind, high, open_day, until_day, days, target, single_round)
    assert (rich.online >= poor.online).all()


@FAST
@given(kinds_st, funds_st, calendars(), target_st)
def test_money_that_never_binds_gives_the_most_beds_of_one_kind(
    kinds, funds, calendar, target
) -> None:
    # One kind: unlimited money fills each round to its maximum until the target, which
    # no smaller budget can beat on any day.
    open_day, until_day, days, round_days = calendar
    kind = kinds[:1]
    some = procure_beds(kind, funds, open_day, until_day, days, target, round_days)
    ample = procure_beds(kind, math.inf, open_day, until_day, days, target, round_days)
    assert (ample.online >= some.online).all()


# ---------------------------------------------------------------- hiring: examples


def _hire(**overrides) -> object:
    args = {
        "funds": 10_000.0,
        "open_day": 0,
        "until_day": 60,
        "days": 100,
        "positions": np.full(100, 8.0),
        "academy_seats_per_round": 5.0,
        "applicants_per_round": 4.0,
        "academy_days": 10,
        "attrition_per_year": 0.0,
        "ramp_days": 4.0,
        "cost_per_hire": 100.0,
        "cost_per_officer_day": 1.0,
        **overrides,
    }
    return hire_officers(**args)


def test_hiring_worked_example() -> None:
    # Classes on days 0 and 30, paid from graduation (10 academy days) to day 60. Day 0:
    # $100 + 50 days x $1 = $150 a hire; 4 applicants -> 4 hires. Day 30: $120 a hire;
    # positions 8 - 4 = 4 -> 4 hires. $600 + $480.
    h = _hire()
    assert np.flatnonzero(h.hired).tolist() == [0, 30]
    assert h.hired[[0, 30]].tolist() == [4.0, 4.0]
    assert h.committed == pytest.approx(1080.0)
    academy = np.zeros(100)
    academy[0:10] = 4
    academy[30:40] = 4
    np.testing.assert_allclose(h.in_academy, academy)
    duty = np.zeros(100)
    duty[10:40] = 4
    duty[40:] = 8
    np.testing.assert_allclose(h.on_duty, duty)
    # Ramp of 4 days from graduation: 1/4, 2/4, 3/4, then full.
    np.testing.assert_allclose(h.effective[10:15], [1.0, 2.0, 3.0, 4.0, 4.0])
    np.testing.assert_allclose(h.effective[40:44], [5.0, 6.0, 7.0, 8.0])
    assert h.hired_before == 0.0


def test_hiring_stops_when_the_money_is_committed() -> None:
    # $500: day 0 takes floor(500 / 150) = 3 hires ($450); $50 cannot pay a $120 hire.
    h = _hire(funds=500.0)
    assert h.hired.sum() == 3.0
    assert h.committed == pytest.approx(450.0)


def test_hiring_attrition_halves_a_class_in_a_year() -> None:
    h = _hire(days=400, positions=np.full(400, 4.0), attrition_per_year=0.5, ramp_days=0.0)
    assert h.hired.sum() == 4.0
    assert h.on_duty[365] == pytest.approx(2.0)
    assert h.in_academy[9] == pytest.approx(4.0 * 0.5 ** (9 / 365))
    np.testing.assert_allclose(h.effective, h.on_duty)


def test_a_vanishing_ramp_is_full_output_from_graduation() -> None:
    h = _hire(ramp_days=1e-310)
    np.testing.assert_array_equal(h.effective, h.on_duty)


def test_hiring_before_the_window_reads_day_zero_positions() -> None:
    # Classes on days -30, 0 and 30. Day -30 reads positions[0] = 2 -> 2 hires; day 0
    # reads 2 as well -> none; day 30 reads 5 -> 3 more.
    positions = np.full(100, 5.0)
    positions[:30] = 2.0
    h = _hire(open_day=-30, positions=positions, academy_days=40, ramp_days=0.0)
    assert h.hired_before == 2.0
    assert np.flatnonzero(h.hired).tolist() == [30]
    assert h.hired[30] == 3.0
    assert h.in_academy[[0, 9, 10]].tolist() == [2.0, 2.0, 0.0]
    assert h.on_duty[[9, 10, 69, 70]].tolist() == [0.0, 2.0, 2.0, 5.0]
    # Pay from graduation (40 academy days) to day 60: $100 + 50 days x $1 for the early
    # class; the last graduates after the money closes: $100 only.
    assert h.committed == pytest.approx(2 * 150.0 + 3 * 100.0)


@pytest.mark.parametrize(
    "overrides",
    [
        {"attrition_per_year": 1.0},
        {"attrition_per_year": -0.1},
        {"academy_days": -1},
        {"cost_per_hire": -1.0},
        {"positions": np.full(99, 8.0)},
        {"round_days": 0},
        {"academy_seats_per_round": math.inf, "applicants_per_round": math.inf,
         "positions": np.full(100, math.inf), "cost_per_hire": 0.0,
         "cost_per_officer_day": 0.0},
    ],
)  # fmt: skip
def test_hiring_refuses_bad_inputs(overrides: dict) -> None:
    with pytest.raises(ValueError):
        _hire(**overrides)


# ---------------------------------------------------------------- hiring: invariants


@st.composite
def hiring_plans(draw: st.DrawFn) -> dict:
    open_day, until_day, days, round_days = draw(calendars())
    steps = draw(st.lists(st.floats(0.0, 200.0), min_size=days, max_size=days))
    return {
        "funds": draw(funds_st),
        "open_day": open_day,
        "until_day": until_day,
        "days": days,
        "positions": np.cumsum(steps),
        "academy_seats_per_round": draw(st.floats(0.0, 500.0)),
        "applicants_per_round": draw(st.floats(0.0, 500.0)),
        "academy_days": draw(st.integers(0, 150)),
        "attrition_per_year": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.99))),
        "ramp_days": draw(st.floats(0.0, 200.0)),
        "cost_per_hire": draw(st.floats(0.0, 1e4)),
        "cost_per_officer_day": draw(st.floats(0.0, 500.0)),
        "round_days": round_days,
    }


@FAST
@given(hiring_plans())
def test_hiring_invariants(plan: dict) -> None:
    h = hire_officers(**plan)
    cumulative = h.hired_before + np.cumsum(h.hired)
    tol = 1e-9 * (1.0 + cumulative)
    assert 0.0 <= h.committed <= plan["funds"] * (1 + REL)
    assert (cumulative <= plan["positions"] + 1e-9).all()
    assert (h.hired == np.floor(h.hired)).all()
    assert h.hired.max() <= min(plan["academy_seats_per_round"], plan["applicants_per_round"])
    assert (h.in_academy >= 0).all() and (h.on_duty >= 0).all()
    assert (h.in_academy + h.on_duty <= cumulative + tol).all()
    assert (h.effective >= 0).all()
    assert (h.effective <= h.on_duty + tol).all()


@FAST
@given(hiring_plans())
def test_without_attrition_every_hire_is_in_the_academy_or_on_duty(plan: dict) -> None:
    h = hire_officers(**{**plan, "attrition_per_year": 0.0})
    cumulative = h.hired_before + np.cumsum(h.hired)
    np.testing.assert_allclose(h.in_academy + h.on_duty, cumulative, rtol=1e-12)


@FAST
@given(hiring_plans())
def test_no_money_hires_nobody_when_hiring_costs(plan: dict) -> None:
    h = hire_officers(**{**plan, "funds": 0.0, "cost_per_hire": 1.0})
    assert h.hired.sum() == h.hired_before == h.on_duty.sum() == h.in_academy.sum() == 0.0
    assert h.committed == 0.0

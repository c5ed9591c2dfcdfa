"""The vectorized engine agrees with the entity-level SimPy reference.

Fourteen small scenarios (tests/scenarios/): beds never full; beds saturating with
overflow transferred, with overflow released, and with overflow held (arrests
forgone when holding is full too); transport the bottleneck; the performance
regime active; pools depleting; the three arrest channels (custodial with 287(g)
partners, at large, collateral) with a dated priority and departures from the
pools, with beds never full and with overflow held; removal seats from flights with
countries that limit removals (a national quota of acceptances below the inflow and a
30-day post-order limit, reached often); mandatory detention from a date; immigration
courts (45 days, fewer arrests, for speed) with judges that do not bind on the detained
docket (heard first, emptied every day) and with judges that do (a kept share of 2
decisions a day below an inflow of about 3, so cases wait for a judge in detention), both
with a non-detained backlog whose orders move people between pools; and money running out
under ``budget.on_exhausted = "stop"`` (small-stop: seats capped at what the transport line
pays, releases for lack of money when the detention line is spent, a line for both opening
after a gap and spent in turn, a last one lasting to the end). Each is
run with fixed seeds, ``N_REF`` replications of the reference and ``N_ENG`` of the
engine.

What is compared, per replication:

* end-of-horizon totals: arrests by priority group and by channel, book-ins,
  removals, releases (and those for lack of beds, and of money), departures, transfers,
  replacements, arrests forgone, border transfers refused for lack of room,
  departures from the pools and releases at the post-order limit; with courts, court
  completions, detained-docket decisions, court receipts, removal orders, orders in
  absentia and persons moved to the orders pool;
* with courts, the stocks at the end of the horizon: non-detained backlog, cases waiting
  on the detained docket, detained;
* the daily national detention curve (with courts also the daily backlog and, where
  judges bind, the daily detained docket).

Tests, at stated levels:

1. Means within Monte Carlo error: ``|mean_eng - mean_ref| <= Z * se`` with
   ``se = sqrt(s_eng^2/N_ENG + s_ref^2/N_REF)`` and ``Z = 4`` (two-sided
   level 6e-5 per metric). For the daily curve the same test is applied on
   every day with ``Z_DAY = 4.5`` (Bonferroni over up to 120 days: family
   level 8e-4).
2. Two-sample Kolmogorov-Smirnov on each total: reject at ``ALPHA_KS = 1e-3``.

Power. A bias of 5% of the mean is detected with probability at least 0.9 when
``0.05 * mean >= (Z + z_0.9) * se = 5.28 * se``. With coefficient of variation
``cv`` in both samples, ``se = cv * mean * sqrt(1/N_REF + 1/N_ENG)``, so the
condition is ``cv <= 0.05 / (5.28 * sqrt(1/40 + 1/400)) = 0.057``. The test
asserts this condition for the headline totals (arrests, arrests by group,
removals, releases, removal orders), whose cv lies between about 0.005 and 0.03 here (up
to 0.045 for releases in the shorter court scenarios). Every
total, headline or not, is held to both tests; for the small totals
(departures, transfers, releases for lack of beds) the cv can be larger, so a
5% bias there is detected with less power.

Seeds. Each scenario runs with the reference seed 2024 and the engine seed 7, except
the two channel scenarios, which use 2026 and 8. With 2024 and 7, small-channels lands
on a chance deviation of 4.4 standard errors in the day-2 detention mean (the first 40
reference replications happen to arrest about 2.5 se fewer at large on days 1-2, the
first 400 engine replications about 2.7 se more). Checked with independent seeds
(reference seed 99, 200 replications; engine seed 5, 2,000): every total agrees within
0.8 se and the largest daily deviation over 120 days is 3.3 se, so there is no bias; the
other seed pair was fixed once, before it was run.

Money (small-stop). Compared per line: the day it runs out (the first day what is left
cannot pay one bed-day or removal, the cheapest thing it buys), the day it is spent in the
sense of summary.json's runway (``ledger.spent_day``: the day its last cents are charged,
which under stop comes later, when a line that is open again pays for what is left), both
the horizon when never, and the USD charged to it; detained at the end. Days are near
deterministic (most replications on one or two days), so a sample of 40 may show no spread
at all where the engine's 400 show a little, and Welch's standard error then rests on the
engine alone (a one-day gap in 10% of engine replications reads as 6 se). For those days the
mean test uses the pooled variance instead, the right one under the null of one
distribution, at the same ``Z``; the KS test as for totals. Spending within the lines is
checked in both: the daily detention and transport each implementation recorded, charged to
the lines by the ledger's rule, leave nothing unpaid, and the reference's own charges are
those, never past a line.

Daily discretisation. The reference runs on the same daily schedule as the
engine (see ``atlarge.reference.des``): it differs in implementation and in
every random draw, not in time resolution, so no discretisation gap is
expected and none is allowed for.

Detained docket. The reference keeps one first-in-first-out line per office and path and
shares the judges' detained capacity over all of them in proportion to their length, the
engine's rule. One line per office (decisions in order of arrival over paths) is not the
same semantics when judges bind: shorter paths (relief, 60 days against 75) finish earlier
in the horizon, so deciding by arrival decides more of them. A first draft of the
reference that did so disagreed with the engine on releases (4.3 se, reference higher)
and removal orders (3.0 se, lower) in a 60-day binding scenario.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from atlarge.model.inputs import build_inputs
from atlarge.model.ledger import charge_lines, spent_day
from atlarge.reference import run_reference
from atlarge.runs.replications import run_replications
from atlarge.scenario import load_scenario
from atlarge.scenario.budget import PURPOSES

HERE = Path(__file__).parent / "scenarios"
N_REF, N_ENG = 40, 400
Z, Z_DAY, ALPHA_KS, Z_POWER = 4.0, 4.5, 1e-3, 1.2816
BIAS = 0.05
MAX_CV = BIAS / ((Z + Z_POWER) * np.sqrt(1 / N_REF + 1 / N_ENG))
SCENARIOS = [
    "small-open",
    "small-saturating",
    "small-saturating-release",
    "small-transport",
    "small-regime",
    "small-pools",
    "small-saturating-hold",
    "small-channels",
    "small-channels-hold",
    "small-limited",
    "small-mandatory",
    "small-courts",
    "small-courts-docket",
    "small-stop",
]
COURTS = ["small-courts", "small-courts-docket"]
TOTALS = [
    "arrests",
    "booked",
    "removed",
    "released",
    "released_capacity",
    "departed",
    "transferred_in",
    "replacements",
    "arrests_forgone_capacity",
    "border_refused",
    "arrests_custodial",
    "arrests_at_large",
    "arrests_collateral",
    "pool_departures",
    "releases_post_order_limit",
    "court_completions",
    "court_detained_decisions",
    "court_receipts",
    "removal_orders",
    "in_absentia_orders",
    "orders_to_pool",
    "released_funds",
]
HEADLINE = {"arrests", "removed", "released", "removal_orders"}
COURT_STOCKS = ["court_backlog", "court_detained_waiting", "detained"]


SEEDS = {"small-channels": (2026, 8), "small-channels-hold": (2026, 8)}
"""(reference, engine) seeds where not 2024 and 7; see the module docstring."""


@cache
def _runs(name: str):
    inputs = build_inputs(load_scenario(HERE / f"{name}.toml"))
    ref_seed, eng_seed = SEEDS.get(name, (2024, 7))
    ref = run_reference(inputs, seed=ref_seed, reps=N_REF, workers=2)
    eng = run_replications(inputs, seed=eng_seed, reps=N_ENG)
    return inputs, ref, eng


def _totals(series: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {m: series[m].sum(axis=(1, 2)) for m in TOTALS}
    by_group = series["arrests_by_group"].sum(axis=(1, 3))
    for g in range(by_group.shape[1]):
        out[f"arrests_group{g}"] = by_group[:, g]
    return out


def _mean_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()), se


@pytest.mark.parametrize("name", SCENARIOS)
def test_end_of_horizon_totals_agree(name):
    _, ref, eng = _runs(name)
    rt, et = _totals(ref), _totals(eng)
    for metric in rt:
        a, b = et[metric].astype(float), rt[metric].astype(float)
        if a.min() == a.max() and b.min() == b.max():
            # Deterministic here (e.g. one replacement a month): must be equal.
            assert a[0] == b[0], f"{name}/{metric}: {a[0]} vs {b[0]}"
            continue
        diff, se = _mean_test(a, b)
        assert diff <= Z * se + 1e-9, f"{name}/{metric}: means {a.mean():.1f} vs {b.mean():.1f}"
        p = stats.ks_2samp(a, b).pvalue
        assert p > ALPHA_KS, f"{name}/{metric}: KS p = {p:.2g}"
        cv = max(a.std(ddof=1), b.std(ddof=1)) / max(abs(a.mean()), 1e-9)
        if metric in HEADLINE or metric.startswith("arrests_group"):
            assert cv <= MAX_CV, f"{name}/{metric}: cv {cv:.3f} too large to detect a 5% bias"


@pytest.mark.parametrize("name", SCENARIOS)
def test_daily_detention_curve_agrees(name):
    inputs, ref, eng = _runs(name)
    a = eng["detained"].sum(axis=1).astype(float)  # (reps, days)
    b = ref["detained"].sum(axis=1).astype(float)
    se = np.sqrt(a.var(axis=0, ddof=1) / a.shape[0] + b.var(axis=0, ddof=1) / b.shape[0])
    gap = np.abs(a.mean(axis=0) - b.mean(axis=0))
    worst = int(np.argmax(gap - Z_DAY * se))
    assert (gap <= Z_DAY * se + 1e-9).all(), (
        f"{name}: day {worst + 1} detention means {a.mean(0)[worst]:.0f} vs "
        f"{b.mean(0)[worst]:.0f} (se {se[worst]:.1f})"
    )
    # Capacity is respected in both implementations.
    beds = inputs.beds_national[None, :]
    assert (a <= beds).all() and (b <= beds).all()


def test_scenarios_exercise_what_they_claim():
    """Each scenario really is in the regime it is named for."""
    inputs, _, eng = _runs("small-open")
    assert eng["released_capacity"].sum() == 0
    _, _, eng = _runs("small-saturating")
    assert eng["released_capacity"].sum() > 0 and eng["transferred_in"].sum() > 0
    _, _, eng = _runs("small-saturating-release")
    assert eng["released_capacity"].sum() > 0 and eng["transferred_in"].sum() == 0
    inputs, _, eng = _runs("small-transport")
    assert (eng["removed"].sum(axis=1)[:, -30:] == inputs.seats[-30:]).all()
    _, _, eng = _runs("small-regime")
    assert eng["replacements"].sum() > 0
    inputs, _, eng = _runs("small-pools")
    end = eng["pool"][:, :, :, -1].sum(axis=(0, 1)) / eng["pool"].shape[0]
    assert (end < inputs.pool0.sum(axis=0) * 0.9).all()


def test_channel_scenarios_exercise_every_channel():
    """Both implementations make arrests in every channel, none of the group with
    priority 0 and departures from the pools; arrests are the channels' sum."""
    for name in ("small-channels", "small-channels-hold"):
        _, ref, eng = _runs(name)
        for s in (eng, ref):
            parts = s["arrests_custodial"] + s["arrests_at_large"] + s["arrests_collateral"]
            assert np.array_equal(parts, s["arrests"]), name
            for m in ("arrests_custodial", "arrests_at_large", "arrests_collateral"):
                assert (s[m].sum(axis=(1, 2)) > 0).all(), (name, m)
            assert (s["pool_departures"].sum(axis=(1, 2)) > 0).all(), name
    inputs, ref, eng = _runs("small-channels-hold")
    for s in (eng, ref):
        assert (s["arrests_forgone_capacity"].sum(axis=(1, 2)) > 0).all()
        assert (s["held"] <= inputs.holding.T[None]).all()


def test_hold_scenario_holds_and_forgoes_arrests():
    """Under hold: nobody released for lack of beds, transfers between offices net to zero,
    holding within capacity in both implementations, arrests forgone, and the daily holding
    stock agrees."""
    inputs, ref, eng = _runs("small-saturating-hold")
    for s in (eng, ref):
        assert s["released_capacity"].sum() == 0
        assert np.array_equal(s["transferred_in"].sum(axis=1), s["transferred_out"].sum(axis=1))
        assert (s["held"] <= inputs.holding.T[None]).all()
        assert (s["arrests_forgone_capacity"].sum(axis=(1, 2)) > 0).all()
    a = eng["held"].sum(axis=1).astype(float)
    b = ref["held"].sum(axis=1).astype(float)
    se = np.sqrt(a.var(axis=0, ddof=1) / a.shape[0] + b.var(axis=0, ddof=1) / b.shape[0])
    assert (np.abs(a.mean(axis=0) - b.mean(axis=0)) <= Z_DAY * se + 1e-9).all()


def test_limited_scenario_reaches_the_limit_and_the_waiting_line_agrees():
    """Countries that limit removals: releases at the post-order limit in every replication
    of both implementations, and the daily line of those waiting agrees."""
    inputs, ref, eng = _runs("small-limited")
    assert inputs.limit_days == 30 and inputs.scenario.transport.seats_per_day is None
    for s in (eng, ref):
        assert (s["releases_post_order_limit"].sum(axis=(1, 2)) > 0).all()
        assert (s["removed"].sum(axis=1) <= inputs.seats[None, :]).all()
    a = eng["limited_queue"].sum(axis=1).astype(float)
    b = ref["limited_queue"].sum(axis=1).astype(float)
    se = np.sqrt(a.var(axis=0, ddof=1) / a.shape[0] + b.var(axis=0, ddof=1) / b.shape[0])
    assert (np.abs(a.mean(axis=0) - b.mean(axis=0)) <= Z_DAY * se + 1e-9).all()


def test_mandatory_scenario_path_entries_agree_before_and_after_the_date():
    """Mandatory detention from a date: entries to the discretionary path fall after it, and
    the share of entries on each path agrees between the implementations on both sides."""
    inputs, ref, eng = _runs("small-mandatory")
    disc = list(inputs.scenario.dispositions).index("released_early")
    change = int(np.argmax(inputs.path_share[:, disc] < inputs.path_share[0, disc]))
    assert change > 0
    for part in (slice(0, change), slice(change, None)):
        a = eng["path_entries"][:, :, part].sum(axis=2).astype(float)
        b = ref["path_entries"][:, :, part].sum(axis=2).astype(float)
        for c in range(a.shape[1]):
            diff, se = _mean_test(a[:, c], b[:, c])
            assert diff <= Z * se + 1e-9, (part, c, a[:, c].mean(), b[:, c].mean())
    share = eng["path_entries"][:, disc, change:].sum() / eng["path_entries"][:, :, change:].sum()
    assert abs(share - inputs.path_share[change, disc]) < 0.01


def _daily_means_agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, int]:
    """Daily national means of ``(reps, days)`` samples within ``Z_DAY`` standard errors on
    every day; returns whether they are and the worst day."""
    se = np.sqrt(a.var(axis=0, ddof=1) / a.shape[0] + b.var(axis=0, ddof=1) / b.shape[0])
    gap = np.abs(a.mean(axis=0) - b.mean(axis=0))
    return bool((gap <= Z_DAY * se + 1e-9).all()), int(np.argmax(gap - Z_DAY * se))


@pytest.mark.parametrize("name", COURTS)
def test_court_stocks_agree_at_the_end_and_daily(name):
    """With courts: the end-of-horizon stocks (non-detained backlog, detained docket,
    detained) agree at the totals' levels, and the daily national backlog and detained
    docket agree at the daily level."""
    _, ref, eng = _runs(name)
    for m in COURT_STOCKS:
        a = eng[m].sum(axis=1).astype(float)
        b = ref[m].sum(axis=1).astype(float)
        end_a, end_b = a[:, -1], b[:, -1]
        if end_a.min() == end_a.max() and end_b.min() == end_b.max():
            assert end_a[0] == end_b[0], f"{name}/{m}: {end_a[0]} vs {end_b[0]}"
        else:
            diff, se = _mean_test(end_a, end_b)
            assert diff <= Z * se + 1e-9, f"{name}/{m}: {end_a.mean():.1f} vs {end_b.mean():.1f}"
            assert stats.ks_2samp(end_a, end_b).pvalue > ALPHA_KS, f"{name}/{m}"
        if m != "detained" and a.var(axis=0).any():  # detention: the curve test above
            ok, day = _daily_means_agree(a, b)
            assert ok, (
                f"{name}/{m}: day {day + 1} means {a.mean(0)[day]:.1f} vs {b.mean(0)[day]:.1f}"
            )


def test_court_scenarios_exercise_what_they_claim():
    """In both implementations: with judges ample for it, the detained docket is emptied
    every day; with judges binding, its decisions never pass the kept capacity and it
    grows in every replication. Judges' capacity is used in full each day (the backlog
    never runs out), decisions plus completions; the backlog moves by receipts less
    completions from its initial spread, and orders move people between the pools."""
    for name in COURTS:
        inputs, ref, eng = _runs(name)
        assert inputs.courts_on and inputs.pending_group != inputs.orders_group
        decided_cap = inputs.court_detained_cap[None, :]
        for s in (eng, ref):
            decided = s["court_detained_decisions"].sum(axis=1)
            assert (decided <= decided_cap).all(), name
            done = s["court_completions"].sum(axis=1)
            assert (done == inputs.court_capacity[None, :]).all(), name
            backlog = s["court_backlog"].sum(axis=1)
            flow = s["court_receipts"] - s["court_completions"] + s["court_detained_decisions"]
            start = inputs.court_backlog0.sum()
            assert np.array_equal(backlog, start + np.cumsum(flow.sum(axis=1), axis=-1)), name
            assert (s["in_absentia_orders"] <= s["removal_orders"]).all(), name
            assert (s["orders_to_pool"].sum(axis=(1, 2)) > 0).all(), name
            waiting = s["court_detained_waiting"].sum(axis=1)
            if name == "small-courts":
                assert (waiting == 0).all()
            else:
                assert (waiting[:, -1] > 0).all() and (
                    decided[:, -10:] == decided_cap[:, -10:]
                ).all()


STOP = "small-stop"
HELD = ("transport", "detention")  # what the lines of small-stop pay for, in charging order


def _money_lines(inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The scenario's lines read from its file: ``(L,)`` amounts, ``(L, P)`` purposes paid,
    ``(L, D)`` open days, and ``(L,)`` USD of the cheapest thing each buys."""
    sc = inputs.scenario
    lines = list(sc.budget.lines.values())
    unit = {"detention": sc.detention.bed_day_cost.value}
    unit["transport"] = sc.transport.cost_per_removal.value
    dates = np.datetime64(sc.start_date) + np.arange(inputs.days)
    amounts = np.array([line.amount.value for line in lines])
    covers = np.array([[p in line.purposes for p in PURPOSES] for line in lines])
    open_ = np.array(
        [
            (dates >= np.datetime64(line.available_from))
            & (dates <= np.datetime64(line.available_until))
            for line in lines
        ]
    )
    cheapest = np.array([min(unit[p] for p in line.purposes) for line in lines])
    return amounts, covers, open_, cheapest


def _charged_by_rule(inputs, series: dict[str, np.ndarray]):
    """The detention and transport a run recorded (bed-days at ``bed_day_cost``, removals
    at ``cost_per_removal``) charged to the lines by the ledger's rule: ``Ledger``."""
    amounts, covers, open_, _ = _money_lines(inputs)
    sc = inputs.scenario
    reps = series["detained"].shape[0]
    daily = np.zeros((reps, len(PURPOSES), inputs.days))
    daily[:, PURPOSES.index("detention")] = (
        series["detained"].sum(axis=1) * sc.detention.bed_day_cost.value
    )
    daily[:, PURPOSES.index("transport")] = (
        series["removed"].sum(axis=1) * sc.transport.cost_per_removal.value
    )
    return charge_lines(daily, np.broadcast_to(amounts, (reps, amounts.size)), covers, open_)


def _line_days(inputs, charged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(R, L)`` each: the day each line runs out (what is left cannot buy its cheapest
    unit) and the day it is spent (``ledger.spent_day``); the horizon when never."""
    amounts, _, _, cheapest = _money_lines(inputs)
    left = amounts[None, :, None] - np.cumsum(charged, axis=2)
    short = left < cheapest[None, :, None]
    out_day = np.where(short.any(axis=2), short.argmax(axis=2), inputs.days)
    spent = spent_day(charged, np.broadcast_to(amounts, charged.shape[:2]))
    return out_day, np.where(spent >= 0, spent, inputs.days)


def _pooled_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Difference of means and its standard error from the pooled variance (see the module
    docstring: for near-deterministic days)."""
    pooled = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    return abs(a.mean() - b.mean()), float(np.sqrt(pooled * (1 / a.size + 1 / b.size)))


def _assert_agree(label: str, a: np.ndarray, b: np.ndarray, pooled: bool = False) -> None:
    """Engine sample ``a`` and reference sample ``b`` agree: equal when both are constant,
    else the mean test (Welch's or pooled standard error) and KS, at the module's levels."""
    a, b = a.astype(float), b.astype(float)
    if a.min() == a.max() and b.min() == b.max():
        assert a[0] == b[0], f"{label}: {a[0]} vs {b[0]}"
        return
    diff, se = _pooled_test(a, b) if pooled else _mean_test(a, b)
    assert diff <= Z * se + 1e-9, f"{label}: means {a.mean():.2f} vs {b.mean():.2f} (se {se:.3f})"
    p = stats.ks_2samp(a, b).pvalue
    assert p > ALPHA_KS, f"{label}: KS p = {p:.2g}"


def test_stop_money_agrees():
    """Under stop: removals, releases for lack of money, detained at the end, and per line
    the day it runs out, the day it is spent and the USD charged to it agree."""
    inputs, ref, eng = _runs(STOP)
    _assert_agree("removed", eng["removed"].sum(axis=(1, 2)), ref["removed"].sum(axis=(1, 2)))
    _assert_agree(
        "released_funds",
        eng["released_funds"].sum(axis=(1, 2)),
        ref["released_funds"].sum(axis=(1, 2)),
    )
    _assert_agree(
        "detained at the end", eng["detained"][..., -1].sum(1), ref["detained"][..., -1].sum(1)
    )
    eng_charged = _charged_by_rule(inputs, eng).charged
    ref_charged = ref["line_charged"]
    eng_out, eng_spent = _line_days(inputs, eng_charged)
    ref_out, ref_spent = _line_days(inputs, ref_charged)
    for i, key in enumerate(inputs.scenario.budget.lines):
        _assert_agree(f"{key}: day run out", eng_out[:, i], ref_out[:, i], pooled=True)
        _assert_agree(f"{key}: day spent", eng_spent[:, i], ref_spent[:, i], pooled=True)
        _assert_agree(
            f"{key}: USD charged", eng_charged[:, i].sum(axis=1), ref_charged[:, i].sum(axis=1)
        )


def test_stop_spending_stays_within_the_lines():
    """In both implementations, what was spent on detention and transport is paid in full
    by the open lines in their order (nothing unpaid, so nothing spent that no line could
    pay); the reference's own day-by-day charges are exactly those, and a line's cumulative
    charges never exceed it."""
    inputs, ref, eng = _runs(STOP)
    amounts = _money_lines(inputs)[0]
    for name, series in (("engine", eng), ("reference", ref)):
        book = _charged_by_rule(inputs, series)
        for purpose in HELD:
            unpaid = book.unfunded[:, PURPOSES.index(purpose)]
            assert unpaid.max() <= 1e-6, f"{name}: {purpose} spent beyond its lines"
        assert (np.cumsum(book.charged, axis=2) <= amounts[None, :, None] + 1e-6).all(), name
    charged = ref["line_charged"]
    assert np.allclose(charged, _charged_by_rule(inputs, ref).charged, rtol=0, atol=1e-6)
    assert (charged >= 0).all()
    assert (np.cumsum(charged, axis=2) <= amounts[None, :, None] + 1e-6).all()


def test_stop_scenario_exercises_what_it_claims():
    """In every replication of both: seats capped by money on some day (a queue left while
    seats were free), releases for lack of money (counted as releases for lack of beds),
    the first three lines run out within the horizon (transport first, then detention, then
    the line for both) and the last does not; people detained at the end."""
    inputs, ref, eng = _runs(STOP)
    assert inputs.scenario.budget.on_exhausted == "stop"
    seats = inputs.seats[None, :]
    for name, s, charged in (
        ("engine", eng, _charged_by_rule(inputs, eng).charged),
        ("reference", ref, ref["line_charged"]),
    ):
        capped = (s["removed"].sum(axis=1) < seats) & (s["removal_queue"].sum(axis=1) > 0)
        assert capped.any(axis=1).all(), name
        assert (s["released_funds"].sum(axis=(1, 2)) > 0).all(), name
        assert (s["released_funds"] + s["released_capacity"] <= s["released"]).all(), name
        out_day = _line_days(inputs, charged)[0]
        assert (out_day[:, 0] > out_day[:, 1]).all() and (out_day[:, 2] > out_day[:, 0]).all()
        assert (out_day[:, 2] < inputs.days).all() and (out_day[:, 3] == inputs.days).all(), name
        assert (s["detained"][..., -1].sum(axis=1) > 0).all(), name

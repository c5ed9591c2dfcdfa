"""Money (issue 14, docs/model.md 3.13) as the whole model runs it.

Over small scenarios generated with a ``[budget]`` (hypothesis), under
``on_exhausted = "stop"``, for every replication: no line is charged more than it holds;
nothing is unfunded for a purpose some line pays; the detained never exceed the beds
``steps.beds_today`` allowed at the start of the day, nor removals the seats the
transport lines could pay; people are conserved (3.11) with the releases for lack of
funds among the releases for lack of beds; and results do not depend on chunking. Daily
costs by purpose sum to the cost stages; overspend and lines that pay for nothing change
no series; fiscal years add up to the total; procurement and hiring never commit more than
their line, and what they buy shows in beds and agent-days.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.analysis.budget import cost_by_fiscal_year, ledger
from atlarge.engine.rng import RandomStreams
from atlarge.model import ModelOutput
from atlarge.model.inputs import build_inputs
from atlarge.model.money import hired, procured
from atlarge.model.recording import Recorder
from atlarge.model.state import Day, PipelineState
from atlarge.model.steps import DAILY_STEPS, beds_today
from atlarge.runs.replications import run_model, run_replications
from atlarge.scenario import Scenario, load_scenario
from atlarge.scenario.budget import PURPOSES
from tests.conftest import ROOT, small_scenario

SMALL = ROOT / "tests" / "scenarios"
BASES = (
    "small-open",
    "small-saturating",
    "small-saturating-release",
    "small-saturating-hold",
    "small-limited",
)
SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
HELD = (("detention",), ("transport",), ("detention", "transport"), ("transport", "detention"))
PEOPLE = (
    ("enforcement_staff",),
    ("detailed_agents",),
    ("national_guard",),
    ("enforcement_staff", "detailed_agents", "national_guard"),
)
FILE_PURPOSES = tuple(p for p in PURPOSES if p not in ("new_hires", "beds_bought"))
AMOUNTS = (0.0, 5e4, 1e6, 4e6, 2e7, 1e8, 1e11)
"""USD: from nothing through a few days of a small scenario's spending to plenty."""
P = {p: i for i, p in enumerate(PURPOSES)}
STAGE_OF = {
    "agents": ("enforcement_staff", "new_hires", "detailed_agents"),
    "national_guard": ("national_guard",),
    "processing": ("processing",),
    "detention": ("beds_bought", "detention"),
    "court": ("court",),
    "transport": ("transport",),
    "atd": ("atd",),
}


@cache
def base(name: str) -> Scenario:
    return load_scenario(SMALL / f"{name}.toml")


def _param(value: float, unit: str) -> dict[str, Any]:
    return {"value": float(value), "unit": unit, "source": "Test"}


def with_money(
    name: str,
    days: int,
    budget: dict | None = None,
    procurement: dict | None = None,
    hiring: dict | None = None,
    **sets: float,
) -> Scenario:
    """Test scenario ``name`` over ``days`` with money sections (dumped data) and ``sets``
    (``--set`` style, ``__`` for dots) applied."""
    data = base(name).model_dump()
    data.update(days=days, budget=budget, procurement=procurement, hiring=hiring)
    sc = Scenario.model_validate(data)
    updates = {k.replace("__", "."): v for k, v in sets.items()}
    return sc.with_values(updates, reason="test") if updates else sc


def _line(
    purposes: tuple[str, ...], amount: float, first: int, length: int, start: dt.date | None = None
) -> dict:
    """A funding line open ``length + 1`` days from day ``first`` after ``start`` (the
    small bases' start date by default)."""
    start = start or base("small-open").start_date
    return {
        "label": "+".join(purposes),
        "purposes": list(purposes),
        "amount": _param(amount, "USD"),
        "available_from": start + dt.timedelta(days=first),
        "available_until": start + dt.timedelta(days=first + length),
    }


@st.composite
def budgets(draw, kinds: tuple[tuple[str, ...], ...], on_exhausted: str) -> dict:
    """1-4 lines of the given purpose sets, amounts from 0 to plenty, windows that open
    before, inside or after the horizon and may close inside it."""
    n = draw(st.integers(1, 4))
    lines = {
        f"line{i}": _line(
            draw(st.sampled_from(kinds)),
            draw(st.sampled_from(AMOUNTS)),
            draw(st.integers(-40, 50)),
            draw(st.integers(0, 80)),
        )
        for i in range(n)
    }
    return {"on_exhausted": on_exhausted, "lines": lines}


def _mixed(draw) -> tuple[tuple[str, ...], ...]:
    """Under stop each generated budget pays for beds and seats, for people, or both on
    separate lines."""
    return draw(st.sampled_from([HELD, PEOPLE, HELD + PEOPLE]))


@st.composite
def stop_cases(draw) -> dict:
    return {
        "base": draw(st.sampled_from(BASES)),
        "days": draw(st.integers(3, 40)),
        "budget": draw(budgets(_mixed(draw), "stop")),
        "sets": {
            "workforce__hsi__headcount": draw(st.sampled_from([0, 400])),
            "support__national_guard__headcount": draw(st.sampled_from([0, 300])),
        },
        "seed": draw(st.integers(0, 2**31)),
    }


def _scenario(c: dict) -> Scenario:
    return with_money(c["base"], c["days"], c["budget"], **c["sets"])


# ------------------------------------------------------------------ stepping, with checks


def _left(inputs, state: PipelineState, t: int, purpose: str) -> np.ndarray:
    """``(R,)`` USD the engine may still spend on ``purpose`` today (the held lines open
    today that pay for it), read from the state as the day starts."""
    m = inputs.money
    use = m.held & m.ledger.covers[:, P[purpose]] & m.ledger.open[:, t]
    return state.funds[:, use].sum(axis=-1)


def _step_and_record(inputs, seed: int, reps: int) -> dict[str, np.ndarray]:
    """Run the daily steps as ``model.simulate.run_chunk`` does, checking each day that
    the detained fit the beds ``beds_today`` allowed at its start and that removals cost
    no more than the transport lines held; return the recorded series."""
    streams = RandomStreams.for_replications(seed, np.arange(reps))
    state = PipelineState.initial(inputs, reps)
    recorder = Recorder(inputs, reps)
    m = inputs.money
    for t in range(inputs.days):
        day = Day(t, streams)
        cap = np.broadcast_to(beds_today(inputs, state, t), state.queue.shape).sum(axis=-1)
        seats_money = _left(inputs, state, t, "transport")
        funds0 = state.funds.copy()
        for step in DAILY_STEPS:
            step(inputs, state, day)
        recorder.record(state, day)
        removed = day.removed.sum(axis=-1)
        assert (removed <= inputs.seats[t]).all()
        if m.holds_beds:
            assert (state.detained.sum(axis=-1) <= cap).all(), f"day {t}: beds nobody pays"
            assert (cap <= m.beds_bought[t] + funds0.sum(axis=-1) / m.base_rate + 1).all()
        if m.holds_seats:
            assert (removed * m.removal_cost <= seats_money * (1 + 1e-12) + 1e-6).all()
        assert (state.funds >= -1e-6).all() and (state.funds <= funds0 + 1e-6).all()
    return recorder.series()


def _check_people(inputs, s: dict[str, np.ndarray]) -> None:
    """docs/model.md 3.11 with the releases for lack of money and for lack of beds inside
    all releases; no count negative."""
    for name, a in s.items():
        assert (a >= 0).all(), f"{name} has a negative count"
    initial = inputs.initial_detained.sum(axis=-1)[None, :, None]
    inflow = np.cumsum(s["arrests"] + s["border_admissions"] + s["transferred_in"], axis=-1)
    outflow = np.cumsum(
        s["removed"] + s["released"] + s["departed"] + s["transferred_out"], axis=-1
    )
    in_system = s["processing_backlog"] + s["held"] + s["detained"]
    assert np.array_equal(initial + inflow, in_system + outflow), "conservation broken"
    # Releases for lack of money are releases, apart from those for lack of beds.
    assert (s["released_funds"] + s["released_capacity"] <= s["released"]).all()
    if not inputs.money.holds_beds:
        assert s["released_funds"].sum() == 0


def _check_lines(out: ModelOutput) -> None:
    """Per replication: no scenario line charged beyond its amount, and nothing unfunded
    for a purpose some line pays (stop)."""
    daily = out.daily_costs()
    book = ledger(out, daily)
    sc = out.scenario
    amounts = np.array([line.amount.value for line in sc.budget.lines.values()])
    spent = book.charged.sum(axis=2)
    assert (spent <= amounts[None, :] * (1 + 1e-9) + 1e-9).all(), (spent, amounts)
    total = daily.sum(axis=(1, 2))
    covered = out.inputs.money.ledger.covers.any(axis=0)
    unfunded = book.unfunded.sum(axis=2)  # (R, P)
    for p in np.flatnonzero(covered):
        assert (unfunded[:, p] <= 1e-6 * total + 1e-6).all(), (PURPOSES[p], unfunded[:, p])


@settings(max_examples=30, **SLOW)
@given(stop_cases())
def test_stop_spends_only_what_lines_hold_and_conserves_people(c):
    sc = _scenario(c)
    inputs = build_inputs(sc)
    reps = 3
    series = _step_and_record(inputs, c["seed"], reps)
    _check_people(inputs, series)
    _check_lines(ModelOutput(inputs=inputs, seed=c["seed"], reps=reps, series=series))


def test_stepping_here_is_the_engine():
    """The checks above step the model themselves: they must see what the engine runs."""
    c = {
        "base": "small-saturating",
        "days": 20,
        "budget": {"on_exhausted": "stop", "lines": {"a": _line(HELD[2], 4e6, -5, 12)}},
        "sets": {},
    }
    inputs = build_inputs(_scenario(c))
    mine = _step_and_record(inputs, 3, 2)
    engine = run_replications(inputs, 3, 2)
    for k in engine:
        assert np.array_equal(mine[k], engine[k]), k
    assert mine["released_funds"].sum() > 0  # the money ran out on day 8: beds were cut


def test_stop_with_no_money_for_beds_releases_everyone_the_beds_bought_cannot_hold():
    c = {
        "base": "small-open",
        "days": 5,
        "budget": {"on_exhausted": "stop", "lines": {"a": _line(("detention",), 0.0, 0, 30)}},
        "sets": {},
    }
    inputs = build_inputs(_scenario(c))
    s = run_replications(inputs, 1, 2)
    assert (s["detained"].sum(axis=1) == 0).all()
    assert s["released_funds"][:, :, 0].sum() >= inputs.initial_detained.sum()


@settings(max_examples=6, **SLOW)
@given(stop_cases(), st.integers(1, 4))
def test_stop_results_do_not_depend_on_chunking(c, chunk):
    inputs = build_inputs(_scenario(c))
    whole = run_replications(inputs, c["seed"], 4, chunk_size=4)
    one = run_replications(inputs, c["seed"], 4, chunk_size=1)
    parts = run_replications(inputs, c["seed"], 4, chunk_size=chunk)
    for k in whole:
        assert np.array_equal(whole[k], one[k]), k
        assert np.array_equal(whole[k], parts[k]), k


# ------------------------------------------------------------------ costs


def _procurement(lead: int, cost: float, per_month: float, target: float | None) -> dict:
    kind = {
        "label": "Test beds",
        "lead_days": _param(lead, "days"),
        "cost_per_bed_day": _param(cost, "USD/bed-day"),
        "max_added_per_month": _param(per_month, "beds/month"),
    }
    return {
        "funding_line": "beds",
        "kinds": {
            "test": kind,
            "dear": {**kind, "cost_per_bed_day": _param(cost * 2, "USD/bed-day")},
        },
        "target_beds_added": None if target is None else _param(target, "beds"),
        "placement": "population",
    }


def _hiring(positions: float, seats: float, academy: int, attrition: float, ramp: int) -> dict:
    return {
        "funding_line": "staff",
        "agency": "ero",
        "positions": _param(positions, "agents"),
        "academy_seats_per_month": _param(seats, "agents/month"),
        "applicants_per_month": _param(seats * 1.5, "agents/month"),
        "academy_days": _param(academy, "days"),
        "attrition_per_year": _param(attrition, "fraction"),
        "ramp_days": _param(ramp, "days"),
        "cost_per_hire": _param(40_000, "USD/hire"),
    }


@st.composite
def plan_cases(draw) -> dict:
    """Budgets with a detention line ``beds`` and a staff line ``staff`` (which the plans
    may draw on), more lines under overspend, and either plan or both."""
    on = draw(st.sampled_from(["stop", "overspend"]))
    kinds = (HELD + PEOPLE) if on == "stop" else tuple((p,) for p in FILE_PURPOSES)
    b = draw(budgets(kinds, on))
    b["lines"] = {
        "beds": _line(("detention",), draw(st.sampled_from(AMOUNTS)), draw(st.integers(-60, 20)),
                      draw(st.integers(0, 120))),
        "staff": _line(("enforcement_staff",), draw(st.sampled_from(AMOUNTS)),
                       draw(st.integers(-90, 20)), draw(st.integers(0, 200))),
        **b["lines"],
    }  # fmt: skip
    proc = draw(
        st.none()
        | st.builds(
            _procurement,
            st.integers(0, 40),
            st.sampled_from([80.0, 165.0, 400.0]),
            st.sampled_from([0.0, 300.0, 5000.0]),
            st.none() | st.sampled_from([0.0, 500.0, 20_000.0]),
        )
    )
    hire = draw(
        st.none()
        | st.builds(
            _hiring,
            st.sampled_from([0.0, 50.0, 2000.0]),
            st.sampled_from([0.0, 30.0, 400.0]),
            st.integers(0, 30),
            st.sampled_from([0.0, 0.1, 0.9]),
            st.integers(0, 60),
        )
    )
    return {
        "base": draw(st.sampled_from(BASES)),
        "days": draw(st.integers(3, 50)),
        "budget": b,
        "procurement": proc,
        "hiring": hire,
        "seed": draw(st.integers(0, 2**31)),
    }


def _plan_scenario(c: dict) -> Scenario:
    return with_money(c["base"], c["days"], c["budget"], c["procurement"], c["hiring"])


def _close(a: np.ndarray, b: np.ndarray, rel: float = 1e-9) -> bool:
    return bool(np.allclose(a, b, rtol=rel, atol=1e-6))


@settings(max_examples=25, **SLOW)
@given(plan_cases())
def test_daily_costs_add_up_to_the_cost_stages_and_plans_stay_within_their_lines(c):
    sc = _plan_scenario(c)
    out = run_model(sc, reps=2, seed=c["seed"], timeseries="full")
    daily = out.daily_costs()
    assert (daily >= 0).all()
    costs = out.costs
    assert set(costs) == set(STAGE_OF)
    for stage, purposes in STAGE_OF.items():
        summed = daily[:, [P[p] for p in purposes]].sum(axis=(1, 2))
        assert _close(summed, costs[stage]), (stage, summed, costs[stage])
    if sc.budget.on_exhausted == "stop":
        _check_people(out.inputs, out.series)
        _check_lines(out)
    _check_plans(sc, out)


def _share_at_start(sc: Scenario, key: str) -> float:
    """Share of a line left on the start date: all of it when it opens then or later, else
    the share of its period still to come (docs/model.md 3.13)."""
    line = sc.budget.lines[key]
    if line.available_from >= sc.start_date:
        return 1.0
    total = (line.available_until - line.available_from).days + 1
    return min(max(((line.available_until - sc.start_date).days + 1) / total, 0.0), 1.0)


def _check_plans(sc: Scenario, out: ModelOutput) -> None:
    """Beds bought are added to the typed beds; each plan commits no more than its line;
    the hires never exceed the positions, the academy or the applicants."""
    inputs, m = out.inputs, out.inputs.money
    typed = np.floor(sc.detention.beds.daily(sc.start_date, sc.days) + 1e-9)
    assert np.array_equal(inputs.beds_national, typed + m.beds_bought)
    assert np.array_equal(inputs.beds.sum(axis=1), inputs.beds_national)
    assert np.array_equal(m.beds_bought, m.beds_added.sum(axis=0))
    lines = sc.budget.lines
    first = 0
    if sc.procurement is not None:
        plan = procured(sc, sc.days)
        assert plan.committed <= lines["beds"].amount.value * _share_at_start(sc, "beds") * (
            1 + 1e-12
        )
        # Set aside, first in order (a plan on a line open before the start date plans
        # from the start date with what is left of it).
        assert m.ledger.amount[first] == plan.committed
        bought = out.daily_costs()[:, P["beds_bought"]].sum(axis=1)
        assert (bought <= plan.committed * (1 + 1e-9) + 1e-6).all()
        target = sc.procurement.target_beds_added
        if target is not None:
            assert plan.ordered.sum() + plan.ordered_before.sum() <= target.value
        first += 1
    else:
        assert m.beds_bought.sum() == 0
    if sc.hiring is not None:
        work = sc.workforce.working_days_per_week.value / 7.0
        plan = hired(sc, sc.days, work)
        assert plan.committed <= lines["staff"].amount.value * _share_at_start(sc, "staff") * (
            1 + 1e-12
        )
        assert m.ledger.amount[first] == plan.committed
        h = sc.hiring
        assert plan.hired.sum() + plan.hired_before <= h.positions.value
        assert (
            plan.hired <= min(h.academy_seats_per_month.value, h.applicants_per_month.value)
        ).all()
        assert (
            plan.on_duty + plan.in_academy <= plan.hired_before + np.cumsum(plan.hired) + 1e-9
        ).all()
        assert (plan.effective <= plan.on_duty + 1e-9).all()


# ------------------------------------------------------------------ what money does not change


@st.composite
def overspend_cases(draw) -> dict:
    return {
        "base": draw(st.sampled_from(BASES)),
        "days": draw(st.integers(3, 40)),
        "budget": draw(budgets((*((p,) for p in FILE_PURPOSES), FILE_PURPOSES), "overspend")),
        "sets": {},
        "seed": draw(st.integers(0, 2**31)),
    }


@settings(max_examples=15, **SLOW)
@given(overspend_cases())
def test_overspend_never_changes_a_series_or_a_cost(c):
    with_budget = run_model(_scenario(c), reps=2, seed=c["seed"], timeseries="full")
    without = run_model(_scenario({**c, "budget": None}), reps=2, seed=c["seed"], timeseries="full")
    for k, a in without.series.items():
        assert np.array_equal(a, with_budget.series[k]), k
    for stage, cost in without.costs.items():
        assert np.array_equal(cost, with_budget.costs[stage]), stage
    assert np.array_equal(without.inputs.agent_days, with_budget.inputs.agent_days)


def test_a_budget_that_pays_for_nothing_this_run_spends_changes_nothing():
    """A shipped scenario with and without a [budget] (overspend) whose lines pay for the
    courts, which another department funds, or are closed before the run starts: the same
    numbers bit for bit."""
    ship = small_scenario(days=25)
    assert ship.budget is None
    start = ship.start_date
    lines = {
        "courts": _line(("court",), 1e9, 0, 400, start),
        "old": _line(("detention", "transport"), 1e12, -400, 399, start),
    }
    before = run_replications(build_inputs(ship), 5, 2)
    data = ship.model_dump()
    data["budget"] = {"on_exhausted": "overspend", "lines": lines}
    after = run_replications(build_inputs(Scenario.model_validate(data)), 5, 2)
    for k in before:
        assert np.array_equal(before[k], after[k]), k


# ------------------------------------------------------------------ fiscal years


@settings(max_examples=10, **SLOW)
@given(
    st.sampled_from(BASES),
    st.integers(-20, 380),
    st.integers(1, 60),
    st.none() | st.sampled_from(["stop", "overspend"]),
    st.integers(0, 2**31),
)
def test_fiscal_years_add_up_to_the_total_cost(name, shift, days, on, seed):
    data = base(name).model_dump()
    start = base(name).start_date + dt.timedelta(days=shift)
    data.update(days=days, start_date=start)
    if on is not None:
        line = _line(("transport", "detention"), 3e6, 0, 10, start)
        data["budget"] = {"on_exhausted": on, "lines": {"a": line}}
    out = run_model(Scenario.model_validate(data), reps=1, seed=seed)
    daily = out.daily_costs()
    rows = cost_by_fiscal_year(out, daily)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    fys = [d.year + (d.month >= 10) for d in dates]
    assert [r["fiscal_year"] for r in rows] == sorted(set(fys))
    assert [r["days"] for r in rows] == [fys.count(fy) for fy in sorted(set(fys))]
    total = sum(out.costs.values())[0]
    assert _close(np.array(sum(r["cost_usd"]["p50"] for r in rows)), np.array(total))
    by_purpose = sum(sum(r["by_purpose"].values()) for r in rows)
    assert _close(np.array(by_purpose), np.array(total))


# ------------------------------------------------------------------ hires at work


def test_graduates_add_their_agent_days_to_ero():
    """Under overspend nothing is cut: ERO's agent-days are its own plus the graduates'
    (on duty times the working share), day by day; its effort grows by their ramped
    officer-equivalents."""
    budget = {
        "on_exhausted": "overspend",
        "lines": {"staff": _line(("enforcement_staff",), 1e9, -90, 400)},
    }
    hire = _hiring(positions=2000, seats=400, academy=20, attrition=0.1, ramp=30)
    with_hires = build_inputs(with_money("small-open", 120, budget, hiring=hire))
    without = build_inputs(with_money("small-open", 120, budget))
    ero = with_hires.agency_keys.index("ero")
    work = with_hires.scenario.workforce.working_days_per_week.value / 7.0
    on_duty = with_hires.money.hired_on_duty
    assert on_duty[-1] > 0 and on_duty[0] < on_duty[-1]
    grown = with_hires.agent_days[ero] - without.agent_days[ero]
    assert np.allclose(grown, on_duty * work, rtol=1e-12, atol=1e-9)
    others = [i for i in range(len(with_hires.agency_keys)) if i != ero]
    assert np.array_equal(with_hires.agent_days[others], without.agent_days[others])
    assert (with_hires.effort.sum(axis=1) >= without.effort.sum(axis=1) - 1e-9).all()
    assert with_hires.effort.sum() > without.effort.sum()


def test_under_stop_a_line_is_spent_when_what_it_keeps_buys_nothing_it_pays_for():
    """The engine pays whole bed-days and removals, so a spent line keeps crumbs: its
    runway is the day it ran out (~day 53 for custody in small-stop), not the day a later
    line opened and the crumbs were charged (day 70), nor "beyond horizon"."""
    import atlarge

    sc = load_scenario(SMALL / "small-stop.toml")
    rows = {r["line"]: r for r in atlarge.simulate(sc, reps=6, seed=2).summary()["funding_runway"]}
    start = sc.start_date

    def day(line: str) -> int:
        return (dt.date.fromisoformat(rows[line]["date_p50"]) - start).days

    assert 45 <= day("custody") <= 62 and rows["custody"]["beyond_horizon_share"] == 0.0
    assert 28 <= day("removals") <= 44
    assert 70 <= day("supplemental") < sc.days
    assert rows["later"]["date_p50"] is None and rows["later"]["beyond_horizon_share"] == 1.0


def test_under_stop_and_hold_removals_paid_from_the_bed_money_lose_nobody():
    """A line paying for seats and beds: arrests count on the beds the money pays at the
    start of the day, then the day's removals spend part of it, so fewer beds are paid when
    admissions come. What holding cannot take then is released for lack of money, never
    dropped (found in review: 400 persons a replication vanished)."""
    sc = with_money(
        "small-saturating-hold",
        45,
        {"on_exhausted": "stop", "lines": {"a": _line(("transport", "detention"), 1e9, -5, 100)}},
        detention__beds=6000,
    )
    inp = build_inputs(sc)
    streams = RandomStreams.for_replications(1, np.arange(2))
    state = PipelineState.initial(inp, 2)
    state.queue += 40  # removals to pay for
    state.backlog += 200  # arrests waiting for the room
    state.funds[:] = (state.detained.sum(axis=-1)[:, None] + 400) * inp.money.base_rate
    before = state.backlog.sum(-1) + state.held.sum(-1) + state.detained.sum(-1)
    day = Day(0, streams)
    for step in DAILY_STEPS:
        step(inp, state, day)
    after = state.backlog.sum(-1) + state.held.sum(-1) + state.detained.sum(-1)
    moved = day.arrests + day.border_admissions - day.removed - day.released - day.departed
    assert (day.removed.sum(-1) > 0).all() and (day.released_funds.sum(-1) > 0).all()
    assert np.array_equal(after, before + moved.sum(-1))
    assert (state.held <= inp.holding[0][None, :]).all()
    assert np.array_equal(day.transferred_in.sum(-1), day.transferred_out.sum(-1))


def test_a_plan_switched_off_leaves_beds_and_headcounts_as_typed():
    """--set procurement.enabled=false (hiring.enabled=false): the beds (the ERO
    headcount) are as typed, the plan sets nothing aside and its KPI is not listed."""
    import atlarge
    from tests.conftest import FUNDED

    sc = small_scenario(
        FUNDED, days=40, procurement__enabled=False, hiring__enabled=False, detention__beds=70000
    )
    res = atlarge.simulate(sc, reps=2, seed=1)
    inp, summary = res.output.inputs, res.summary()
    assert (inp.beds_national == 70000).all() and inp.money.beds_bought.sum() == 0
    assert inp.money.hires.sum() == 0 and inp.money.hire_agency is None
    assert len(inp.money.ledger.amount) == len(sc.budget.lines)  # no set-aside lines
    assert not summary["mechanisms"]["procurement"] and not summary["mechanisms"]["hiring"]
    assert "beds_added" not in summary["kpis"] and "officers_hired" not in summary["kpis"]

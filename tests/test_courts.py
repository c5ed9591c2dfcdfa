"""Immigration courts (issue 13, docs/model.md 3.12), tested as a stage.

Over small scenarios generated with a ``[courts]`` section (hypothesis), for every
replication, office and day: the pipeline identity of docs/model.md 3.11 holds with the
detained docket counted as detained; the non-detained docket is last day's plus receipts
less completions, starting from the spread initial backlog; judges never decide more
than ``K(t)`` a day, and the split between the dockets follows the priority rule; orders
bound what they imply (in absentia among removal orders, moves into the orders pool among
non-detained orders) and the pools change by exactly the moves; beds are never exceeded.
Results do not depend on chunking; without ``[courts]`` the court and expedited flags of
the paths change nothing; the expedited-removal scope splits admissions as stated, with
and without mandatory detention; a small bench makes detained cases wait.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.engine.allocation import largest_remainder, stochastic_round
from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import build_inputs, daily_path_shares
from atlarge.model.outcomes import Outcome
from atlarge.model.state import Day, PipelineState
from atlarge.model.steps import DAILY_STEPS, Stream
from atlarge.model.steps import courts as courts_step
from atlarge.runs.replications import run_model, run_replications
from atlarge.scenario import Scenario, load_scenario
from atlarge.simulation import simulate
from tests.conftest import ROOT
from tests.test_hold import _check_hold
from tests.test_model_properties import _check_invariants

SMALL = ROOT / "tests" / "scenarios"
BASES = ("small-open", "small-saturating", "small-saturating-release", "small-saturating-hold")
GROUPS = ("conviction_and_order", "other_criminal", "no_criminal")
SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def base(name: str) -> Scenario:
    return load_scenario(SMALL / f"{name}.toml")


def _param(value: float, unit: str, schedule: dict[dt.date, float] | None = None) -> dict:
    return {"value": float(value), "unit": unit, "source": "Test", "schedule": schedule}


def courts_section(c: dict[str, Any]) -> dict[str, Any]:
    """A ``[courts]`` section (as dumped data) from the generated values ``c``."""
    out = {
        "judges": _param(c["judges"], "judges", c.get("judges_schedule")),
        "completions_per_judge_day": _param(c["per_judge"], "cases/judge-day"),
        "docket_priority": c["priority"],
        "detained_share": None,
        "initial_backlog": _param(c["backlog"], "cases"),
        "receipts_per_day": _param(c["receipts"], "cases/day"),
        "in_absentia_share": _param(c["absentia"], "fraction"),
        "removal_order_share": _param(c["orders"], "fraction"),
        "pending_group": c["pending_group"],
        "orders_group": c["orders_group"],
        "cost_per_completion": _param(1495, "USD/case"),
    }
    if c["priority"] == "share":
        out["detained_share"] = _param(c["share"], "fraction", c.get("share_schedule"))
    return out


def scenario_with(name: str, days: int, courts: dict | None, **policy: Any) -> Scenario:
    """Test scenario ``name`` over ``days`` with ``courts`` (generated values, or None)
    and ``policy`` entries (dumped parameters) added."""
    data = base(name).model_dump()
    data["days"] = days
    data["courts"] = None if courts is None else courts_section(courts)
    data["policy"].update(policy)
    return Scenario.model_validate(data)


def _dates(draw_days: st.SearchStrategy[int]) -> st.SearchStrategy[dt.date]:
    start = base("small-open").start_date
    return draw_days.map(lambda d: start + dt.timedelta(days=d))


@st.composite
def court_values(draw) -> dict[str, Any]:
    absentia = draw(st.sampled_from([0.0, 0.25, 0.6, 1.0]))
    c = {
        "judges": draw(st.sampled_from([0, 1, 3, 10, 40, 700])),
        "judges_schedule": draw(
            st.none() | st.dictionaries(_dates(st.integers(1, 50)), st.integers(0, 60), max_size=2)
        ),
        "per_judge": draw(st.sampled_from([0.0, 0.5, 1.7, 3.56, 10.0])),
        "priority": draw(st.sampled_from(["detained_first", "share"])),
        "share": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        "share_schedule": draw(
            st.none() | st.dictionaries(_dates(st.integers(1, 50)), st.floats(0, 1), max_size=1)
        ),
        "backlog": draw(st.sampled_from([0, 7, 1000, 250_000])),
        "receipts": draw(st.sampled_from([0.0, 0.4, 25.0, 300.0])),
        "absentia": absentia,
        "orders": draw(st.floats(0.0, 1.0 - absentia)),
        "pending_group": draw(st.sampled_from(GROUPS)),
        "orders_group": draw(st.sampled_from(GROUPS)),
    }
    return {
        k: {d: float(x) for d, x in v.items()} if isinstance(v, dict) else v for k, v in c.items()
    }


variants = st.fixed_dictionaries(
    {
        "base": st.sampled_from(BASES),
        "days": st.integers(3, 45),
        "courts": court_values(),
        "seed": st.integers(0, 2**31),
    }
)


def _at(value: float, schedule: dict[dt.date, float] | None, start: dt.date, days: int):
    """A dated parameter, day by day, from its value and schedule (docs/model.md 2)."""
    out = np.full(days, value)
    for when, v in sorted((schedule or {}).items()):
        out[max((when - start).days, 0) :] = v
    return out


def expected_capacity(sc: Scenario, c: dict) -> tuple[np.ndarray, np.ndarray]:
    """``K(t)`` and ``Kd(t)`` computed from the generated values, not from the model."""
    judges = _at(c["judges"], c["judges_schedule"], sc.start_date, sc.days)
    k = np.floor(judges * c["per_judge"] + 1e-9).astype(np.int64)
    if c["priority"] == "detained_first":
        return k, k
    share = _at(c["share"], c["share_schedule"], sc.start_date, sc.days)
    return k, np.floor(k * share + 1e-9).astype(np.int64)


# ------------------------------------------------------------------ the recorded series


def _check_series(inputs, s, c: dict) -> None:
    """Pipeline identity, beds, the non-detained docket and the pools, from what a run
    records."""
    (_check_hold if inputs.overflow_hold else _check_invariants)(inputs, s)
    assert (s["court_detained_waiting"] <= s["detained"]).all()
    # P(t) = P(t-1) + receipts - non-detained completions, from the spread backlog.
    sc = inputs.scenario
    backlog = int(np.floor(c["backlog"] + 1e-9))
    p0 = inputs.court_backlog0
    assert p0.sum() == backlog
    assert (np.abs(p0 - backlog * inputs.offices.population_weight) < 1).all()
    assert np.array_equal(
        p0, largest_remainder(np.array(backlog), inputs.offices.population_weight)
    )
    non_detained = s["court_completions"] - s["court_detained_decisions"]
    assert (non_detained >= 0).all()
    before = np.concatenate(
        [
            np.broadcast_to(p0[None, :, None], (*s["court_backlog"].shape[:2], 1)),
            s["court_backlog"][..., :-1],
        ],
        axis=-1,
    )
    assert np.array_equal(s["court_backlog"], before + s["court_receipts"] - non_detained)
    # Judges' capacity, nationally, every day.
    k, _ = expected_capacity(sc, c)
    assert np.array_equal(inputs.court_capacity, k)
    assert (s["court_completions"].sum(axis=1) <= k[None, :]).all()
    assert (s["in_absentia_orders"] <= s["removal_orders"]).all()
    _check_pools_with_moves(inputs, s, c)


def _check_pools_with_moves(inputs, s, c: dict) -> None:
    """N(t) = N(t-1) + replenishment - arrests (+ orders in, - orders out); the test
    scenarios have no departures, so nothing else may change a pool."""
    n_r, n_o, n_g, n_d = s["pool"].shape
    assert not s["pool_departures"].any()
    pend, orders = GROUPS.index(c["pending_group"]), GROUPS.index(c["orders_group"])
    assert inputs.group_keys == GROUPS
    if pend == orders:
        assert not s["orders_to_pool"].any()
    streams = RandomStreams.for_replications(c["_seed"], np.arange(n_r))
    before = np.broadcast_to(inputs.pool0, (n_r, n_o, n_g)).astype(np.int64)
    for t in range(n_d):
        u = streams.uniform((n_o, n_g), t, Stream.REPLENISH)
        added = stochastic_round(np.broadcast_to(inputs.replenish[t], before.shape), u)
        moved = np.zeros_like(before)
        moved[..., pend] -= s["orders_to_pool"][..., t]
        moved[..., orders] += s["orders_to_pool"][..., t]
        expected = before + added - s["arrests_by_group"][..., t] + moved
        assert np.array_equal(s["pool"][..., t], expected), f"day {t}: a pool moved otherwise"
        before = expected


# ------------------------------------------------------------------ inside the courts step


def _step_and_check(inputs, c: dict, seed: int, reps: int = 2) -> None:
    """Step the model day by day and check the courts step against the rules of
    docs/model.md 3.12, with the dockets as the step found them."""
    k, kd = expected_capacity(inputs.scenario, c)
    removal = inputs.chains_ending_in[Outcome.REMOVAL]
    pend, orders = GROUPS.index(c["pending_group"]), GROUPS.index(c["orders_group"])
    streams = RandomStreams.for_replications(seed, np.arange(reps))
    state = PipelineState.initial(inputs, reps)
    for t in range(inputs.days):
        day = Day(t, streams)
        p_before = state.pending.copy()
        for step in DAILY_STEPS:
            if step is courts_step:
                w0, p0, pool0 = state.docket.copy(), state.pending.copy(), state.pool.copy()
            step(inputs, state, day)
            if step is courts_step:
                decided = w0 - state.docket
                _check_day(t, k[t], kd[t], c, w0, p0, decided, state, day)
                ordered = day.removal_orders - decided[..., removal].sum(axis=-1)
                assert (day.in_absentia <= ordered).all() and (ordered <= day.court_completed).all()
                assert (day.orders_to_pool <= ordered).all()
                moved = np.zeros_like(pool0)
                if pend != orders:
                    moved[..., pend] -= day.orders_to_pool
                    moved[..., orders] += day.orders_to_pool
                assert np.array_equal(state.pool, pool0 + moved)
        # Releases for lack of beds joined the docket after the courts step.
        assert np.array_equal(state.pending, p_before + day.court_receipts - day.court_completed)
        assert (state.detained <= np.maximum(inputs.beds[t], inputs.initial_detained.sum(-1))).all()


def _check_day(t, k, kd, c, w0, p0, decided, state, day) -> None:
    receipts = day.court_receipts  # from paths whose case goes on, and from outside
    assert (decided >= 0).all() and (state.docket >= 0).all() and (state.pending >= 0).all()
    assert np.array_equal(day.court_decided, decided.sum(axis=-1))
    waiting = w0.sum(axis=(1, 2))
    n_decided = decided.sum(axis=(1, 2))
    n_done = day.court_completed.sum(axis=-1)
    available = (p0 + receipts).sum(axis=-1)
    # The detained docket may use its cap plus what the non-detained docket cannot.
    unused = np.maximum(k - kd - available, 0)
    assert np.array_equal(n_decided, np.minimum(kd + unused, waiting)), f"day {t}: detained"
    # What the detained docket leaves goes to the non-detained docket, up to its cases.
    assert np.array_equal(n_done, np.minimum(k - n_decided, available)), f"day {t}"
    assert (n_decided + n_done <= k).all()
    assert (n_decided <= kd + unused).all()
    # Judges are never idle while either docket has a case waiting.
    idle = n_decided + n_done < k
    assert not state.docket.sum(axis=(1, 2))[idle].any(), f"day {t}: idle, detained waiting"
    assert not state.pending.sum(axis=-1)[idle].any(), f"day {t}: idle, cases pending"
    if c["priority"] == "detained_first":
        left_waiting = state.docket.sum(axis=(1, 2)) > 0
        assert not n_done[left_waiting].any(), f"day {t}: non-detained heard before detained"
    assert np.array_equal(state.pending, p0 + receipts - day.court_completed)


@settings(max_examples=20, **SLOW)
@given(variants)
def test_courts_conserve_people_cases_and_pools_and_never_exceed_judges_or_beds(v):
    c = dict(v["courts"], _seed=v["seed"])
    sc = scenario_with(v["base"], v["days"], c)
    inputs = build_inputs(sc)
    assert inputs.courts_on
    _check_series(inputs, run_replications(inputs, v["seed"], 2), c)
    _step_and_check(inputs, c, v["seed"])


@settings(max_examples=4, **SLOW)
@given(variants, st.integers(1, 5))
def test_court_results_do_not_depend_on_chunking(v, chunk):
    inputs = build_inputs(scenario_with(v["base"], v["days"], v["courts"]))
    whole = run_replications(inputs, v["seed"], 5, chunk_size=5)
    parts = run_replications(inputs, v["seed"], 5, chunk_size=chunk)
    for key in whole:
        assert np.array_equal(whole[key], parts[key]), key


# ------------------------------------------------------------------ flags without courts


def _without_flags(sc: Scenario) -> Scenario:
    data = sc.model_dump()
    for d in data["dispositions"].values():
        d["court"], d["expedited"] = None, False
    return Scenario.model_validate(data)


@pytest.mark.parametrize(
    "name", ["small-open", "small-saturating-release", "small-saturating-hold"]
)
def test_without_courts_the_court_and_expedited_flags_change_nothing(name):
    flagged = scenario_with(name, 40, None)
    flags = [(d.court, d.expedited) for d in flagged.dispositions.values()]
    assert ("detained", False) in flags and ("pending", False) in flags and (None, True) in flags
    a = run_model(flagged, 3, 5, timeseries="full")
    b = run_model(_without_flags(flagged), 3, 5, timeseries="full")
    assert set(a.series) == set(b.series)
    for key in a.series:
        assert np.array_equal(a.series[key], b.series[key]), key
    assert not a.series["court_backlog"].any() and not a.series["court_completions"].any()
    for key in a.costs:
        assert np.array_equal(a.costs[key], b.costs[key]), key


# ------------------------------------------------------------------ expedited-removal scope


def _fraction(value: float, schedule: dict | None = None) -> dict:
    return {**_param(value, "fraction", schedule), "source": None, "assumption": True,
            "range": (0.0, 1.0), "rationale": "Test"}  # fmt: skip


@settings(max_examples=20, **SLOW)
@given(
    st.floats(0.0, 1.0),
    st.none() | st.floats(0.0, 1.0),
    st.none() | st.sampled_from([0.0, 0.4, 1.0]),
    st.integers(1, 30),
)
def test_expedited_scope_splits_admissions_and_composes_with_mandatory_detention(
    e, e_later, m, day
):
    start = base("small-open").start_date
    schedule = None if e_later is None else {start + dt.timedelta(days=day): e_later}
    policy = {"expedited_removal_share": _fraction(e, schedule)}
    if m is not None:
        policy["mandatory_detention_share"] = _fraction(m)
    sc = scenario_with("small-mandatory", 40, None, **policy)
    inputs = build_inputs(sc)
    shares = inputs.path_share
    disp = list(sc.dispositions.values())
    fast = np.array([d.expedited for d in disp])
    disc = np.array([d.discretionary for d in disp])
    assert fast.any() and disc.any()
    assert np.allclose(shares.sum(axis=-1), 1.0) and (shares >= 0).all()
    e_t = _at(e, schedule, start, 40)
    if m is None:
        assert np.allclose(shares[:, fast].sum(axis=-1), e_t)
        own = np.array([d.share.value for d in disp])
        rest = own * ~fast / own[~fast].sum()
        assert np.allclose(shares[:, ~fast], (1 - e_t)[:, None] * rest[None, ~fast])
    elif m == 1.0:
        assert not shares[:, disc].any()  # no discretionary path at m = 1
    else:  # mandatory detention applies to the scoped shares (docs/model.md 3.7)
        scoped = daily_path_shares(np.array([d.share.value for d in disp]), disc, None, 40,
                                   fast, e_t)  # fmt: skip
        assert np.allclose(shares[:, disc], (1 - m) * scoped[:, disc])


def test_an_expedited_scope_equal_to_the_paths_own_keeps_their_shares():
    sc = base("small-open")
    own = np.array([d.share.value for d in sc.dispositions.values()])
    fast = np.array([d.expedited for d in sc.dispositions.values()])
    scoped = scenario_with("small-open", 20, None,
                           expedited_removal_share=_fraction(own[fast].sum()))  # fmt: skip
    assert np.allclose(build_inputs(scoped).path_share, own[None, :], rtol=0, atol=1e-15)


@pytest.mark.parametrize("e", [0.0, 1.0])
def test_an_expedited_scope_of_all_or_nothing_sends_every_admission_one_way(e):
    sc = scenario_with("small-open", 30, None, expedited_removal_share=_fraction(e))
    fast = np.array([d.expedited for d in sc.dispositions.values()])
    entries = run_replications(build_inputs(sc), 3, 2)["path_entries"]
    assert entries.sum() > 0
    assert not entries[:, fast if e == 0.0 else ~fast].any()


# ------------------------------------------------------------------ the size of the bench

BENCH = {
    "per_judge": 1.0,
    "priority": "detained_first",
    "backlog": 1000,
    "receipts": 10.0,
    "absentia": 0.3,
    "orders": 0.2,
    "pending_group": "no_criminal",
    "orders_group": "other_criminal",
}


def test_a_small_bench_leaves_detained_cases_waiting_and_a_large_one_does_not():
    small = scenario_with("small-open", 60, {**BENCH, "judges": 2})
    large = scenario_with("small-open", 60, {**BENCH, "judges": 20_000})
    s = simulate(small, reps=2, seed=1, workers=1)
    waiting = s.output.national("court_detained_waiting")
    assert (np.diff(waiting[:, 20:], axis=-1) > 0).mean() > 0.8  # grows nearly every day
    assert s.summary()["kpis"]["detained_court_wait_days"]["mean"] > 1
    big = simulate(large, reps=2, seed=1, workers=1, timeseries="full")
    assert not big.output.series["court_detained_waiting"].any()
    assert big.output.totals("court_detained_decisions").min() > 0
    assert big.summary()["kpis"]["detained_court_wait_days"]["mean"] == 0

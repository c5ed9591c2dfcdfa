"""Each daily step on a tiny hand-built state, and the order the loop runs them in.

States here have 2 replications and 2 offices; the inputs are a shipped
scenario's with the fields a step reads replaced by small hand-set arrays, so
each expected result can be worked out by hand. Probabilities of 0 or 1 and
whole expected inflows make the random draws exact.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from atlarge.engine.delays import PhaseChains
from atlarge.engine.rng import RandomStreams
from atlarge.model import simulate, steps
from atlarge.model.inputs import ModelInputs, build_inputs
from atlarge.model.outcomes import Outcome
from atlarge.model.recording import OFFICE_MEASURES, Recorder
from atlarge.model.state import Day, PipelineState
from atlarge.scenario.schema import Disposition
from tests.conftest import OPERATION, small_scenario

ROOT = Path(__file__).resolve().parents[1]
REPS, OFFICES = 2, 2


@cache
def _base() -> ModelInputs:
    # The one-channel pipeline with overflow transferred: each test switches on what it tests.
    base = build_inputs(small_scenario(OPERATION, days=3, detention__overflow="transfer"))
    return dataclasses.replace(
        base,
        custodial_on=False,
        collateral_on=False,
        departures_on=False,
        limit_days=0,
        courts_on=False,
        court_paths=np.zeros(base.chains.n_chains, dtype=bool),
        pending_paths=np.zeros(base.chains.n_chains, dtype=bool),
    )


def tiny(**fields) -> ModelInputs:
    """The base inputs with ``fields`` replaced (3 days; arrays sized for 2 offices)."""
    return dataclasses.replace(_base(), **fields)


def state(**fields) -> PipelineState:
    """An empty state of 2 replications, 2 offices, 2 groups and 4 phase slots."""
    ro = (REPS, OFFICES)
    empty = {
        "pool": np.zeros((*ro, 2), dtype=np.int64),
        "backlog": np.zeros(ro, dtype=np.int64),
        "held": np.zeros(ro, dtype=np.int64),
        "stock": np.zeros((*ro, 4), dtype=np.int64),
        "queue": np.zeros(ro, dtype=np.int64),
        "limited": np.zeros((*ro, 0), dtype=np.int64),
        "docket": np.zeros((*ro, 0), dtype=np.int64),
        "pending": np.zeros(ro, dtype=np.int64),
        "atd": np.zeros(ro, dtype=np.int64),
        "recent": np.zeros((2, *ro), dtype=np.int64),
        "replaced": np.zeros(ro, dtype=bool),
        "dip_until": np.zeros(ro, dtype=np.int64),
        "period_arrests": np.zeros(ro, dtype=np.int64),
        "period_target": np.zeros(OFFICES),
    }
    empty.update({k: np.asarray(v) for k, v in fields.items()})
    return PipelineState(**empty)


def day(t: int = 0, **flows) -> Day:
    d = Day(t, RandomStreams.for_replications(5, [0, 1]))
    for k, v in flows.items():
        setattr(d, k, np.asarray(v))
    return d


def per_day(row) -> np.ndarray:
    """A ``(days, ...)`` input holding the same row on each of the 3 days."""
    return np.array([row] * 3)


# ---------------------------------------------------------------- 3.1 effort


def test_effort_dips_until_the_day_the_new_leadership_has_settled():
    inp = tiny(effort=per_day([10.0, 20.0]), effort_custodial=per_day([2.0, 4.0]), dip=0.5)
    s = state(dip_until=[[3, 0], [0, 2]])
    d = day(2)
    steps.effort(inp, s, d)
    assert np.array_equal(d.effort, [[5.0, 20.0], [10.0, 20.0]])  # day 2 < 3; day 2 == 2 is back
    assert np.array_equal(d.effort_custodial, [[1.0, 4.0], [2.0, 4.0]])  # both channels dip


# ----------------------------------------------------------- 3.2 allocation


def test_pressure_is_the_shortfall_plus_the_regime_clipped_to_one():
    inp = tiny(
        pressure_window=2,
        target_office=per_day([100.0, 0.0]),
        pressure_all=0.1,
        pressure_replaced=0.6,
    )
    recent = np.array([[[40, 9], [120, 9]], [[60, 9], [120, 9]]])  # (window, reps, offices)
    s = state(recent=recent, replaced=[[False, True], [True, False]])
    p = steps.pressure(inp, s, 2)
    # office 0: shortfall 0.5 (rep 0), 0 when above target (rep 1); office 1 has no target
    assert np.allclose(p, [[0.6, 0.7], [0.7, 0.1]])
    assert np.allclose(steps.pressure(inp, s, 0), [[0.1, 0.7], [0.7, 0.1]])  # no history yet
    high = tiny(pressure_all=0.9, pressure_replaced=0.6, pressure_window=2)
    assert np.array_equal(steps.pressure(high, s, 0), [[0.9, 1.0], [1.0, 0.9]])  # capped at 1


def test_allocation_moves_the_pressured_share_to_the_group_quickest_to_arrest():
    inp = tiny(
        pool0=np.array([[100.0, 100.0], [100.0, 0.0]]),
        yield_per_agent_day=np.array([1.0, 2.0]),
        effort_share=np.array([0.7, 0.3]),
        pressure_shift=0.5,
        pressure_all=1.0,
        pressure_replaced=0.0,
        pressure_window=2,
        target_office=per_day([0.0, 0.0]),
    )
    # Rep 0: group 1 depleted to 25% yields 0.5 < 1.0, so group 0 is quickest;
    # rep 1: group 1 full yields 2.0. Office 1's group 1 has no pool: group 0.
    s = state(pool=[[[100, 25], [100, 0]], [[100, 100], [100, 0]]])
    d = day(0)
    steps.allocation(inp, s, d)
    assert np.allclose(d.allocation.sum(axis=-1), 1.0)
    assert np.allclose(d.allocation[0, 0], [0.85, 0.15])
    assert np.allclose(d.allocation[1, 0], [0.35, 0.65])
    assert np.allclose(d.allocation[:, 1], [[0.85, 0.15], [0.85, 0.15]])
    d0 = day(0)
    steps.allocation(dataclasses.replace(inp, pressure_all=0.0), s, d0)
    assert np.allclose(d0.allocation, [0.7, 0.3])  # no pressure: the baseline shares


# -------------------------------------------------------------- 3.3 arrests


def _arrest_inputs(**kw) -> ModelInputs:
    fields = {
        "pool0": np.array([[50.0, 0.0], [50.0, 50.0]]),
        "yield_per_agent_day": np.array([1.0, 1.0]),
        "replenish": per_day([[3.0, 0.0], [1.0, 2.0]]),
        "priority": per_day([1.0, 1.0]),
        "pressure_window": 2,
    } | kw
    return tiny(**fields)


def test_arrests_take_the_whole_pool_at_overwhelming_effort_and_none_without_effort():
    inp = _arrest_inputs()
    pool = np.array([[[50, 7], [20, 30]], [[0, 0], [50, 50]]])
    s = state(pool=pool.copy())
    d = day(1, effort=[[1e12, 0.0], [1e12, 1e12]], allocation=np.full((REPS, OFFICES, 2), 0.5))
    steps.arrests(inp, s, d)
    steps.replenishment(inp, s, d)
    # office 0, group 1 has no initial pool: never arrested from; office 1 of rep 0: no effort
    assert np.array_equal(d.arrests_by_group, [[[50, 0], [0, 0]], [[0, 0], [50, 50]]])
    assert np.array_equal(d.arrests, d.arrests_by_group.sum(axis=-1))
    assert np.array_equal(s.recent[1], d.arrests)  # the pressure window's row for day 1
    # depleted by the arrests, replenished by whole expected inflows
    assert np.array_equal(s.pool, pool - d.arrests_by_group + [[3, 0], [1, 2]])


def test_arrests_never_exceed_the_pool_and_conserve_it():
    inp = _arrest_inputs()
    pool = np.array([[[40, 0], [30, 20]], [[10, 0], [50, 5]]])
    s = state(pool=pool.copy())
    d = day(0, effort=np.full((REPS, OFFICES), 30.0), allocation=np.full((REPS, OFFICES, 2), 0.5))
    steps.arrests(inp, s, d)
    steps.replenishment(inp, s, d)
    assert ((d.arrests_by_group >= 0) & (d.arrests_by_group <= pool)).all()
    assert np.array_equal(s.pool + d.arrests_by_group, pool + np.array([[3, 0], [1, 2]]))


# -------------------------------------------------------------- 3.4 book-in


def test_book_in_is_capped_by_capacity_and_the_rest_waits():
    inp = tiny(processing_capacity=per_day([8, 8]), border_inflow=per_day([2.0, 0.0]))
    s = state(backlog=[[5, 5], [0, 0]])
    d = day(0, arrests=[[10, 1], [3, 9]])
    steps.book_in(inp, s, d)
    assert np.array_equal(d.booked, [[8, 6], [3, 8]])
    assert np.array_equal(s.backlog, [[7, 0], [0, 1]])
    assert np.array_equal(d.border_admissions, [[2, 0], [2, 0]])  # outside book-in capacity


def test_a_step_cannot_read_a_flow_before_the_step_that_writes_it():
    with pytest.raises(AttributeError):
        steps.book_in(tiny(), state(), day(0))  # no arrests yet today


# --------------------------------------------------------------- 3.5 delays


def _path_inputs(exit_p: float) -> ModelInputs:
    # Paths laid out release (1 phase), removal (2 phases), departure (1 phase): the
    # removal path is not first, so an outcome picked by position would go astray.
    outcomes = (Outcome.RELEASE, Outcome.REMOVAL, Outcome.DEPARTURE)
    return tiny(
        chains=PhaseChains(means=(1.0, 2.0, 1.0), phases=(1, 2, 1)),
        chain_exit_p=np.full(4, exit_p),
        chain_outcome=outcomes,
        chains_ending_in={k: np.array([o == k for o in outcomes]) for k in Outcome},
        chain_share=np.array([0.2, 0.5, 0.3]),
        path_share=per_day([0.2, 0.5, 0.3]),
    )


def test_delays_send_each_finished_path_to_its_named_outcome():
    stock = np.array([[[1, 2, 3, 4], [0, 0, 0, 5]], [[7, 0, 0, 0], [0, 6, 0, 0]]])
    s = state(stock=stock.copy(), queue=[[10, 0], [0, 0]])
    d = day(0)
    steps.delays(_path_inputs(1.0), s, d)
    assert np.array_equal(d.released_on_exit, stock[..., 0])
    assert np.array_equal(s.queue, [[10 + 3, 0], [0, 0]])  # last phase of the removal path
    assert np.array_equal(d.departed, stock[..., 3])
    assert np.array_equal(s.stock, [[[0, 0, 2, 0], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 6, 0]]])


def test_delays_move_nothing_when_no_phase_ends():
    stock = np.arange(16).reshape(REPS, OFFICES, 4)
    s = state(stock=stock.copy())
    d = day(0)
    steps.delays(_path_inputs(0.0), s, d)
    assert np.array_equal(s.stock, stock)
    assert not (d.released_on_exit.any() or d.departed.any() or s.queue.any())


# ------------------------------------------------------------ 3.6 transport


def test_transport_shares_the_seats_over_queues_and_never_takes_more_than_waits():
    s = state(queue=[[5, 15], [2, 1]])
    d = day(0)
    steps.transport(tiny(seats=np.array([10, 10, 10])), s, d)
    assert np.array_equal(d.removed, [[3, 7], [2, 1]])  # 2.5/7.5: the tie goes to office 0
    assert np.array_equal(s.queue, [[2, 8], [0, 0]])


# ----------------------------------------------------------- 3.7 admissions


def _admit(overflow_transfer: bool, beds, on_paths, booked):
    inp = dataclasses.replace(
        _path_inputs(1.0), beds=per_day(beds), overflow_transfer=overflow_transfer
    )
    stock = np.zeros((REPS, OFFICES, 4), dtype=np.int64)
    stock[..., 1] = on_paths
    s = state(stock=stock)
    d = day(0, booked=booked, border_admissions=[[0, 0], [0, 1]])
    steps.admissions(inp, s, d)
    return s, d


def test_admissions_fill_free_beds_and_transfer_the_overflow_to_beds_elsewhere():
    s, d = _admit(True, [10, 10], on_paths=[8, 2], booked=[[5, 1], [5, 0]])
    assert np.array_equal(d.transferred_out, [[3, 0], [3, 0]])
    assert np.array_equal(d.transferred_in, [[0, 3], [0, 3]])
    assert not d.released_capacity.any()
    assert np.array_equal(d.entries.sum(axis=-1), [[2, 4], [2, 4]])  # admitted + moved in
    assert np.array_equal(s.stock.sum(axis=-1), np.array([[8, 2], [8, 2]]) + d.entries.sum(axis=-1))
    assert np.array_equal(s.detained, [[10, 6], [10, 6]])


def test_admissions_release_what_no_office_has_a_bed_for():
    s, d = _admit(True, [10, 3], on_paths=[8, 2], booked=[[5, 3], [1, 0]])
    assert np.array_equal(d.released_capacity, [[3, 2], [0, 0]])
    assert not (d.transferred_in.any() or d.transferred_out.any())
    assert np.array_equal(s.detained, [[10, 3], [9, 3]])
    s, d = _admit(False, [10, 10], on_paths=[8, 2], booked=[[5, 1], [5, 0]])
    assert np.array_equal(d.released_capacity, [[3, 0], [3, 0]])  # "release": no transfers
    assert np.array_equal(d.entries.sum(axis=-1), [[2, 1], [2, 1]])


def test_hold_admits_those_held_first_transfers_overflow_and_holds_the_rest_within_holding():
    inp = dataclasses.replace(
        _path_inputs(1.0),
        beds=per_day([10, 10]),
        overflow_transfer=False,
        overflow_hold=True,
        holding=per_day([4, 4]).astype(np.int64),
    )
    stock = np.zeros((REPS, OFFICES, 4), dtype=np.int64)
    stock[..., 1] = [8, 2]
    s = state(stock=stock.copy(), held=[[2, 0], [0, 0]])
    # Room at the start of the day: holding 4 + free beds (2, 8) - held.
    assert np.array_equal(steps.holding_room(inp, s, 0), [[4, 12], [6, 12]])
    d = day(0, booked=[[3, 1], [5, 0]], border_admissions=[[0, 0], [0, 1]])
    steps.admissions(inp, s, d)
    # Office 0 admits 2 (those held first) and its overflow of 3 goes to office 1's free beds.
    assert not d.released_capacity.any()
    assert np.array_equal(d.transferred_out, [[3, 0], [3, 0]])
    assert np.array_equal(d.transferred_in, [[0, 3], [0, 3]])
    assert np.array_equal(d.entries.sum(axis=-1), [[2, 4], [2, 4]])
    assert np.array_equal(s.held, [[0, 0], [0, 0]])
    assert np.array_equal(s.detained, [[10, 6], [10, 6]])

    # Beds full everywhere: what no bed takes waits in holding, within its capacity.
    full = dataclasses.replace(inp, beds=per_day([10, 3]))
    s = state(stock=stock.copy(), held=[[2, 0], [0, 0]])
    d = day(0, booked=[[3, 1], [5, 0]], border_admissions=[[0, 0], [0, 1]])
    steps.admissions(full, s, d)
    assert not d.released_capacity.any()
    assert np.array_equal(s.held.sum(axis=-1), [3, 3])  # 5 wanting, 2 free beds in office 0
    assert (s.held <= 4).all()
    assert np.array_equal(d.transferred_in.sum(axis=-1), d.transferred_out.sum(axis=-1))
    assert np.array_equal(s.detained, [[10, 3], [10, 3]])


# --------------------------------------------------------- 3.8 alternatives


def test_alternatives_lose_leavers_and_enrol_releases():
    s = state(atd=[[4, 0], [1, 9]])
    d = day(
        0,
        released_on_exit=[[1, 2], [0, 0]],
        released_capacity=[[0, 3], [5, 0]],
        released_funds=[[0, 1], [0, 0]],
        released_post_order_limit=[[0, 0], [0, 0]],
    )
    steps.alternatives(tiny(atd_exit_p=1.0, atd_enrol=1.0), s, d)
    assert np.array_equal(s.atd, [[1, 6], [5, 0]])  # everyone left, every release enrolled
    steps.alternatives(tiny(atd_exit_p=0.0, atd_enrol=0.0), s, d)
    assert np.array_equal(s.atd, [[1, 6], [5, 0]])


# --------------------------------------------------------------- 3.9 regime


def _regime(ranking: str, bottom: int, t: int, arrests, target=(10.0, 1.0)):
    inp = tiny(
        month_ends=np.array([False, True, False]),
        regime_bottom=bottom,
        regime_ranking=ranking,
        dip_days=5,
        target_office=per_day(list(target)),
    )
    s = state(period_arrests=[[4, 2], [0, 0]], period_target=[10.0, 1.0])
    d = day(t, arrests=arrests)
    steps.regime(inp, s, d)
    return s, d


def test_regime_replaces_the_bottom_offices_at_the_end_of_the_period():
    s, d = _regime("absolute", 1, 1, arrests=[[1, 1], [3, 5]])
    assert np.array_equal(d.replacements, [[False, True], [True, False]])
    assert np.array_equal(s.replaced, d.replacements)
    assert np.array_equal(s.dip_until, [[0, 1 + 1 + 5], [7, 0]])
    assert not s.period_arrests.any() and not s.period_target.any()  # a new period starts


def test_regime_ranks_by_share_of_target_when_asked():
    _, d = _regime("share_of_target", 1, 1, arrests=[[1, 1], [3, 5]])
    # rep 0: 5/20 against 3/2; rep 1: 3/20 against 5/2: office 0 is last in both
    assert np.array_equal(d.replacements, [[True, False], [True, False]])


def test_regime_waits_for_the_period_end_and_replaces_nobody_when_off():
    s, d = _regime("absolute", 1, 0, arrests=[[1, 1], [3, 5]])
    assert not d.replacements.any()
    assert np.array_equal(s.period_arrests, [[5, 3], [3, 5]])
    assert np.array_equal(s.period_target, [20.0, 2.0])
    s, d = _regime("absolute", 0, 1, arrests=[[1, 1], [3, 5]])
    assert not d.replacements.any() and not s.replaced.any()


def test_regime_breaks_ties_at_random_but_replaces_exactly_the_stated_number():
    _, d = _regime("absolute", 1, 1, arrests=[[0, 2], [4, 4]])  # 4 against 4 in both reps
    assert (d.replacements.sum(axis=-1) == 1).all()


# ----------------------------------------------------- the loop and records


def _documented_order() -> list[str]:
    text = (ROOT / "docs" / "model.md").read_text()
    block = text.split("**Process order within a day**", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^\d+\. `steps\.(\w+)`", block, flags=re.M)


def test_the_loop_runs_the_documented_steps_in_the_documented_order(monkeypatch):
    documented = _documented_order()
    assert documented == [f.__name__ for f in steps.DAILY_STEPS]
    calls: list[tuple[int, str]] = []

    def logged(step):
        def run(inp, state, day):
            calls.append((day.t, step.__name__))
            step(inp, state, day)

        return run

    monkeypatch.setattr(simulate, "DAILY_STEPS", tuple(map(logged, steps.DAILY_STEPS)))
    simulate.run_chunk(_base(), 1, np.arange(2))
    assert calls == [(t, name) for t in range(_base().days) for name in documented]


def test_steps_read_no_scenario_field():
    """Every value a step needs was prepared in ModelInputs: the loop runs without it."""
    inp = build_inputs(small_scenario(OPERATION, days=35))
    with_scenario = simulate.run_chunk(inp, 3, np.arange(2))
    without = simulate.run_chunk(dataclasses.replace(inp, scenario=None), 3, np.arange(2))
    assert with_scenario["replacements"].sum() > 0  # the regime ran, at the first month end
    for k in with_scenario:
        assert np.array_equal(with_scenario[k], without[k]), k


def test_the_recorder_writes_each_day_replication_first():
    inp = _base()
    n_o = inp.n_offices
    rec = Recorder(inp, 2)
    s = PipelineState.initial(inp, 2)
    counts = ("arrests", "arrests_forgone", "booked", "border_admissions", "border_refused")
    counts += ("arrests_custodial", "arrests_at_large", "arrests_collateral", "pool_departures")
    counts += ("removed", "departed", "released_funds")
    moves = ("transferred_in", "transferred_out", "released_on_exit", "released_capacity")
    moves += ("released_post_order_limit",)
    moves += ("court_decided", "court_completed", "removal_orders", "in_absentia")
    moves += ("orders_to_pool", "court_receipts")
    d = day(1, **{m: np.full((2, n_o), 7) for m in counts + moves})
    d.replacements = np.ones((2, n_o), dtype=bool)
    d.arrests_by_group = np.full((2, n_o, inp.n_groups), 3)
    d.entries = np.ones((2, n_o, inp.chains.n_chains), dtype=np.int64)
    rec.record(s, d)
    out = rec.series()
    assert set(out) == {*OFFICE_MEASURES, "arrests_by_group", "pool", "path_entries"}
    assert out["arrests"].shape == (2, n_o, inp.days)
    assert (out["arrests"][..., 1] == 7).all() and not out["arrests"][..., [0, 2]].any()
    assert (out["released"][..., 1] == 28).all()  # on exit, capacity, funds, post-order
    assert np.array_equal(out["detained"][..., 1], s.detained)
    assert (out["replacements"][..., 1] == 1).all()
    assert np.array_equal(out["pool"][..., 1], s.pool)
    assert (out["path_entries"][..., 1] == n_o).all()  # summed over offices
    assert (out["court_completions"][..., 1] == 14).all()  # both dockets
    assert (out["court_detained_decisions"][..., 1] == 7).all()


def test_outcome_names_are_the_scenario_strings():
    allowed = typing.get_args(Disposition.model_fields["outcome"].annotation)
    assert sorted(allowed) == sorted(o.value for o in Outcome)
    assert {o for o in _base().chain_outcome} <= set(Outcome)

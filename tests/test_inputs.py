"""Deterministic inputs: ramp-up, time-varying parameters, office spreading, months."""

from __future__ import annotations

import datetime as dt

import numpy as np

from atlarge.model.inputs import build_inputs, month_end_flags, ramped
from atlarge.scenario.offices import load_offices
from tests.conftest import OPERATION


def test_ramp_phases_increases_in_and_drops_at_once():
    h = np.array([0, 0, 100, 100, 100, 100, 100, 40, 40], dtype=float)
    r = ramped(h, ramp_days=4)
    assert np.allclose(r[:7], [0, 0, 25, 50, 75, 100, 100])
    assert np.allclose(r[7:], [40, 40])
    assert np.array_equal(ramped(h, 0), h)


def test_guard_arriving_on_a_date_is_absent_before_and_ramps_after(tmp_path):
    from atlarge.scenario import load_scenario
    from tests.conftest import copy_scenarios

    text = OPERATION.read_text().replace(
        "[support.national_guard.headcount]\nvalue = 21000",
        "[support.national_guard.headcount]\nvalue = 0\nschedule = { 2025-07-01 = 21000 }",
    )
    copy_scenarios(tmp_path)
    (tmp_path / "op.toml").write_text(text)
    inp = build_inputs(load_scenario(tmp_path / "op.toml"))
    arrive = (dt.date(2025, 7, 1) - inp.scenario.start_date).days
    ramp = int(inp.scenario.support.national_guard.ramp_days.value)
    assert (inp.guard_troops[:arrive] == 0).all()
    assert 0 < inp.guard_troops[arrive] < 21000
    assert inp.guard_troops[arrive + ramp] == 21000
    assert (inp.processing_capacity[:arrive].sum(axis=1) == 1500).all()
    assert inp.processing_capacity[arrive + ramp].sum() == 1500 + 21000 * 0.05


def test_office_weights_sum_to_one_and_follow_the_stated_derivation():
    off = load_offices()
    assert off.n == 25 and len(set(off.codes)) == 25
    assert np.isclose(off.population_weight.sum(), 1) and np.isclose(off.bed_weight.sum(), 1)
    tx = [off.codes.index(c) for c in ("DAL", "ELP", "HAL", "HOU", "SNA")]
    assert np.isclose(off.bed_weight[tx].sum(), 0.39)
    assert np.isclose(off.bed_weight[off.codes.index("NOL")], 0.16)
    sna, hal = off.codes.index("SNA"), off.codes.index("HAL")
    assert np.isclose(off.population_weight[sna], off.population_weight[hal])


def test_national_capacities_are_spread_in_whole_counts_that_add_up():
    inp = build_inputs(__import__("atlarge").load_scenario(OPERATION))
    assert (inp.beds.sum(axis=1) == inp.beds_national).all()
    assert inp.initial_detained.sum() == 37745
    assert np.isclose(inp.target_office.sum(axis=1), inp.target_national).all()


def test_month_ends_skip_a_short_first_period():
    flags = month_end_flags(dt.date(2025, 6, 20), 60)
    ends = np.flatnonzero(flags)
    assert list(ends) == [41]  # 31 July; 30 June is only 11 days in
    flags = month_end_flags(dt.date(2025, 6, 1), 61)
    assert list(np.flatnonzero(flags)) == [29, 60]

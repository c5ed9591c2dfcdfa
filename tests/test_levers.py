"""The explorer's levers: stable --set paths, valid in every shipped scenario."""

from __future__ import annotations

import pytest

from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.levers import scenario_levers
from tests.conftest import SCENARIOS, copy_scenarios

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
# The paths DESIGN.md promises to the web page (agencies where the scenario has them).
STABLE = {
    "target.arrests_per_day",
    "regime.enabled",
    "regime.bottom_fraction",
    "support.national_guard.headcount",
    "detention.beds",
    "transport.seats_per_day",
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_lever_is_a_valid_override_with_the_scenario_value(path):
    sc = load_scenario(path)
    levers = scenario_levers(sc)
    paths = {lv.path for lv in levers}
    assert paths >= STABLE
    assert {f"workforce.{a}.headcount" for a in sc.workforce.deployed()} <= paths
    params = dict(iter_params(sc))
    for lv in levers:
        if lv.kind == "toggle":
            assert lv.value == sc.regime.enabled
        elif lv.path not in params:
            # removal seats given as flights x seats per flight (+ land removals): the
            # lever shows their total on the start date and setting it replaces them
            assert lv.path == "transport.seats_per_day" and sc.transport.seats_per_day is None
            assert lv.value == sc.transport.seats_total(sc.start_date, 1)[0]
            assert lv.unit == "seats/day"
            assert "replaces that breakdown" in lv.note
        else:
            assert lv.value == params[lv.path].at(sc.start_date)
            assert lv.unit == params[lv.path].unit
    # Setting every lever to another valid value goes through the file schema.
    changed = {
        lv.path: (not lv.value)
        if lv.kind == "toggle"
        else min(lv.value * 1.5 + 1, lv.max if lv.max is not None else float("inf"))
        for lv in levers
    }
    sc2 = load_scenario(path, set=changed)
    params2 = dict(iter_params(sc2))
    for p, v in changed.items():
        got = sc2.regime.enabled if p == "regime.enabled" else params2[p].value
        assert got == v, p
        if p == "regime.enabled":
            continue
        if p in params:
            assert params2[p].source.note.startswith("set by an override (was")
        else:  # the total replaced the scenario's breakdown
            assert params2[p].source.note.startswith("set by an override (replaced the breakdown")
            assert sc2.transport.flights_per_day is None
            assert sc2.transport.seats_per_flight is None
            assert sc2.transport.land_removals_per_day is None


def test_the_guard_switch_sends_zero():
    sc = load_scenario(SCENARIOS / "operation-at-large.toml")
    (guard,) = [lv for lv in scenario_levers(sc) if lv.path == "support.national_guard.headcount"]
    assert guard.off_value == 0 and guard.switch_label and guard.off_label
    no_guard = load_scenario(SCENARIOS / "operation-at-large-no-guard.toml")
    off = load_scenario(SCENARIOS / "operation-at-large.toml", set={guard.path: guard.off_value})
    assert (
        off.support.national_guard.headcount.value
        == no_guard.support.national_guard.headcount.value
    )


def test_a_time_varying_lever_shows_the_start_value_and_says_so(tmp_path):
    copy_scenarios(tmp_path)
    path = tmp_path / "scheduled.toml"
    path.write_text(
        'extends = "operation-at-large.toml"\n'
        "[detention.beds]\n"
        "value = 41500\n"
        'unit = "beds"\n'
        "schedule = { 2025-05-01 = 50000, 2025-09-01 = 60000 }\n"
        'source = "test schedule"\n'
    )
    sc = load_scenario(path)
    (beds,) = [lv for lv in scenario_levers(sc) if lv.path == "detention.beds"]
    assert beds.value == 50000  # in force on 1 June 2025, not the base value
    assert "Varies over time" in beds.note

"""Parameter batches (model.batch): many points in one array, each bit for bit its own run.

The key property: ``run_batch(points, seed, reps_each)[j]`` equals ``run_chunk(points[j],
seed, np.arange(reps_each))`` for every series, on every scenario shipped or used by the
tests, for points drawn over their ranged parameters (the uncertainty draw), swept on
purpose over the fields a batch holds per row (regime counts, pressure windows, money
under stop), and for any parameters hypothesis picks. A batch refuses points that differ
in what sizes its arrays, naming the field.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from atlarge.errors import ScenarioError
from atlarge.model import batch as batch_module
from atlarge.model.batch import (
    LAYOUT,
    LEDGER_LAYOUT,
    MONEY_LAYOUT,
    UNREAD,
    DayRows,
    batch_key,
    run_batch,
    stack_inputs,
)
from atlarge.model.inputs import ModelInputs, build_inputs
from atlarge.model.money import LedgerLines, MoneyInputs
from atlarge.model.simulate import run_chunk
from atlarge.runs.sweep import point_scenarios
from atlarge.scenario import Scenario, load_scenario
from atlarge.scenario.uncertainty import OFFICE_WEIGHTS, drawn_scenario, ranged_parameters
from tests.conftest import OPERATION, ROOT, SCENARIOS

SRC = ROOT / "src" / "atlarge"
TEST_SCENARIOS = ROOT / "tests" / "scenarios"
DAYS = 40
SEED = 11


def _loads_alone(path: Path) -> bool:
    """Funding files are fragments other scenarios extend: they do not load alone."""
    try:
        load_scenario(path)
    except ScenarioError:
        return False
    return True


ALL_SCENARIOS = [
    p
    for p in sorted(SCENARIOS.rglob("*.toml")) + sorted(TEST_SCENARIOS.glob("*.toml"))
    if _loads_alone(p)
]


@cache
def scenario(path: Path, days: int = DAYS) -> Scenario:
    return load_scenario(path, set={"days": days})


def assert_batch_is_separate_runs(points: list[ModelInputs], seed: int, reps_each: int):
    out = run_batch(points, seed, reps_each)
    assert len(out) == len(points)
    for j, point in enumerate(points):
        alone = run_chunk(point, seed, np.arange(reps_each))
        assert out[j].keys() == alone.keys()
        for name, series in alone.items():
            assert out[j][name].shape == series.shape, name
            assert np.array_equal(out[j][name], series), f"point {j}: {name}"


def _held_per_row(points: list[ModelInputs], reps_each: int) -> set[str]:
    """Fields the batch of ``points`` holds per row (the points differ in them)."""
    batch = stack_inputs(points, reps_each)
    return {
        f.name
        for f in dataclasses.fields(batch)
        if getattr(batch, f.name) is not getattr(points[0], f.name)
    }


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_drawn_points_run_in_a_batch_exactly_as_alone(path):
    sc = scenario(path)
    points = [build_inputs(drawn_scenario(sc, 5, k)[0]) for k in range(3)]
    per_row = _held_per_row(points, 2)
    if sc.posterior is None:  # every ranged parameter drawn: the points differ widely
        assert "pressure_window" in per_row and len(per_row) >= 10
    else:  # a fitted scenario draws its posterior alone: the fitted quantities differ
        assert {"effort", "chain_exit_p"} <= per_row
    batch = stack_inputs(points, 2)
    assert any(isinstance(getattr(batch, name), DayRows) for name in per_row)
    assert_batch_is_separate_runs(points, SEED, 2)


def test_swept_regime_counts_windows_and_dips_run_in_a_batch_exactly_as_alone():
    """Two rankings; each point replaces a different number of offices, measures pressure
    over a different window and dips for a different time."""
    base = scenario(TEST_SCENARIOS / "small-regime.toml", 70)
    varied = [
        {"regime.bottom_fraction": b, "targeting.pressure_window_days": w, "regime.dip_days": d}
        for b, w, d in ((0.2, 3.0, 5.0), (0.4, 30.0, 20.0), (0.0, 10.0, 1.0))
    ]
    points = [build_inputs(sc) for sc in point_scenarios(base, varied)]
    assert {p.regime_bottom for p in points} == {0, 1, 2}
    assert {"regime_bottom", "pressure_window", "dip_days"} <= _held_per_row(points, 3)
    out = run_batch(points, SEED, 3)
    assert [o["replacements"].sum() for o in out] == [2 * 3, 2 * 3 * 2, 0]
    assert_batch_is_separate_runs(points, SEED, 3)


def test_swept_money_under_stop_runs_in_a_batch_exactly_as_alone():
    """Lines that run out on different days, and different prices of a bed and a seat:
    the engine caps beds and seats row by row."""
    base = scenario(TEST_SCENARIOS / "small-stop.toml", 60)
    varied = [
        {
            "budget.lines.custody.amount": amount,
            "budget.lines.removals.amount": amount / 8,
            "detention.bed_day_cost": bed,
            "transport.cost_per_removal": seat,
        }
        for amount, bed, seat in ((4e6, 150.0, 1500.0), (1.2e7, 170.0, 900.0), (2e6, 160.0, 0.0))
    ]
    points = [build_inputs(sc) for sc in point_scenarios(base, varied)]
    assert all(p.money.holds_beds and p.money.holds_seats for p in points)
    batch = stack_inputs(points, 2)
    assert batch.money.ledger.amount.shape[0] == 6
    assert batch.money.removal_cost.shape == (6,)
    out = run_batch(points, SEED, 2)
    assert len({o["released_funds"].sum() for o in out}) == 3  # the money ran out unlike
    assert_batch_is_separate_runs(points, SEED, 2)


def _free(path: str) -> bool:
    """A ranged parameter that can take any value in its range on its own (no group of
    shares to keep at one, no phases or beds bounding it)."""
    bound = ("effort_share", ".mean_days", "initial_population", ".group_mix.")
    in_shares = path.startswith("dispositions.") and path.endswith(".share")
    return not (in_shares or path.startswith(OFFICE_WEIGHTS) or any(b in path for b in bound))


HYPOTHESIS_SCENARIOS = [
    TEST_SCENARIOS / f"{name}.toml"
    for name in ("small-channels-hold", "small-courts", "small-limited", "small-regime")
] + [OPERATION]


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_any_varied_parameters_run_in_a_batch_exactly_as_alone(data):
    sc = scenario(data.draw(st.sampled_from(HYPOTHESIS_SCENARIOS)), 30)
    ranged = {r.path: r.param.range for r in ranged_parameters(sc) if _free(r.path)}
    chosen = data.draw(st.lists(st.sampled_from(sorted(ranged)), min_size=1, max_size=5))
    n_points = data.draw(st.integers(1, 3))
    reps_each = data.draw(st.integers(1, 3))
    points = []
    for _ in range(n_points):
        where = {p: data.draw(st.floats(0.0, 1.0)) for p in chosen}
        values = {p: lo + u * (hi - lo) for p, u in where.items() for lo, hi in [ranged[p]]}
        try:
            points.append(build_inputs(sc.with_values(values, "test point")))
        except ScenarioError:
            reject()
    assert_batch_is_separate_runs(points, data.draw(st.integers(0, 2**32)), reps_each)


def test_a_batch_of_one_point_is_its_chunk():
    point = build_inputs(scenario(OPERATION))
    assert stack_inputs([point], 4) is point  # nothing differs: nothing is stacked
    assert_batch_is_separate_runs([point], SEED, 4)


def test_points_may_run_other_replications_as_uncertainty_draws_do():
    """Draw ``k`` of an uncertainty run owns replications ``k * J ..``: given those, each
    point is its own chunk of them."""
    sc = scenario(OPERATION)
    points = [build_inputs(drawn_scenario(sc, 2, k)[0]) for k in range(3)]
    reps = [np.arange(k * 2, (k + 1) * 2) for k in range(3)]
    out = run_batch(points, SEED, 2, reps=reps)
    for point, own, series in zip(points, reps, out, strict=True):
        alone = run_chunk(point, SEED, own)
        assert all(np.array_equal(series[k], alone[k]) for k in alone)
    with pytest.raises(ValueError, match="replication indices for each point"):
        run_batch(points, SEED, 2, reps=reps[:2])


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        ({"transport.limited_countries.post_order_limit_days": 20}, "limit_days"),
        ({"detention.overflow": "release"}, "overflow_hold"),
        ({"days": DAYS + 1}, "dates"),
        ({"budget.on_exhausted": "overspend"}, "money.stop"),
    ],
)
def test_points_that_differ_in_structure_do_not_stack(sets, field):
    path = TEST_SCENARIOS / "small-stop.toml" if field.startswith("money") else OPERATION
    first = load_scenario(path, set={"days": DAYS})
    other = load_scenario(path, set={"days": DAYS, **sets})
    points = [build_inputs(first), build_inputs(other)]
    assert batch_key(points[0]) != batch_key(points[1])
    with pytest.raises(ValueError, match=re.escape(f"differ in {field},")):
        stack_inputs(points, 2)


def test_points_drawn_from_one_scenario_share_a_key():
    sc = scenario(OPERATION)
    keys = {batch_key(build_inputs(drawn_scenario(sc, 3, k)[0])) for k in range(3)}
    assert len(keys) == 1


def test_a_batch_needs_points_and_replications():
    point = build_inputs(scenario(OPERATION))
    with pytest.raises(ValueError, match="at least one parameter point"):
        stack_inputs([], 2)
    with pytest.raises(ValueError, match="reps_each"):
        stack_inputs([point], 0)


@pytest.mark.parametrize(
    ("layout", "cls"),
    [(LAYOUT, ModelInputs), (MONEY_LAYOUT, MoneyInputs), (LEDGER_LAYOUT, LedgerLines)],
)
def test_the_layout_names_every_field(layout, cls):
    """A new field must be placed in the table (stack_inputs would fail on it anyway)."""
    assert list(layout) == [f.name for f in dataclasses.fields(cls)]


def test_no_field_a_batch_keeps_from_its_first_point_is_read_by_the_daily_loop():
    """Unread fields keep the first point's value: a step that began reading one would
    silently run every point with the first point's."""
    source = "\n".join(
        (SRC / rel).read_text()
        for rel in ("model/steps.py", "model/state.py", "engine/delays.py", "model/simulate.py")
    )
    read = set(re.findall(r"\b(?:inp|inputs)\.(\w+)", source))
    read_money = set(re.findall(r"\b(?:inp\.money|inputs\.money|m)\.(\w+)", source))
    read_ledger = set(re.findall(r"\bledger\.(\w+)", source))
    assert "effort" in read and "beds_bought" in read_money and "amount" in read_ledger
    for layout, names in ((LAYOUT, read), (MONEY_LAYOUT, read_money), (LEDGER_LAYOUT, read_ledger)):
        assert not {n for n in names if layout.get(n) == UNREAD}


def test_day_rows_build_each_day_as_the_points_rows():
    by_point = np.arange(2 * 3 * 4).reshape(2, 3, 4)  # (D, P, O)
    rows = DayRows(by_point, 2)
    assert rows.shape == (2, 6, 4)
    assert np.array_equal(rows[1], np.repeat(by_point[1], 2, axis=0))
    assert batch_module.Rows(pad=1).stack([0.5, 0.25], 2).shape == (4, 1)

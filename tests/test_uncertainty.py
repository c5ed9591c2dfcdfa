"""Parameter uncertainty: what is drawn, how, and that it reproduces under any chunking."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.runs.replications import run_model
from atlarge.scenario import Scenario, load_scenario
from atlarge.scenario.uncertainty import drawn_scenario, ranged_parameters
from tests.conftest import OPERATION, small_scenario


@pytest.fixture(scope="module")
def operation():
    return load_scenario(OPERATION)


def test_drawn_values_stay_in_range_and_shares_sum_to_one(operation):
    ranged = {r.path: r.param for r in ranged_parameters(operation)}
    assert "targeting.pressure_shift" in ranged
    assert not any(p.fitted for p in ranged.values())  # fitted values are not redrawn
    assert not any(path.startswith("reported.") for path in ranged)
    for k in range(5):
        sc, values = drawn_scenario(operation, seed=3, draw=k)
        for path, v in values.items():
            lo, hi = ranged[path].range
            assert lo <= v <= hi, path
        assert sum(g.effort_share.value for g in sc.groups.values()) == pytest.approx(1)
        assert sum(d.share.value for d in sc.dispositions.values()) == pytest.approx(1)
    a = drawn_scenario(operation, seed=3, draw=0)[1]
    assert a == drawn_scenario(operation, seed=3, draw=0)[1]
    assert a != drawn_scenario(operation, seed=3, draw=1)[1]
    assert a != drawn_scenario(operation, seed=4, draw=0)[1]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 7), st.integers(1, 4))
def test_uncertainty_runs_do_not_depend_on_chunking(chunk, inner):
    sc = small_scenario(days=20)
    kw = {"uncertainty_inner": inner, "timeseries": "full"}
    whole = run_model(sc, 7, 5, chunk_size=7, **kw)
    parts = run_model(sc, 7, 5, chunk_size=chunk, **kw)
    for k in whole.series:
        assert np.array_equal(whole.series[k], parts.series[k]), k
    assert list(whole.draw_of_rep) == [i // inner for i in range(7)]


def test_parameter_draws_widen_the_bands():
    sc = small_scenario(days=45)
    fixed = run_model(sc, 40, 1).totals("arrests")
    drawn = run_model(sc, 40, 1, uncertainty_inner=4).totals("arrests")
    assert np.percentile(drawn, 95) - np.percentile(drawn, 5) > 5 * (
        np.percentile(fixed, 95) - np.percentile(fixed, 5)
    )


def test_costs_follow_each_draw():
    sc = small_scenario(days=20)
    out = run_model(sc, 6, 2, uncertainty_inner=2)
    per_day = out.per_rep(lambda d: d.scenario.workforce.hsi.cost_per_agent_day.value)
    assert len(set(per_day)) == 3  # one value per draw
    agents = out.costs["agents"]
    assert agents[0] == agents[1] and agents[0] != agents[2]


def test_cli_uncertainty_run_says_what_its_bands_contain(cli, tmp_path):
    res = cli(
        "run",
        OPERATION,
        "--reps",
        "6",
        "--days",
        "15",
        "--uncertainty",
        "--inner",
        "3",
        "--out",
        tmp_path / "u",
        "--quiet",
        "--workers",
        "1",
    )
    assert res.code == 0, res.err
    s = json.loads((tmp_path / "u" / "summary.json").read_text())
    assert s["uncertainty"]["kind"] == "stochastic and parameter"
    assert s["uncertainty"]["draws"] == 2 and s["uncertainty"]["inner"] == 3
    assert "both kinds of uncertainty" in (tmp_path / "u" / "report.html").read_text()
    res = cli(
        "run",
        OPERATION,
        "--reps",
        "2",
        "--days",
        "5",
        "--out",
        tmp_path / "f",
        "--quiet",
        "--fixed",
    )
    assert "stochastic uncertainty only" in (tmp_path / "f" / "report.html").read_text()


@pytest.mark.parametrize(("reps", "inner"), [(5, 10), (10, 10), (7, 2), (4, 0)])
def test_simulate_and_sweep_refuse_the_same_draws_with_the_same_words(tmp_path, reps, inner):
    """One check (scenario.uncertainty.check_uncertainty) for every way to run draws."""
    from atlarge.errors import OptionError
    from atlarge.runs.config import RunConfig
    from atlarge.runs.sweep import Vary, run_sweep
    from atlarge.simulation import simulate

    sc = small_scenario(OPERATION, days=3)
    with pytest.raises(OptionError) as direct:
        simulate(sc, reps=reps, uncertainty_inner=inner)
    with pytest.raises(OptionError) as swept:
        run_sweep(
            OPERATION, [Vary.parse("detention.beds=41500:50000:2")], sets={"days": "3"},
            config=RunConfig(reps=reps, uncertainty_inner=inner), db=tmp_path / "r.duckdb",
        )  # fmt: skip
    assert str(direct.value) == str(swept.value)
    assert not (tmp_path / "r.duckdb").exists()


# ------------------------------------------------------------------ the courts (issue 13)

COURT_DRAWN = {
    "courts.initial_backlog": lambda inp: inp.court_backlog0.sum(),
    "courts.completions_per_judge_day": lambda inp: inp.court_capacity[0],
    "courts.receipts_per_day": lambda inp: inp.court_receipts[0].sum(),
    "courts.in_absentia_share": lambda inp: inp.in_absentia[0],
    "courts.removal_order_share": lambda inp: inp.orders_present[0],
    "courts.cost_per_completion": lambda inp: inp.court_cost,
    "policy.expedited_removal_share": lambda inp: inp.path_share[0].max(),
}
"""Each ranged court parameter of operation-at-large.toml and what it moves in the model."""


def test_a_run_with_draws_draws_every_ranged_court_parameter(cli, tmp_path):
    res = cli(
        "run", OPERATION, "--reps", "4", "--days", "5", "--uncertainty", "--inner", "2",
        "--out", tmp_path / "u", "--quiet", "--workers", "1",
    )  # fmt: skip
    assert res.code == 0, res.err
    drawn = json.loads((tmp_path / "u" / "summary.json").read_text())["uncertainty"]
    new = {p for p in drawn["drawn_parameters"] if p.startswith(("courts.", "policy.exp"))}
    assert new == set(COURT_DRAWN)
    # The bench is ranged but dated (hires and firings): dated parameters are never drawn.
    assert load_scenario(OPERATION).courts.judges.range is not None
    assert "courts.judges" not in drawn["drawn_parameters"]


def test_court_draws_reach_the_model_and_keep_the_orders_within_completions(operation):
    from atlarge.model.inputs import build_inputs

    seen = {path: set() for path in COURT_DRAWN}
    for k in range(3):
        sc, values = drawn_scenario(operation, seed=2, draw=k)
        assert set(COURT_DRAWN) <= set(values)
        assert sc.courts.in_absentia_share.value + sc.courts.removal_order_share.value <= 1
        inp = build_inputs(sc.with_values({"days": 3}, "a test"))
        for path, read in COURT_DRAWN.items():
            seen[path].add(float(read(inp)))
    assert all(len(v) == 3 for v in seen.values()), seen


def test_the_detained_share_is_drawn_only_when_judges_split_by_share(operation):
    data = operation.model_dump()
    data["courts"]["detained_share"] = {
        "value": 0.3, "unit": "fraction", "assumption": True, "range": (0.1, 0.6),
        "rationale": "Test",
    }  # fmt: skip
    first = Scenario.model_validate(data)
    assert first.courts.docket_priority == "detained_first"
    assert "courts.detained_share" not in {r.path for r in ranged_parameters(first)}
    share = first.with_values({"courts.docket_priority": "share"}, "a test")
    assert "courts.detained_share" in {r.path for r in ranged_parameters(share)}

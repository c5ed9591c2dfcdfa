"""What the home missions lose: the data file, the forgone-output equation, summary.json's
``home_output_forgone`` and the report panel."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from atlarge.analysis.home_missions import (
    HomeMeasure,
    forgone,
    home_missions,
    lagged_agent_days,
    parse_home_missions,
    scenario_measures,
)
from atlarge.report.html import render_report
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.home_missions import PARAM_FIELDS
from atlarge.scenario.params import Param
from atlarge.scenario.schema import AGENCIES, Scenario
from atlarge.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
DIVERTABLE = {"hsi", "fbi", "dea", "usms", "atf", "cbp", "irs"}


def _raw() -> dict:
    return tomllib.loads(resources.files("atlarge.data").joinpath("home-missions.toml").read_text())


def _measure(agency: str = "dea", *, per_day: float = 0.5, loss: float = 0.4, lag: int = 0):
    """A measure whose average output is ``per_day`` per agent-day (250 working days)."""

    def sourced(v: float, unit: str) -> Param:
        return Param(value=v, unit=unit, source={"publisher": "test", "confidence": "High"})

    def assumed(v: float, unit: str, hi: float) -> Param:
        return Param(value=v, unit=unit, assumption=True, range=(0.0, hi), rationale="test")

    return HomeMeasure(
        agency=agency,
        key="m",
        label="M",
        unit="arrests",
        annual_output=sourced(per_day * 10 * 250, "arrests/year"),
        agents=sourced(10, "agents"),
        marginal_loss=assumed(loss, "fraction", 1.0),
        lag_days=assumed(lag, "days", 1000.0),
        working_days_per_year=250.0,
    )


# --- the data file ---------------------------------------------------------------


def test_every_number_has_a_source_or_is_an_assumption_with_a_range():
    data = home_missions()
    assert data.working_days_per_year == 250
    assert data.measures, "no measure parsed"
    for m in data.measures:
        assert m.agency in DIVERTABLE
        for p in (m.annual_output, m.agents):
            assert not p.assumption and p.source is not None and p.source.confidence
        for p in (m.marginal_loss, m.lag_days):
            assert p.assumption and p.range is not None and p.rationale
        lo, hi = m.marginal_loss.range
        assert 0.0 <= lo <= m.marginal_loss.value <= hi <= 1.0
        assert m.per_agent_day > 0


def test_a_measure_without_source_or_range_is_refused():
    raw = _raw()
    del raw["dea"]["drug_arrests"]["annual_output"]["source"]
    with pytest.raises(ValueError, match="source"):
        parse_home_missions(raw)
    raw = _raw()
    del raw["dea"]["drug_arrests"]["marginal_loss"]["range"]
    with pytest.raises(ValueError, match="range"):
        parse_home_missions(raw)
    raw = _raw()
    raw["nsa"] = raw.pop("dea")
    with pytest.raises(ValueError, match="not an agency"):
        parse_home_missions(raw)


def test_dea_average_is_yearly_arrests_over_agents_working_days():
    dea = next(m for m in home_missions().measures if m.agency == "dea")
    assert dea.per_agent_day == pytest.approx(26233 / (4900 * 250))
    assert dea.marginal_loss.value == pytest.approx(0.4)  # -10% prosecutions / 25% diverted


# --- the equation ----------------------------------------------------------------


def test_forgone_is_average_times_loss_times_lagged_agent_days():
    # two agencies, 10 days; DEA works 2 agent-days a day, FBI 1 then 3
    agent_days = np.array([[2.0] * 10, [1.0] * 5 + [3.0] * 5])
    keys = ("dea", "fbi")
    ms = (
        _measure("dea", per_day=0.5, loss=0.4, lag=0),
        _measure("fbi", per_day=0.1, loss=0.5, lag=3),  # days 0..6 count: 5x1 + 2x3 = 11
        _measure("dea", per_day=1.0, loss=1.0, lag=10),  # nothing shows within the horizon
    )
    got = forgone(agent_days, keys, ms)
    np.testing.assert_allclose(got, [0.5 * 0.4 * 20, 0.1 * 0.5 * 11, 0.0])


def test_lag_beyond_horizon_and_zero_lag():
    ad = np.arange(1.0, 6.0)[None, :]  # 1..5
    np.testing.assert_allclose(
        lagged_agent_days(ad, np.zeros(4, int), np.array([0, 1, 4, 99])), [15, 10, 1, 0]
    )


@settings(max_examples=40, deadline=None)
@given(
    k=st.floats(0.0, 50.0),
    days=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=30),
    lag=st.integers(0, 40),
)
def test_forgone_scales_linearly_with_headcount(k, days, lag):
    ad = np.array([days])
    m = (_measure("atf", per_day=0.02, loss=0.3, lag=lag),)
    base = forgone(ad, ("atf",), m)
    np.testing.assert_allclose(forgone(ad * k, ("atf",), m), k * base, rtol=1e-9, atol=1e-6)
    assert base[0] >= 0


def test_no_measures_no_forgone():
    assert forgone(np.ones((1, 5)), ("ero",), ()).shape == (0,)


# --- runs: summary.json and the report --------------------------------------------


@pytest.fixture(scope="module")
def at_large():
    sc = load_scenario(ROOT / "scenarios" / "operation-at-large.toml", set={"days": 40})
    return simulate(sc, reps=3, seed=3, workers=1)


@pytest.fixture(scope="module")
def baseline():
    sc = load_scenario(ROOT / "scenarios" / "baseline-2024-fitted.toml", set={"days": 40})
    return simulate(sc, reps=3, seed=3, workers=1)


def test_summary_lists_each_diverted_agency_and_measure(at_large):
    s = at_large.summary()
    rows = s["home_output_forgone"]
    inp = at_large.output.inputs
    diverted = {k for k, d in zip(inp.agency_keys, inp.agency_diverted, strict=True) if d}
    assert rows and {r["key"] for r in rows} <= diverted
    assert [AGENCIES.index(r["key"]) for r in rows] == sorted(
        AGENCIES.index(r["key"]) for r in rows
    )
    days = dict(zip(inp.agency_keys, at_large.output.agent_days_by_agency[0], strict=True))
    for r in rows:
        assert {"agency", "measure", "unit", "forgone"} <= set(r)
        f = r["forgone"]
        assert 0 <= f["p5"] <= f["p50"] <= f["p95"]
        lo, hi = r["forgone_at_loss_range"]
        assert lo <= f["p50"] <= hi
        if r["lag_days"]["value"] == 0:  # every agent-day counts
            expected = r["per_agent_day"] * r["marginal_loss"]["value"] * days[r["key"]]
            assert f["p50"] == pytest.approx(expected)
    assert "averages and assumptions" in s["home_output_forgone_definition"]


def test_no_diverted_agency_no_rows(baseline):
    assert baseline.summary()["home_output_forgone"] == []


def test_report_panel_only_when_agents_are_diverted(at_large, baseline):
    html = render_report(at_large.output, at_large.summary())
    assert "What home missions lose" in html
    assert "Estimates from averages and assumptions" in html
    assert "Drug arrests" in html
    assert "What home missions lose" not in render_report(baseline.output, baseline.summary())


def test_parameter_draws_change_the_band_through_headcounts(at_large):
    """Forgone output follows each replication's agent-days (per draw), not the first's."""
    out = at_large.output
    m = replace(_measure("dea", per_day=1.0, loss=1.0), lag_days=_measure(lag=0).lag_days)
    per_rep = out.per_rep(lambda d: forgone(d.agent_days, d.agency_keys, (m,)))
    i = out.inputs.agency_keys.index("dea")
    np.testing.assert_allclose(per_rep[:, 0], out.agent_days_by_agency[:, i])


# --- the figures are scenario parameters: --set, --uncertainty, bad values ------------

DEA_LOSS = "home_missions.dea.drug_arrests.marginal_loss"
DEA_LAG = "home_missions.dea.drug_arrests.lag_days"


def _dea_row(res) -> dict:
    return next(r for r in res.summary()["home_output_forgone"] if r["key"] == "dea")


def test_every_scenario_has_the_data_files_figures_as_parameters():
    sc = load_scenario(ROOT / "scenarios" / "operation-at-large.toml")
    params = dict(iter_params(sc))
    for m in home_missions().measures:
        for f in PARAM_FIELDS:
            p = params[f"home_missions.{m.agency}.{m.key}.{f}"]
            assert p == getattr(m, f)
    # after the operation's own parameters (only the office weights, drawn only when asked,
    # and reported figures follow), so no other parameter moves in tables and draws
    paths = list(params)
    first = next(i for i, p in enumerate(paths) if p.startswith("home_missions."))
    after = ("home_missions.", "offices.", "reported.")
    assert all(p.startswith(after) for p in paths[first:])


def test_set_marginal_loss_scales_the_forgone_output(at_large):
    sc = load_scenario(
        ROOT / "scenarios" / "operation-at-large.toml", set={"days": 40, DEA_LOSS: 0.5}
    )
    changed = simulate(sc, reps=3, seed=3, workers=1)
    before, after = _dea_row(at_large), _dea_row(changed)
    assert after["marginal_loss"]["value"] == 0.5
    assert after["forgone"]["p50"] == pytest.approx(before["forgone"]["p50"] * 0.5 / 0.4)
    # the forgone at the ends of the loss range does not depend on the value set
    assert after["forgone_at_loss_range"] == pytest.approx(before["forgone_at_loss_range"])
    assert "set by" in str(sc.home_missions["dea"]["drug_arrests"].marginal_loss.source)


def test_set_lag_drops_the_last_days_of_agent_days(at_large):
    sc = load_scenario(
        ROOT / "scenarios" / "operation-at-large.toml", set={"days": 40, DEA_LAG: 10}
    )
    res = simulate(sc, reps=3, seed=3, workers=1)
    row = _dea_row(res)
    inp = res.output.inputs
    worked = inp.agent_days[inp.agency_keys.index("dea"), : 40 - 10].sum()
    expected = row["per_agent_day"] * row["marginal_loss"]["value"] * worked
    assert row["lag_days"]["value"] == 10
    assert row["forgone"]["p50"] == pytest.approx(expected)
    assert row["forgone"]["p50"] < _dea_row(at_large)["forgone"]["p50"]


def test_uncertainty_draws_marginal_loss_and_lag():
    sc = load_scenario(ROOT / "scenarios" / "operation-at-large.toml", set={"days": 40})
    res = simulate(sc, reps=8, seed=5, workers=1, uncertainty_inner=2)
    drawn = res.summary()["uncertainty"]["drawn_parameters"]
    assert DEA_LOSS in drawn and DEA_LAG in drawn
    out = res.output
    losses = [d.scenario.home_missions["dea"]["drug_arrests"].marginal_loss for d in out.draws]
    lo, hi = sc.home_missions["dea"]["drug_arrests"].marginal_loss.range
    assert all(lo <= p.value <= hi for p in losses)
    assert len({p.value for p in losses}) == len(out.draws)  # each draw its own
    # each replication's forgone uses its own draw's figures
    keys = out.inputs.agency_keys
    per_rep = out.per_rep(
        lambda d: forgone(
            d.agent_days, keys, scenario_measures(d.scenario, (("dea", "drug_arrests"),))
        )
    )
    row = _dea_row(res)
    assert row["forgone"]["p5"] <= row["forgone"]["p50"] <= row["forgone"]["p95"]
    assert row["forgone"]["p50"] == pytest.approx(float(np.percentile(per_rep[:, 0], 50)))


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        (DEA_LOSS, "1.5", "above the maximum 1"),
        (DEA_LAG, "-3", "below the minimum"),
        ("home_missions.dea.drug_arrests.agents", "0", "must be above 0"),
        (DEA_LOSS, "lots", "expects a number"),
        ("home_missions.dea.drug_arests.marginal_loss", "0.5", "no such parameter"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(cli, key, value, said):
    res = cli("validate", ROOT / "scenarios" / "operation-at-large.toml", "--set", f"{key}={value}")
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err + res.out
    assert key in res.err and said in res.err, res.err


def test_a_scenario_sets_only_what_it_changes_and_names_known_measures():
    sc = load_scenario(ROOT / "scenarios" / "operation-at-large.toml")
    data = sc.model_dump()
    table = {
        "value": 0.1,
        "unit": "fraction",
        "assumption": True,
        "range": [0.0, 0.2],
        "rationale": "t",
    }
    data["home_missions"] = {"atf": {"defendants_referred": {"marginal_loss": table}}}
    changed = Scenario.model_validate(data)
    assert changed.home_missions["atf"]["defendants_referred"].marginal_loss.value == 0.1
    assert changed.home_missions["dea"] == sc.home_missions["dea"]  # the rest at the defaults
    for bad, said in (
        ({"nsa": {}}, "no home-mission measures for agency 'nsa'"),
        ({"dea": {"seizures": {}}}, "no measure dea.seizures"),
        ({"dea": {"drug_arrests": {"lag": table}}}, "lag"),
    ):
        with pytest.raises(ValidationError, match=said):
            Scenario.model_validate({**data, "home_missions": bad})

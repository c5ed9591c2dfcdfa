"""forecast.json: monthly bands for every month of a scenario, FY2025 totals that add the
record's days before the start to the simulated ones (issue 16)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from atlarge.analysis.forecast import (
    FY2025,
    MONTHLY,
    fiscal_year_values,
    forecast,
    load_before_start,
    monthly_values,
)
from atlarge.cli import app
from atlarge.model.inputs import build_inputs
from atlarge.model.output import ModelOutput
from atlarge.runs.replications import run_model
from tests.conftest import SCENARIOS, small_scenario

IMPLEMENTED = SCENARIOS / "2025-as-implemented.toml"
TO_SEPTEMBER = (FY2025[1] - date(2025, 1, 20)).days + 1  # 254 days: 20 Jan to 30 Sep 2025


@pytest.fixture(scope="module")
def run_to_october() -> ModelOutput:
    return run_model(small_scenario(IMPLEMENTED, days=TO_SEPTEMBER + 20), 4, 3)


def test_the_shipped_2025_scenario_runs_to_the_end_of_january_2026():
    from atlarge.scenario import load_scenario

    sc = load_scenario(IMPLEMENTED)
    assert sc.start_date == date(2025, 1, 20)
    assert sc.start_date + timedelta(days=sc.days - 1) == date(2026, 1, 31)


def test_every_month_of_the_run_is_forecast_with_ordered_bands(run_to_october):
    doc = forecast(run_to_october)
    months = [m["month"] for m in doc["months"]]
    assert months == [f"2025-{m:02d}" for m in range(1, 11)]
    for m in doc["months"]:
        for name in MONTHLY:
            b = m[name]
            assert 0 <= b["p5"] <= b["p50"] <= b["p95"]
    json.dumps(doc, allow_nan=False)  # the file is strict JSON


def test_monthly_figures_are_read_from_the_days_of_each_month(run_to_october):
    out = run_to_october
    values = monthly_values(out)
    feb = (np.datetime64("2025-02-01") - out.inputs.dates[0]).astype(int)
    feb_days = slice(feb, feb + 28)
    np.testing.assert_allclose(
        values["2025-02"]["arrests_per_day"], out.national("arrests")[:, feb_days].mean(axis=1)
    )
    np.testing.assert_array_equal(
        values["2025-02"]["detained_month_end"], out.national("detained")[:, feb + 27]
    )
    # January: only the 12 days from the start
    np.testing.assert_allclose(
        values["2025-01"]["removals_per_day"], out.national("removed")[:, :12].mean(axis=1)
    )


def test_fy2025_adds_the_records_days_before_the_start_within_their_ranges(run_to_october):
    out = run_to_october
    totals = fiscal_year_values(out, seed=3)
    for name, measure in (("arrests", "arrests"), ("removals", "removed")):
        rows = [r for r in load_before_start() if r.metric == name]
        assert sum(r.days for r in rows) == (date(2025, 1, 20) - FY2025[0]).days
        simulated = out.national(measure)[:, :TO_SEPTEMBER].sum(axis=1)
        before = totals[name] - simulated
        assert (before >= sum(r.low * r.days for r in rows) - 1e-6).all()
        assert (before <= sum(r.high * r.days for r in rows) + 1e-6).all()
    # the record's draws are keyed by the seed: the same seed, the same totals
    again = fiscal_year_values(out, seed=3)
    np.testing.assert_array_equal(again["arrests"], totals["arrests"])


def test_every_day_before_the_start_has_a_sourced_rate():
    for r in load_before_start():
        assert r.source and r.derivation and r.low <= r.per_day <= r.high
        assert FY2025[0] <= r.start <= r.end < date(2025, 1, 20)
        if r.confidence == "ASSUMPTION":
            assert "ASSUMPTION" in r.derivation


def test_a_run_that_stops_before_october_has_no_fy2025_and_says_why():
    out = run_model(small_scenario(IMPLEMENTED, days=60), 2, 1)
    doc = forecast(out)
    assert doc["fy2025"] is None
    assert "2025-09-30" in doc["fy2025_note"]


def test_forecast_cli_writes_forecast_json_and_labels_its_band(tmp_path):
    runner = CliRunner()
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'extends = "{IMPLEMENTED}"\ndays = 40\n')
    out = tmp_path / "f"
    result = runner.invoke(
        app, ["forecast", str(scenario), "--out", str(out), "--reps", "4", "--inner", "2",
              "--quiet", "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "forecast.json").read_text())
    assert doc["band"].startswith("parameter draws x replications: 2 draws")
    fixed = runner.invoke(
        app, ["forecast", str(scenario), "--out", str(tmp_path / "g"), "--reps", "2",
              "--fixed", "--quiet", "--workers", "1"],
    )  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert json.loads((tmp_path / "g/forecast.json").read_text())["band"].startswith(
        "replications only"
    )


def test_forecast_cli_refuses_draws_that_are_not_whole(tmp_path, cli):
    res = cli("forecast", IMPLEMENTED, "--out", tmp_path / "f", "--reps", "5", "--inner", "2")
    assert res.code == 2
    assert "uncertainty_inner" in res.err or "--inner" in res.err
    assert not (tmp_path / "f").exists()


def test_build_inputs_dates_start_on_the_start_date():
    inputs = build_inputs(small_scenario(IMPLEMENTED, days=5))
    assert str(inputs.dates[0]) == "2025-01-20"


def test_a_forecast_of_the_fitted_scenario_draws_from_its_posterior(tmp_path):
    sc = small_scenario(SCENARIOS / "2025-fitted.toml", days=30)
    out = run_model(sc, 4, 1, uncertainty_inner=2)
    doc = forecast(out)
    assert "joint posterior" in doc["band"] and "at its value" in doc["band"]

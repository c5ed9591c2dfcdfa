"""``atlarge backtest``: the documented file, the record's values, in-sample fit."""

from __future__ import annotations

import json

import pytest

from atlarge.analysis.backtest import FIT_YEARS
from atlarge.analysis.observed import figure
from tests.conftest import run_atlarge

ROW_KEYS = {
    "metric",
    "period",
    "observed",
    "sim_p5",
    "sim_p50",
    "sim_p95",
    "rel_error",
    "in_sample",
}


@pytest.fixture(scope="module")
def backtest(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt") / "backtest"
    proc = run_atlarge("backtest", "--reps", "4", "--out", out)
    return json.loads((out / "backtest.json").read_text()), out, proc


def test_backtest_json_has_the_documented_rows(backtest):
    doc, out, proc = backtest
    assert (out / "backtest.html").is_file()
    assert "in sample" in proc.stdout
    rows = doc["rows"]
    assert rows and all(set(r) >= ROW_KEYS for r in rows)
    periods = {r["period"] for r in rows if r["kind"] == "fit"}
    assert periods >= {f"FY{y}" for y in FIT_YEARS}
    assert {r["kind"] for r in rows} == {"fit", "leave-one-year-out", "aside"}
    for r in rows:
        assert r["sim_p5"] <= r["sim_p50"] <= r["sim_p95"]


def test_observed_values_are_the_data_files(backtest):
    for r in backtest[0]["rows"]:
        f = figure(r["metric"], r["period"])
        assert r["observed"] == f.value
        assert r["from_memory"] == f.from_memory
        if r["in_sample"]:
            assert not f.from_memory  # figures recorded from memory are never fitted


def test_in_sample_headline_errors_within_ten_percent(backtest):
    in_sample = [r for r in backtest[0]["rows"] if r["in_sample"]]
    assert len(in_sample) >= 15
    worst = max(in_sample, key=lambda r: abs(r["rel_error"]))
    assert abs(worst["rel_error"]) <= 0.10, worst


def test_out_of_sample_rows_are_never_marked_in_sample(backtest):
    assert not any(r["in_sample"] for r in backtest[0]["rows"] if r["kind"] != "fit")


def test_each_year_shows_its_policy_input_and_residual_posture(backtest):
    doc, out, _ = backtest
    years = doc["policy"]["years"]
    assert set(years) == {r["period"] for r in doc["rows"]}
    for entries in years.values():
        assert entries and all(e["document"] and e["publisher"] and e["date"] for e in entries)
    assert [(e["from"], e["scope"]) for e in years["FY2017"]] == [
        ("2016-06-03", "narrow"),
        ("2017-02-20", "broad"),
    ]
    page = (out / "backtest.html").read_text()
    assert "Policy input and residual posture by year" in page
    assert "Enforcement of the Immigration Laws to Serve the National Interest" in page
    assert f"{doc['calibration']['years']['FY2024']['posture']:.3f}" in page

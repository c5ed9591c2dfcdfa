"""``atlarge backtest``: the documented file, the record's values, in-sample fit."""

from __future__ import annotations

import json

import pytest

from atlarge.analysis.backtest import FIT_YEARS
from atlarge.analysis.court_check import load_court_record
from atlarge.analysis.observed import figure
from atlarge.report.backtest_page import render_backtest
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


def test_the_court_check_is_in_the_json_and_on_the_page(backtest):
    """``courts``: the 2025 court stage against the record, at most ``reps`` replications,
    each figure with its source and whether it is an input or out of sample."""
    doc, out, _ = backtest
    courts = doc["courts"]
    assert courts["reps"] == 4  # min(--reps, COURT_REPS)
    figures = {r["figure"]: r for r in courts["rows"]}
    assert {"pending_aug2025", "completions_minus_receipts_fy2025_9m"} <= set(figures)
    assert figures["pending_aug2025"]["record"] == load_court_record()["pending_aug2025"].value
    page = (out / "backtest.html").read_text()
    section = page[page.index("<section id=courts>") :]
    section = section[: section.index("</section>")]
    assert "Immigration courts in 2025" in section
    assert "3,400,000" in section and "TRAC via CQ-Roll Call" in section
    assert f"{figures['pending_aug2025']['sim_p50']:,.0f}" in section
    assert "out of sample" in section and "input (taken from the record)" in section
    assert "courts.completions_per_judge_day" in section and "in sample for FY2024" in section


def _minimal_doc(**extra) -> dict:
    return {
        "atlarge_version": "0", "reps": 1, "seed": 1, "rows": [], "summary": {}, **extra,
    }  # fmt: skip


def test_a_document_without_the_court_check_renders_without_it():
    """backtest.json files written before the check still render."""
    assert "Immigration courts" not in render_backtest(_minimal_doc())


def test_a_court_check_not_run_says_why():
    page = render_backtest(_minimal_doc(courts={"skipped": "scenarios/x.toml not found"}))
    assert "Not checked: scenarios/x.toml not found." in page

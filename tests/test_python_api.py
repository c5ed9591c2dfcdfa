"""The notebook API follows the same path as the CLI."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

import atlarge
from tests.conftest import OPERATION


def test_load_simulate_summary_frame_report(tmp_path, cli):
    """The notebook's numbers are the CLI's: same scenario, overrides and seed, same run."""
    sc = atlarge.load_scenario(OPERATION, set={"target.arrests_per_day": 2000, "days": 20})
    assert sc.target.arrests_per_day.value == 2000
    res = atlarge.simulate(sc, reps=3, seed=1)
    s = res.summary()
    assert s["reps"] == 3 and s["days"] == 20
    assert s["kpis"]["target_attainment"]["p50"] > 0
    df = res.to_frame()  # national by default: one row per (rep, day)
    assert len(df) == 3 * 20 and set(df["office"]) == {"national"}
    offices = atlarge.simulate(sc, reps=3, seed=1, timeseries="full").to_frame()
    assert len(offices) == 3 * 25 * 20
    assert set(offices["office"].unique()) >= {"ATL", "WAS"}
    out = res.report(tmp_path / "r")
    run = cli(
        "run", OPERATION, "--set", "target.arrests_per_day=2000", "--set", "days=20",
        "--reps", "3", "--seed", "1", "--workers", "2", "--quiet", "--out", tmp_path / "cli",
        "--fixed",  # simulate() runs what it is asked: no parameter draws unless asked
    )  # fmt: skip
    assert run.code == 0, run.err
    from_cli = json.loads((tmp_path / "cli" / "summary.json").read_text())
    for key in ("kpis", "by_office", "by_agency", "by_group", "cost_by_stage_usd"):
        assert from_cli[key] == json.loads(json.dumps(s[key])), key
    assert from_cli["scenario"]["sha256"] == s["scenario"]["sha256"]
    assert pq.read_table(out / "timeseries.parquet").equals(
        pq.read_table(tmp_path / "cli" / "timeseries.parquet")
    )


def test_days_override_is_validated():
    sc = atlarge.load_scenario(OPERATION)
    res = atlarge.simulate(sc, reps=2, seed=5, days=7)
    assert res.summary()["days"] == 7
    try:
        atlarge.simulate(sc, reps=0)
    except atlarge.errors.OptionError as exc:
        assert exc.parameter == "reps" and str(exc) == "reps: must be at least 1, got 0"
    else:  # pragma: no cover
        raise AssertionError("reps=0 accepted")

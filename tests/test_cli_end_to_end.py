"""``atlarge run`` end to end: files, their contents, reproducibility, safe replacement."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import NO_GUARD, OPERATION, run_atlarge

# --fixed: parameters at their values, so per-agency medians add up to the total's (the
# default, parameter draws x replications, is tested in test_default_bands.py).
RUN_ARGS = (
    "run", str(OPERATION), "--reps", "6", "--days", "70", "--seed", "3", "--quiet", "--fixed"
)  # fmt: skip
KPI_KEYS = {
    "arrests_total",
    "arrests_per_day",
    "target_attainment",
    "peak_detention",
    "day_detention_full",
    "removals_total",
    "releases_total",
    "cost_total_usd",
    "cost_per_removal_usd",
    "agent_days_diverted",
    "leadership_replacements",
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "op"
    return out, run_atlarge(*RUN_ARGS, "--out", out, timeout=300)


def test_run_writes_the_three_files_and_prints_kpis(run_dir):
    out, proc = run_dir
    for name in ("summary.json", "timeseries.parquet", "report.html", "brief.md", "scenario.json"):
        assert (out / name).is_file()
    assert "Arrests per day" in proc.stdout and "p95" in proc.stdout
    assert not list(out.parent.glob(".op.tmp-*"))


def test_summary_has_the_documented_schema(run_dir):
    s = json.loads((run_dir[0] / "summary.json").read_text())
    assert s["atlarge_version"] == "0.1.0"
    assert s["scenario"]["name"] == "Operation At Large" and len(s["scenario"]["sha256"]) == 64
    assert (s["seed"], s["reps"], s["days"]) == (3, 6, 70)
    assert s["overrides"] == {
        "days": {"value": 70, "file_value": 365, "file_schedule": None, "schedule": None}
    }
    assert s["extends"] == ["baseline-2024-fitted.toml", "baseline-2024.toml"]
    assert s["uncertainty"]["draws"] == 0 and s["uncertainty"]["replications_per_draw"] is None
    assert set(s["kpis"]) >= KPI_KEYS
    for key, st in s["kpis"].items():
        assert {"mean", "p5", "p50", "p95"} <= set(st), key
        if st["p50"] is not None:  # a day never reached has no value
            assert st["p5"] <= st["p50"] <= st["p95"], key
    assert len(s["by_office"]) == 25 and s["by_office"][0]["office"] == "Atlanta"
    agencies = {a["agency"] for a in s["by_agency"]}
    assert {"FBI", "ICE HSI", "CBP", "IRS"} <= agencies
    fbi = next(a for a in s["by_agency"] if a["agency"] == "FBI")
    assert fbi["agent_days_diverted"]["p50"] > 0
    ero = next(a for a in s["by_agency"] if a["key"] == "ero")
    assert ero["agent_days_diverted"]["p50"] == 0
    # Diverted agent-days add up across agencies.
    total = sum(a["agent_days_diverted"]["p50"] for a in s["by_agency"])
    assert total == pytest.approx(s["kpis"]["agent_days_diverted"]["p50"])
    assert any(p["assumption"] for p in s["parameters"])
    assert all(p["source"] or p["rationale"] for p in s["parameters"])


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "full"
    return out, run_atlarge(*RUN_ARGS, "--timeseries", "full", "--out", out, timeout=300)


@pytest.mark.parametrize("kept", ["national", "full"])
def test_timeseries_is_tidy(run_dir, full_dir, kept):
    """National by default (one row per rep and day, office "national"); per office with
    --timeseries full; the same columns and checks either way."""
    folder = run_dir[0] if kept == "national" else full_dir[0]
    t = pq.read_table(folder / "timeseries.parquet")
    assert t.num_rows == 6 * 70 * (25 if kept == "full" else 1)
    cols = set(t.column_names)
    assert {"rep", "office", "day", "date", "arrests", "detained", "removed", "released"} <= cols
    df = t.to_pandas()
    assert not df.duplicated(["rep", "office", "day"]).any()
    assert (set(df["office"]) == {"national"}) == (kept == "national")
    s = json.loads((run_dir[0] / "summary.json").read_text())
    per_rep = df.groupby("rep")["arrests"].sum().to_numpy()
    assert np.median(per_rep) == pytest.approx(s["kpis"]["arrests_total"]["p50"])
    groups = [f"arrests_{g}" for g in ("conviction_and_order", "other_criminal", "no_criminal")]
    assert set(groups) <= cols  # one column per priority group ...
    assert (df[groups].sum(axis=1) == df["arrests"]).all()  # ... adding up to the arrests
    assert (df["arrests_forgone_capacity"] == 0).all()  # transfer: no arrest forgone


def test_full_and_national_runs_agree_and_none_writes_no_table(run_dir, full_dir, cli, tmp_path):
    """The summary and the report do not depend on what is kept of the daily series; the
    national table is the per-office table summed over offices; none writes no table."""
    nat, full = run_dir[0], full_dir[0]
    a = json.loads((nat / "summary.json").read_text())
    b = json.loads((full / "summary.json").read_text())
    assert (a.pop("timeseries"), b.pop("timeseries")) == ("national", "full")
    assert a == b
    plot_ids = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    html = [plot_ids.sub("ID", (d / "report.html").read_text()) for d in (nat, full)]
    assert html[0] == html[1]  # but for Plotly's random ids of the charts' divs
    per_office = pq.read_table(full / "timeseries.parquet").to_pandas()
    national = pq.read_table(nat / "timeseries.parquet").to_pandas()
    measures = [c for c in national.columns if c not in ("rep", "office", "day", "date")]
    summed = per_office.groupby(["rep", "day"], observed=True)[measures].sum().reset_index()
    assert np.array_equal(summed[measures].to_numpy(), national[measures].to_numpy())
    assert np.array_equal(summed[["rep", "day"]].to_numpy(), national[["rep", "day"]].to_numpy())
    res = cli(*RUN_ARGS, "--timeseries", "none", "--out", tmp_path / "none", "--workers", "1")
    assert res.code == 0, res.err
    assert sorted(p.name for p in (tmp_path / "none").iterdir()) == [
        ".atlarge-manifest.json",
        "brief.md",
        "replications.parquet",
        "report.html",
        "scenario.json",
        "summary.json",
    ]
    assert json.loads((tmp_path / "none" / "summary.json").read_text())["timeseries"] == "none"
    assert "timeseries.parquet" not in res.out


def test_a_bad_timeseries_value_is_refused_by_its_flag(cli, tmp_path):
    res = cli(*RUN_ARGS, "--timeseries", "offices", "--out", tmp_path / "bad")
    assert res.code == 2
    assert "--timeseries" in res.err and "full, national or none" in res.err
    assert not (tmp_path / "bad").exists()


def test_report_is_self_contained_with_every_chart(run_dir):
    html = (run_dir[0] / "report.html").read_text()
    assert "<script src=" not in html  # plotly.js is embedded, works offline
    for key in ("arrests", "detention", "removals", "costs", "groups", "offices"):
        assert f"id='chart-{key}'" in html
    assert html.count("Driven by") >= 6
    text = html.replace("<wbr>", "")  # paths may wrap after their dots
    assert "assumption" in text and "regime.bottom_fraction" in text
    assert "Operation At Large, with 1 change</h1>" in html  # --days 70


def test_same_seed_reproduces_bit_for_bit(run_dir, cli, tmp_path):
    res = cli(*RUN_ARGS, "--out", tmp_path / "again", "--workers", "1")
    assert res.code == 0, res.err
    a = json.loads((run_dir[0] / "summary.json").read_text())
    b = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert a == b
    ta = pq.read_table(run_dir[0] / "timeseries.parquet")
    tb = pq.read_table(tmp_path / "again" / "timeseries.parquet")
    assert ta.equals(tb)


def test_a_failed_write_leaves_the_previous_run_intact(cli, tmp_path, monkeypatch):
    out = tmp_path / "keep"
    assert cli("run", NO_GUARD, "--reps", "2", "--days", "10", "--out", out, "--quiet").code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import atlarge.simulation

    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(atlarge.simulation, "render_report", broken)
    res = cli("run", OPERATION, "--reps", "2", "--days", "12", "--out", out, "--quiet")
    assert res.code == 1 and "internal error" in res.err and "disk on fire" in res.err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


def test_a_new_run_replaces_an_old_one(cli, tmp_path):
    out = tmp_path / "o"
    assert cli("run", NO_GUARD, "--reps", "2", "--days", "10", "--out", out, "--quiet").code == 0
    assert cli("run", OPERATION, "--reps", "3", "--days", "15", "--out", out, "--quiet").code == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["reps"] == 3 and s["scenario"]["name"] == "Operation At Large"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_validate_reports_the_scenario(cli):
    res = cli("validate", OPERATION)
    assert res.code == 0 and "valid" in res.out and "assumptions" in res.out

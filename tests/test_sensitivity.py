"""Sensitivity plumbing on the Ishigami function, whose indices are known analytically.

Ishigami (a=7, b=0.1) on [-pi, pi]^3: first-order indices S1 = (0.3139,
0.4424, 0), total indices ST = (0.5576, 0.4424, 0.2437) (Ishigami and Homma
1990; Saltelli et al. 2008, Global Sensitivity Analysis: The Primer).
"""

from __future__ import annotations

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from atlarge.analysis.sensitivity import analyze, problem, sample

PROB = problem(["x1", "x2", "x3"], [(-np.pi, np.pi)] * 3)
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def test_sobol_recovers_the_ishigami_indices():
    x = sample(PROB, "sobol", 4096, seed=1)
    assert x.shape == (4096 * 5, 3)
    rows = {r["parameter"]: r for r in analyze(PROB, "sobol", x, Ishigami.evaluate(x), seed=1)}
    for name in PROB["names"]:
        r = rows[name]
        assert abs(r["S1"] - S1[name]) < max(3 * r["S1_conf"], 0.03), name
        assert abs(r["ST"] - ST[name]) < max(3 * r["ST_conf"], 0.03), name
        assert r["S1_conf"] > 0 and r["ST_conf"] > 0


def test_sobol_ranks_by_total_index():
    x = sample(PROB, "sobol", 1024, seed=2)
    ranked = [r["parameter"] for r in analyze(PROB, "sobol", x, Ishigami.evaluate(x), seed=2)]
    assert ranked == ["x1", "x2", "x3"]


def test_morris_screens_the_ishigami_inputs():
    x = sample(PROB, "morris", 200, seed=3)
    assert x.shape == (200 * 4, 3)
    rows = {r["parameter"]: r for r in analyze(PROB, "morris", x, Ishigami.evaluate(x), seed=3)}
    # x3 acts only through its interaction with x1: mu* clearly above zero, sigma large.
    assert rows["x1"]["mu_star"] > rows["x3"]["mu_star"] > 0
    assert rows["x3"]["sigma"] > rows["x3"]["mu_star"] * 0.5
    assert all(r["mu_star_conf"] >= 0 for r in rows.values())


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        sample(PROB, "fast", 10, seed=1)


def test_sensitivity_command_end_to_end(cli, tmp_path):
    import json

    from tests.conftest import OPERATION

    args = (
        "sensitivity",
        OPERATION,
        "--method",
        "sobol",
        "--samples",
        "4",
        "--reps",
        "2",
        "--vary",
        "target.arrests_per_day=1000:3000",
        "--vary",
        "detention.beds=41500:90000",
        "--set",
        "days=20",
        "--outputs",
        "arrests_per_day,peak_detention",
        "--db",
        tmp_path / "r.duckdb",
        "--quiet",
        "--workers",
        "1",
    )
    res = cli(*args, "--out", tmp_path / "s")
    assert res.code == 0, res.err
    doc = json.loads((tmp_path / "s" / "sensitivity.json").read_text())
    assert doc["points"] == 4 * (2 + 2) and doc["ran"] == 16
    rows = {r["parameter"]: r for r in doc["indices"]["peak_detention"]}
    assert set(rows) == {"target.arrests_per_day", "detention.beds"}
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(rows["detention.beds"])
    assert "total index" in (tmp_path / "s" / "sensitivity.html").read_text()
    again = cli(*args, "--out", tmp_path / "s2")  # every model run is already stored
    assert again.code == 0 and "0 run now" in again.out.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "detention.bedz=1:2"], "did you mean 'detention.beds'"),
        (["--outputs", "arrests_per_week"], "unknown KPI"),
        (["--method", "fast"], "sobol or morris"),
        (["--vary", "detention.beds=2:1"], "above HI"),
    ],
)
def test_bad_sensitivity_requests_exit_2(cli, tmp_path, args, message):
    from tests.conftest import OPERATION

    res = cli(
        "sensitivity",
        OPERATION,
        *args,
        "--db",
        tmp_path / "r.duckdb",
        "--out",
        tmp_path / "s",
        "--quiet",
    )
    assert res.code == 2 and message in res.err, res.err

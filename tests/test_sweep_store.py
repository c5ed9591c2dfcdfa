"""Sweeps and the results store: designs, bad specifications, resume exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from atlarge.errors import OptionError
from atlarge.runs.store import Store
from atlarge.runs.sweep import Vary, design_points, run_sweep
from tests.conftest import OPERATION

SMALL = {"days": "25"}


def test_grid_and_lhs_designs():
    grid = design_points([Vary("a", 0, 1, 3), Vary("b", 10, 20, 2)], "grid", 0, 1)
    assert len(grid) == 6 and {p["a"] for p in grid} == {0.0, 0.5, 1.0}
    lhs = design_points([Vary("a", 0, 1), Vary("b", 10, 20)], "lhs", 8, 1)
    assert len(lhs) == 8
    # Latin hypercube: one point in each eighth of each range.
    assert sorted(int(p["a"] * 8) for p in lhs) == list(range(8))
    assert lhs == design_points([Vary("a", 0, 1), Vary("b", 10, 20)], "lhs", 8, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("detention.beds=5:2", "above HI"),
        ("detention.beds=1:2:0", "at least 1"),
        ("detention.beds=1", "expected PATH=LO:HI"),
        ("detention.beds=a:b", "must be numbers"),
    ],
)
def test_bad_vary_specifications(text, message):
    with pytest.raises(OptionError, match=message):
        Vary.parse(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "detention.bedz=1:2"], "did you mean 'detention.beds'"),
        (["--vary", "detention.beds=90000:50000"], "above HI"),
        (["--vary", "detention.beds=50000:90000:0"], "N must be at least 1"),
        (["--vary", "detention.beds=1:2", "--design", "sobol"], "grid or lhs"),
    ],
)
def test_bad_sweeps_exit_2_naming_the_problem(cli, tmp_path, args, message):
    res = cli("sweep", OPERATION, *args, "--db", tmp_path / "r.duckdb", "--quiet")
    assert res.code == 2 and message in res.err and "Traceback" not in res.err
    assert not (tmp_path / "r.duckdb").exists()  # checked before anything is written


def _kpis(db):
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT r.overrides, k.kpi, k.p50 FROM runs r JOIN kpis k USING (run_id) ORDER BY 1, 2"
    ).fetchall()
    con.close()
    return rows


def test_same_results_whatever_the_number_of_workers(tmp_path):
    varies = [
        Vary("detention.beds", 40000, 60000, 2),
        Vary("target.arrests_per_day", 1000, 3000, 2),
    ]
    for w in (1, 2):
        run_sweep(
            OPERATION, varies, sets=SMALL, reps=3, seed=4, db=tmp_path / f"w{w}.duckdb", workers=w
        )
    assert _kpis(tmp_path / "w1.duckdb") == _kpis(tmp_path / "w2.duckdb")


def test_a_killed_sweep_resumes_exactly_once(tmp_path):
    db = tmp_path / "r.duckdb"
    cmd = [
        sys.executable,
        "-m",
        "atlarge.cli",
        "sweep",
        str(OPERATION),
        "--vary",
        "detention.beds=40000:80000:8",
        "--set",
        "days=120",
        "--reps",
        "8",
        "--workers",
        "1",
        "--db",
        str(db),
        "--quiet",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    series = tmp_path / "r-timeseries"
    deadline = time.time() + 120
    while time.time() < deadline and not (series.is_dir() and any(series.glob("*.parquet"))):
        time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-sweep
    proc.wait()
    with Store(db).connect() as con:  # the store opens, whatever the moment of the kill
        stored = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert stored < 8
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{8 - stored} run now, {stored} already stored" in again.stdout
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("SELECT run_id, point_index FROM runs").fetchall()
    per_run = con.execute("SELECT run_id, count(*) FROM kpis GROUP BY 1").fetchall()
    con.close()
    assert len(runs) == 8 and len({r for r, _ in runs}) == 8
    assert sorted(i for _, i in runs) == list(range(8))
    assert len({n for _, n in per_run}) == 1 and len(per_run) == 8
    assert len(list(series.glob("*.parquet"))) == 8


def test_results_list_and_compare(cli, tmp_path):
    db = tmp_path / "r.duckdb"
    run_sweep(
        OPERATION,
        [Vary("support.national_guard.headcount", 0, 21000, 2)],
        sets=SMALL,
        reps=2,
        db=db,
    )
    res = cli("results", "list", "--db", db)
    assert res.code == 0 and "2 runs" in res.out
    ids = [r["run_id"] for r in Store(db).runs()]
    res = cli("results", "compare", ids[0][:8], ids[1][:8], "--db", db)
    assert res.code == 0 and "Arrests per day" in res.out
    res = cli("results", "compare", "nope", ids[1], "--db", db)
    assert res.code == 2 and "RUN_A" in res.err
    assert cli("results", "list", "--db", tmp_path / "none.duckdb").code == 2


def test_ray_gives_the_same_results_as_the_local_pool(tmp_path):
    """A local Ray started by the sweep itself (2 CPUs) against the process pool."""
    pytest.importorskip("ray", reason="Ray is part of the test extras; install atlarge[test]")
    varies = [
        Vary("detention.beds", 40000, 60000, 2),
        Vary("target.arrests_per_day", 1000, 3000, 2),
    ]
    run_sweep(
        OPERATION, varies, sets=SMALL, reps=3, seed=4, db=tmp_path / "local.duckdb", workers=2
    )
    run_sweep(
        OPERATION,
        varies,
        sets=SMALL,
        reps=3,
        seed=4,
        db=tmp_path / "ray.duckdb",
        workers=2,
        executor="ray",
    )
    assert _kpis(tmp_path / "local.duckdb") == _kpis(tmp_path / "ray.duckdb")


def test_executor_options_are_checked(cli, tmp_path):
    base = (
        "sweep",
        OPERATION,
        "--vary",
        "detention.beds=40000:50000:2",
        "--db",
        tmp_path / "r.duckdb",
        "--quiet",
    )
    res = cli(*base, "--executor", "dask")
    assert res.code == 2 and "local or ray" in res.err
    res = cli(*base, "--address", "auto")
    assert res.code == 2 and "--executor ray" in res.err
    assert not (tmp_path / "r.duckdb").exists()

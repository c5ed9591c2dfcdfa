"""Sweeps and the results store: designs, bad specifications, resume exactly once."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.errors import OptionError
from atlarge.runs.config import RunConfig
from atlarge.runs.store import FORMAT, Store
from atlarge.runs.sweep import Vary, design_points, run_sweep
from tests.conftest import OPERATION, ROOT

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
        config = RunConfig(reps=3, seed=4, workers=w)
        run_sweep(OPERATION, varies, sets=SMALL, config=config, db=tmp_path / f"w{w}.duckdb")
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
        config=RunConfig(reps=2),
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
    local = RunConfig(reps=3, seed=4, workers=2)
    run_sweep(OPERATION, varies, sets=SMALL, config=local, db=tmp_path / "local.duckdb")
    ray = RunConfig(reps=3, seed=4, workers=2, executor="ray")
    run_sweep(OPERATION, varies, sets=SMALL, config=ray, db=tmp_path / "ray.duckdb")
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


# -- what the store accepts, and what it leaves alone ----------------------------------------

SMALL_OPEN = ROOT / "tests" / "scenarios" / "small-open.toml"
LEGACY_SCHEMA = """
CREATE TABLE sweeps (sweep_id VARCHAR PRIMARY KEY, scenario_name VARCHAR,
    scenario_sha256 VARCHAR, spec VARCHAR, n_points INTEGER, created_at TIMESTAMP);
CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, sweep_id VARCHAR, point_index INTEGER,
    scenario_name VARCHAR, scenario_sha256 VARCHAR, overrides VARCHAR, seed BIGINT,
    reps INTEGER, days INTEGER, uncertainty_inner INTEGER, atlarge_version VARCHAR,
    started_at TIMESTAMP, finished_at TIMESTAMP, timeseries_path VARCHAR);
CREATE TABLE kpis (run_id VARCHAR, kpi VARCHAR, mean DOUBLE, p5 DOUBLE, p50 DOUBLE,
    p95 DOUBLE, PRIMARY KEY (run_id, kpi));
"""


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign_duckdb(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE measurements (site VARCHAR, value DOUBLE)")
    con.execute("INSERT INTO measurements VALUES ('a', 1.5), ('b', 2.5)")
    con.close()


def _foreign_named_like_a_store(path):
    """Someone else's tables that happen to be called runs and kpis."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE runs (id INTEGER, name VARCHAR)")
    con.execute("CREATE TABLE kpis (id INTEGER)")
    con.close()


FOREIGN = {
    "duckdb with other tables": (_foreign_duckdb, "not an atlarge results store"),
    "duckdb with tables named runs, kpis": (
        _foreign_named_like_a_store,
        "not an atlarge results store",
    ),
    "text file": (lambda p: p.write_text("id,value\n1,2\n" * 50), "not a DuckDB database"),
    "binary file": (lambda p: p.write_bytes(bytes(range(256)) * 8), "not a DuckDB database"),
}

COMMANDS = {
    "sweep": lambda db: (
        "sweep", SMALL_OPEN, "--vary", "detention.beds=10000:12000:2", "--reps", "1",
        "--set", "days=10", "--workers", "1", "--quiet", "--db", db,
    ),
    "sensitivity": lambda db: (
        "sensitivity", SMALL_OPEN, "--vary", "detention.beds=10000:12000", "--samples", "1",
        "--reps", "1", "--set", "days=10", "--workers", "1", "--quiet", "--db", db,
        "--out", (db.parent if db.parent.is_dir() else db.parent.parent) / "sens",
    ),
    "serve": lambda db: ("serve", "--scenarios", ROOT / "scenarios", "--db", db),
    "results list": lambda db: ("results", "list", "--db", db),
    "results compare": lambda db: ("results", "compare", "abc", "def", "--db", db),
}


@pytest.mark.parametrize("kind", list(FOREIGN))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_foreign_file_is_refused_and_left_byte_identical(
    cli, tmp_path, monkeypatch, command, kind
):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve started"))
    make, message = FOREIGN[kind]
    db = tmp_path / "theirs.duckdb"
    make(db)
    before, files = _sha(db), sorted(tmp_path.iterdir())
    res = cli(*COMMANDS[command](db))
    assert res.code == 2, res.err
    assert "--db" in res.err and message in res.err and "Traceback" not in res.err
    assert _sha(db) == before
    assert sorted(tmp_path.iterdir()) == files  # no WAL, no series folder, no output


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_or_a_path_under_a_file_is_refused(cli, tmp_path, monkeypatch, command):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve started"))
    (tmp_path / "afile").write_text("x")
    for db, message in ((tmp_path, "is a folder"), (tmp_path / "afile" / "r.duckdb", "under")):
        res = cli(*COMMANDS[command](db))
        assert res.code == 2 and "--db" in res.err and message in res.err, res.err
        assert len(res.err.strip().splitlines()) == 1
    assert (tmp_path / "afile").read_text() == "x"


def test_a_store_of_an_earlier_version_is_still_accepted(cli, tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(LEGACY_SCHEMA)
    con.execute(
        "INSERT INTO runs (run_id, scenario_name, overrides, reps, seed, finished_at) "
        "VALUES ('0123456789abcdef', 'Old run', '{}', 3, 1, TIMESTAMP '2025-01-01')"
    )
    con.execute("INSERT INTO kpis VALUES ('0123456789abcdef', 'arrests_per_day', 1, 1, 2, 3)")
    con.close()
    res = cli("results", "list", "--db", db)
    assert res.code == 0 and "1 runs" in res.out and "Old run" in res.out
    res = cli(*COMMANDS["sweep"](db))
    assert res.code == 0, res.err
    assert len(Store(db).runs()) == 3
    con = duckdb.connect(str(db), read_only=True)
    meta = dict(con.execute("SELECT key, value FROM atlarge_store").fetchall())
    con.close()
    assert meta["format"] == str(FORMAT)


def test_a_store_of_a_newer_format_is_refused(cli, tmp_path):
    db = tmp_path / "new.duckdb"
    Store(db).check()
    con = duckdb.connect(str(db))
    con.execute("UPDATE atlarge_store SET value = '99' WHERE key = 'format'")
    con.close()
    before = _sha(db)
    res = cli("results", "list", "--db", db)
    assert res.code == 2 and "newer format" in res.err
    res = cli(*COMMANDS["sweep"](db))
    assert res.code == 2 and "newer format" in res.err
    assert _sha(db) == before


def test_an_empty_file_or_database_becomes_a_store(cli, tmp_path):
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    con = duckdb.connect(str(tmp_path / "blank.duckdb"))
    con.close()
    for db in (empty, tmp_path / "blank.duckdb", tmp_path / "sub" / "fresh.duckdb"):
        assert cli("results", "list", "--db", db).code == 2  # nothing to read yet
        res = cli(*COMMANDS["sweep"](db))
        assert res.code == 0, res.err
        assert cli("results", "list", "--db", db).code == 0
        assert len(Store(db).runs()) == 2


def _hold_store(db, seconds):
    """A process that keeps the store open for writing for ``seconds``."""
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('held', flush=True); time.sleep(float(sys.argv[2]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_busy_store_is_waited_for_then_refused_clearly(cli, tmp_path, monkeypatch):
    db = tmp_path / "r.duckdb"
    Store(db).check()
    holder = _hold_store(db, 2.5)
    monkeypatch.setenv("ATLARGE_STORE_WAIT", "30")
    res = cli("results", "list", "--db", db)
    holder.wait()
    assert res.code == 0 and "0 runs" in res.out
    assert f"waiting for the results store {db}, in use by another process" in res.err
    holder = _hold_store(db, 5)
    monkeypatch.setenv("ATLARGE_STORE_WAIT", "1")
    res = cli("results", "list", "--db", db)
    holder.kill()
    holder.wait()
    assert res.code == 2 and "in use by another process" in res.err and "Traceback" not in res.err
    assert "internal error" not in res.err


def test_two_identical_sweeps_at_once_both_finish_and_store_each_point_once(tmp_path):
    db = tmp_path / "r.duckdb"
    cmd = [
        sys.executable, "-m", "atlarge.cli", "sweep", str(SMALL_OPEN),
        "--vary", "detention.beds=10000:13000:4", "--set", "days=30", "--reps", "2",
        "--workers", "1", "--db", str(db), "--quiet",
    ]  # fmt: skip
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "internal error" not in err
    con = duckdb.connect(str(db), read_only=True)
    points = con.execute("SELECT point_index FROM runs ORDER BY 1").fetchall()
    per_run = con.execute("SELECT count(*) FROM kpis GROUP BY run_id").fetchall()
    con.close()
    assert [i for (i,) in points] == [0, 1, 2, 3]
    assert len(per_run) == 4 and len(set(per_run)) == 1


# -- what the commands print -----------------------------------------------------------------


def test_a_sweep_prints_its_results_table(cli, tmp_path):
    res = cli(
        "sweep", SMALL_OPEN, "--vary", "detention.beds=10000:12000:2",
        "--vary", "regime.bottom_fraction=0.05:0.2:2", "--set", "days=10", "--reps", "1",
        "--workers", "1", "--quiet", "--db", tmp_path / "r.duckdb",
    )  # fmt: skip
    assert res.code == 0, res.err
    assert "Sweep results (medians over replications)" in res.out
    for text in ("10,000", "12,000", "0.05", "0.2", "arrests", "removals", "cost", "never"):
        assert text in res.out, text
    body = [ln for ln in res.out.splitlines() if ln.startswith("│")]
    assert len(body) >= 4  # one row per point (at least)
    again = cli(
        "sweep", SMALL_OPEN, "--vary", "detention.beds=10000:12000:2",
        "--vary", "regime.bottom_fraction=0.05:0.2:2", "--set", "days=10", "--reps", "1",
        "--workers", "1", "--quiet", "--db", tmp_path / "r.duckdb",
    )  # fmt: skip
    assert "0 run now, 4 already stored" in again.out and "Sweep results" in again.out


def _store_with_overrides(db, overrides_list):
    import datetime as dt

    store = Store(db)
    for i, overrides in enumerate(overrides_list):
        row = {
            "run_id": f"{i:016x}", "scenario_name": "Operation At Large, a long name",
            "overrides": json.dumps(overrides, sort_keys=True), "reps": 200, "seed": 1,
            "days": 365, "finished_at": dt.datetime(2025, 6, 1, 12, 0),
        }  # fmt: skip
        store.record(row, {"arrests_per_day": {"mean": 1, "p5": 1, "p50": 1472.0, "p95": 2}})


def test_results_list_shows_overrides_readably_at_80_columns(tmp_path):
    db = tmp_path / "r.duckdb"
    overrides = {
        "detention.beds": 60000,
        "regime.enabled": False,
        "support.national_guard.headcount": 21000,
        "regime.bottom_fraction": 0.15,
    }
    _store_with_overrides(db, [overrides, {}])
    proc = subprocess.run(
        [sys.executable, "-m", "atlarge.cli", "results", "list", "--db", str(db)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"}, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= 80
    text = "\n".join(lines)
    for whole in ("detention.beds=60000", "regime.enabled=false", "regime.bottom_fraction"):
        assert whole in text, whole  # never cut in the middle of a name
    for part in ("support.", "national_guard.", "headcount=21000", "1,472", "none"):
        assert part in text, part
    assert "{" not in text and '"' not in text  # no raw JSON


@settings(max_examples=60, deadline=None)
@given(
    path=st.lists(
        st.text("abcdefghij_", min_size=1, max_size=30), min_size=1, max_size=4
    ).map(".".join),
    value=st.one_of(st.integers(-(10**9), 10**9), st.floats(0, 1e6), st.booleans()),
    width=st.integers(9, 40),
)
def test_override_lines_break_only_between_names(path, value, width):
    from atlarge.report.terminal import overrides_lines

    lines = overrides_lines({path: value}, width)
    assert "".join(ln.removeprefix("  ") for ln in lines).startswith(path + "=")
    for ln in lines:
        piece = ln.removeprefix("  ")
        # a line is too long only if it holds a single name (or the value) that is
        assert len(ln) <= width or "." not in piece.rstrip(".") or piece.count(".") == 1
    names = path.split(".")
    joined = "".join(ln.removeprefix("  ") for ln in lines)
    assert joined.split("=", 1)[0].split(".") == names


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=0, max_value=1e7, allow_nan=False).filter(lambda v: v == 0 or v > 1e-4),
        min_size=1,
        max_size=5,
    )
)
def test_sweep_table_shows_design_values_without_exponents(values):
    """An lhs design has values like 52345.678: the table shows them as people write them."""
    import re

    from rich.console import Console

    from atlarge.report.terminal import sweep_table

    design = [{"detention.beds": v} for v in values]
    kpis = [{"arrests_per_day": {"p50": 1.0}} for _ in values]
    console = Console(width=200, record=True)
    console.print(sweep_table(design, kpis, width=200))
    text = console.export_text()
    assert not re.search(r"\d[eE][+-]?\d", text), text


def test_results_compare_refuses_runs_over_other_horizons_unless_asked(cli, tmp_path):
    import datetime as dt

    db = tmp_path / "r.duckdb"
    store = Store(db)
    for rid, days, inner in (("a" * 16, 365, None), ("b" * 16, 60, None), ("c" * 16, 365, 10)):
        row = {
            "run_id": rid, "scenario_name": "x", "overrides": "{}", "reps": 20, "seed": 1,
            "days": days, "uncertainty_inner": inner, "finished_at": dt.datetime(2025, 6, 1),
        }  # fmt: skip
        store.record(row, {"arrests_total": {"mean": 1, "p5": 1, "p50": days * 10.0, "p95": 2}})
    res = cli("results", "compare", "aaaa", "bbbb", "--db", db)
    assert res.code == 2 and "RUN_B" in res.err and "horizon: A 365 days, B 60 days" in res.err
    res = cli("results", "compare", "aaaa", "bbbb", "--db", db, "--allow-different")
    assert res.code == 0 and "A and B differ: horizon" in res.err and "3,650" in res.out
    res = cli("results", "compare", "aaaa", "cccc", "--db", db)
    assert res.code == 2 and "bands: A randomness only, B parameter draws" in res.err
    assert cli("results", "compare", "aaaa", "aaaa", "--db", db).code == 0


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--vary", "detention.beds=10000:12000:2"],
        ["sensitivity", "--vary", "detention.beds=10000:12000", "--samples", "1"],
    ],
    ids=["sweep", "sensitivity"],
)
def test_days_on_sweep_and_sensitivity_is_the_horizon_stored(cli, tmp_path, command):
    small = ROOT / "tests" / "scenarios" / "small-open.toml"
    db = tmp_path / "r.duckdb"
    extra = ["--out", tmp_path / "sens"] if command[0] == "sensitivity" else []
    args = [command[0], small, *command[1:], "--reps", "2", "--workers", "1", "--quiet"]
    res = cli(*args, "--days", "7", "--db", db, *extra)
    assert res.code == 0, res.err
    runs = Store(db).runs()
    assert len(runs) == 2 and {r["days"] for r in runs} == {7}
    again = cli(*args, "--days", "9", "--db", db, *extra)  # another horizon: other runs
    assert again.code == 0, again.err
    assert sorted(r["days"] for r in Store(db).runs()) == [7, 7, 9, 9]

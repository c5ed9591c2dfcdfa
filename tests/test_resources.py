"""Runaway resources: memory estimated and refused before a run, signals that stop any
command, and pool workers that never outlive their parent (issue 10, items 2 and 3).

Measured against reality (summed resident memory of all processes, sampled every
20 ms, ``atlarge run scenarios/operation-at-large.toml --out ...``):

    reps  workers  estimate  measured
     100     1     0.39 GB   0.34 GB
     200     2     0.91 GB   0.70 GB
     500     2     1.28 GB   1.03 GB
   1,000     2     1.65 GB   1.40 GB

so the estimate runs 10-30% above the measured peak; the tests below hold the
model's part of it within a stated factor of an in-process measurement.

Issue 12 added four daily office measures (arrests by channel, departures from the
pools). Measured again the same way for 1,000 replications on two workers: 1.72 GB
before them, 1.88 GB with them (estimates 1.86 and 2.14 GB).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.model.memory import RunShape, run_peaks
from atlarge.runs import resources
from atlarge.runs.config import RunConfig
from atlarge.runs.pools import worker_pool
from atlarge.runs.replications import run_model
from atlarge.runs.resources import (
    check_memory,
    daily_table_bytes,
    memory_limit,
    points_estimate,
    run_estimate,
    table_bytes,
)
from atlarge.scenario import load_scenario
from tests.conftest import OPERATION, ROOT

SMALL = ROOT / "tests" / "scenarios"
FACTOR = 1.7
"""The model's estimate is at least the measured peak and at most this factor above it
(1.6 while every run kept the full series; a national run holds little besides the chunk
being simulated, whose working arrays the estimate counts generously: 1.66 measured for
chunks of 3)."""


@pytest.fixture(scope="module")
def warmed():
    """One small run first, so that what is loaded or compiled once per process (Numba's
    cached loops, lazy imports) is not counted as the model's memory."""
    run_model(load_scenario(OPERATION, set={"days": 5}), 2, 1)


# --- the estimate against a measurement -------------------------------------------


@pytest.mark.parametrize("kept", ["full", "national"])
@pytest.mark.parametrize(
    ("reps", "chunk", "inner"),
    [(8, 100, None), (8, 3, None), (8, 3, 2)],
    ids=["one chunk", "chunks", "parameter draws"],
)
def test_model_estimate_is_within_a_stated_factor_of_the_measured_peak(
    reps, chunk, inner, kept, warmed
):
    sc = load_scenario(OPERATION, set={"days": 20})
    shape = RunShape.of(sc)
    kw = dict(chunk_size=chunk, workers=1, inner=inner, timeseries=kept)
    expected, _, _ = run_peaks(shape, reps, **kw)
    tracemalloc.start()
    try:
        out = run_model(sc, reps, 1, chunk_size=chunk, uncertainty_inner=inner, timeseries=kept)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if kept == "full":
        assert sum(a.nbytes for a in out.series.values()) == shape.series_bytes(reps)
    assert sum(a.nbytes for a in out.reduced.values()) == shape.reduced_bytes(reps)
    assert peak <= expected <= FACTOR * peak, (peak, expected)


def test_table_estimate_covers_the_table_written(tmp_path):
    from atlarge.simulation import simulate

    sc = load_scenario(SMALL / "small-regime.toml", set={"days": 20})
    shape = RunShape.of(sc)
    # measure columns are the run's arrays seen through Arrow; the rest is new
    table = simulate(sc, reps=3, seed=1, timeseries="full").to_arrow()
    assert table.nbytes <= table_bytes(shape, 3) + shape.series_bytes(3)
    table = simulate(sc, reps=3, seed=1).to_arrow()
    assert table.nbytes <= daily_table_bytes(shape, 3, "national") + shape.reduced_bytes(3)
    assert daily_table_bytes(shape, 3, "none") == 0


@settings(max_examples=40, deadline=None)
@given(
    reps=st.integers(1, 5000),
    days=st.integers(1, 3650),
    workers=st.integers(1, 8),
    chunk=st.integers(1, 300),
    inner=st.none() | st.integers(1, 50),
)
def test_estimate_grows_with_replications_and_days(reps, days, workers, chunk, inner):
    sc = load_scenario(OPERATION)
    base = sc.model_copy(update={"days": days})
    longer = sc.model_copy(update={"days": days + 30})
    kw = dict(workers=workers, chunk_size=chunk, uncertainty_inner=inner)
    e = run_estimate(base, RunConfig(reps, **kw)).peak
    assert e > resources.PARENT_BYTES
    assert run_estimate(base, RunConfig(reps + chunk, **kw)).peak > e
    assert run_estimate(longer, RunConfig(reps, **kw)).peak > e
    # a sweep point is at least the simulation, and more workers hold more at once
    one = points_estimate([base], RunConfig(reps, uncertainty_inner=inner, workers=1)).peak
    two = points_estimate([base, base], RunConfig(reps, uncertainty_inner=inner, workers=2)).peak
    assert two > one > RunShape.of(base).reduced_bytes(reps)


def test_operation_at_large_1000_reps_is_in_the_measured_region():
    """README: 1,000 replications of Operation At Large on two workers: measured 1.40 GB
    (1.88 GB with issue 12's four added measures; 2.15 GB largest resident set with the
    courts' eight, ``/usr/bin/time -v``, on the machine of the docstring)."""
    e = run_estimate(load_scenario(OPERATION), RunConfig(1000, workers=2, timeseries="full"))
    assert 2.15e9 <= e.peak <= 3.2e9
    assert e.what == "1,000 replications x 365 days x 25 offices on 3 processes"


FULL_10K_BEFORE = 20.906e9
"""The estimate of 10,000 replications of Operation At Large on two workers before issue
15 kept the series reduced (every run then kept the full series)."""


def test_10000_replications_fit_in_4_gb_unless_the_full_series_are_kept():
    """Issue 15: a national run keeps what the analysis reads, not offices x days per
    replication; a full run is estimated as before (plus the few reduced arrays)."""
    sc = load_scenario(OPERATION)
    peak = {
        kept: run_estimate(sc, RunConfig(10_000, workers=2, timeseries=kept)).peak
        for kept in ("full", "national", "none")
    }
    assert peak["none"] < peak["national"] < 4e9
    assert FULL_10K_BEFORE <= peak["full"] <= 1.03 * FULL_10K_BEFORE
    shape = RunShape.of(sc)
    assert shape.reduced_bytes(10_000) < shape.series_bytes(10_000) / 10


# --- the limit --------------------------------------------------------------------


def test_limit_from_option_environment_or_available_memory(monkeypatch):
    monkeypatch.delenv(resources.ENV, raising=False)
    assert memory_limit(2.5) == (2.5e9, "`max_memory_gb`")  # the CLI shows its flag
    assert memory_limit(math.inf)[0] is None
    monkeypatch.setenv(resources.ENV, "3")
    assert memory_limit(None) == (3e9, resources.ENV)
    assert memory_limit(1.0)[0] == 1e9  # the option wins
    monkeypatch.delenv(resources.ENV)
    monkeypatch.setattr(resources, "available_bytes", lambda: 10 * 10**9)
    limit, source = memory_limit(None)
    assert limit == 8e9 and "80% of the 10.00 GB available" in source
    monkeypatch.setattr(resources, "available_bytes", lambda: None)
    assert memory_limit(None)[0] is None


def test_available_memory_is_read_from_this_machine():
    avail = resources.available_bytes()
    assert avail is None or 0 < avail < 2**60


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["abc", "-1", "0", "nan", "-inf", "1e", "1 GB"]))
def test_a_bad_limit_in_the_environment_is_refused_by_name(bad):
    os.environ[resources.ENV] = bad
    try:
        with pytest.raises(resources.OptionError, match=resources.ENV):
            memory_limit(None)
    finally:
        del os.environ[resources.ENV]


def test_check_counts_memory_reserved_by_runs_under_way():
    est = resources.Estimate(3 * 10**9, "x")
    check_memory(est, parameter="reps", hint="h", max_memory_gb=4)
    with pytest.raises(resources.OptionError, match=r"less 2\.00 GB for runs under way"):
        check_memory(est, parameter="reps", hint="h", max_memory_gb=4, reserved=2 * 10**9)


# --- refused before any work, from every door -------------------------------------


def _no_work(*_a, **_k):
    raise AssertionError("a refused run must not start")


def _one_line_refusal(res, option="--reps"):
    assert res.code == 2, res.err
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, res.err
    line = " ".join(res.err.split())
    assert line.startswith(f"error: {option}: needs about ")
    assert "GB of memory at peak" in line and "above the limit of" in line
    assert "--max-memory" in line and resources.ENV in line
    assert "Traceback" not in res.err


def test_run_refused_before_any_work(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("atlarge.simulation.run_model", _no_work)
    out = tmp_path / "out"
    res = cli("run", OPERATION, "--reps", "500", "--max-memory", "0.3", "--out", out)
    _one_line_refusal(res)
    assert "500 replications x 365 days x 25 offices" in res.err
    assert "0.30 GB (--max-memory)" in " ".join(res.err.split())
    assert not out.exists() and not list(tmp_path.iterdir())


def test_ten_million_replications_are_refused_by_default(cli, tmp_path, monkeypatch):
    monkeypatch.delenv(resources.ENV, raising=False)
    monkeypatch.setattr("atlarge.simulation.run_model", _no_work)
    started = time.monotonic()
    res = cli("run", OPERATION, "--reps", "10000000", "--out", tmp_path / "out")
    _one_line_refusal(res)
    assert "available now" in res.err
    assert time.monotonic() - started < 5


def test_default_limit_is_the_available_memory(cli, tmp_path, monkeypatch):
    monkeypatch.delenv(resources.ENV, raising=False)
    monkeypatch.setattr(resources, "available_bytes", lambda: 500 * 10**6)
    monkeypatch.setattr("atlarge.simulation.run_model", _no_work)
    res = cli("run", SMALL / "small-regime.toml", "--reps", "5000", "--out", tmp_path / "o")
    _one_line_refusal(res)
    assert "0.40 GB (80% of the 0.50 GB available now)" in " ".join(res.err.split())


def test_max_memory_inf_switches_the_check_off(cli, tmp_path, monkeypatch):
    def started(*_a, **_k):
        raise resources.OptionError("--test", "the run started")

    monkeypatch.setattr("atlarge.simulation.run_model", started)
    res = cli("run", OPERATION, "--reps", "10000000", "--max-memory", "inf", "--out", tmp_path)
    assert res.code == 2 and "the run started" in res.err


@pytest.mark.parametrize("value", ["0", "-2", "nan"])
def test_a_bad_max_memory_is_refused_by_name(cli, tmp_path, value):
    res = cli("run", OPERATION, "--reps", "5", "--max-memory", value, "--out", tmp_path / "o")
    assert res.code == 2
    assert "--max-memory" in res.err and "Traceback" not in res.err


def test_sweep_refused_before_the_store_is_touched(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("atlarge.runs.sweep.executor_for", _no_work)
    monkeypatch.setenv(resources.ENV, "1")
    db = tmp_path / "r.duckdb"
    args = ["sweep", OPERATION, "--vary", "detention.beds=40000:60000:4", "--db", db]
    res = cli(*args, "--reps", "400", "--workers", "2")
    _one_line_refusal(res)
    assert "400 replications per point, 2 point(s) at once" in res.err
    assert f"1.00 GB ({resources.ENV})" in " ".join(res.err.split())
    assert not db.exists()


def test_sensitivity_refused_before_the_store_or_output_is_touched(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("atlarge.runs.sweep.executor_for", _no_work)
    db, out = tmp_path / "r.duckdb", tmp_path / "sens"
    res = cli(
        "sensitivity", OPERATION, "--reps", "5000", "--workers", "2",
        "--max-memory", "2", "--db", db, "--out", out,
    )  # fmt: skip
    _one_line_refusal(res)
    assert not db.exists() and not out.exists()


def test_api_refuses_a_run_that_will_not_fit(monkeypatch):
    from fastapi.testclient import TestClient

    from atlarge.api import ApiSettings, create_app
    from tests.conftest import SCENARIOS

    started = []
    monkeypatch.setattr("atlarge.simulation.run_model", lambda *a, **k: started.append(1))
    monkeypatch.setenv(resources.ENV, "0.2")
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS))
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.post(
            "/api/runs", json={"scenario": "operation-at-large", "reps": 300, "days": 365}
        )
        assert res.status_code == 422, res.text
        (err,) = res.json()["detail"]
        assert err["loc"] == ["body", "reps"]
        assert "needs about" in err["msg"] and "above the limit of 0.20 GB" in err["msg"]
        assert "--max-memory" not in err["msg"] and resources.ENV in err["msg"]
        assert client.get("/api/runs").json() == []
    assert not started


def test_api_counts_runs_under_way(monkeypatch):
    import threading

    from fastapi.testclient import TestClient

    from atlarge.api import ApiSettings, create_app
    from tests.conftest import SCENARIOS

    release = threading.Event()

    def slow(*_a, **_k):
        release.wait(20)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr("atlarge.simulation.run_model", slow)
    body = {"scenario": "operation-at-large", "reps": 100, "days": 365}
    config = RunConfig(100, chunk_size=25)
    one = run_estimate(load_scenario(OPERATION), config, tables=False).peak
    monkeypatch.setenv(resources.ENV, str(1.5 * one / 1e9))
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.post("/api/runs", json=body).status_code == 202
            second = client.post("/api/runs", json=body)
            assert second.status_code == 422, second.text
            assert "for runs under way" in second.json()["detail"][0]["msg"]
            release.set()
            deadline = time.monotonic() + 20
            while any(j["status"] != "failed" for j in client.get("/api/runs").json()):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert client.post("/api/runs", json=body).status_code == 202  # memory freed
    finally:
        release.set()


def test_api_shutdown_stops_runs_under_way(monkeypatch):
    """Ctrl-C of ``atlarge serve``: a running job stops at its next progress report
    instead of keeping the process alive until it finishes (measured: 60 s -> 2.4 s)."""
    import threading

    from fastapi.testclient import TestClient

    from atlarge.api import ApiSettings, create_app
    from tests.conftest import SCENARIOS

    started, ended = threading.Event(), []

    def long_run(_sc, _reps, _seed, *, progress=None, **_kw):
        started.set()
        try:
            for _ in range(400):  # 10 s unless stopped
                time.sleep(0.025)
                progress(1)
        except BaseException as exc:
            ended.append(type(exc).__name__)
            raise
        ended.append("finished")

    monkeypatch.setattr("atlarge.simulation.run_model", long_run)
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS))
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.post("/api/runs", json={"scenario": "operation-at-large", "reps": 4})
        assert res.status_code == 202
        assert started.wait(10)
    deadline = time.monotonic() + 2
    while not ended and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ended == ["Stopped"]
    job = TestClient(app).get(f"/api/runs/{res.json()['job_id']}").json()
    assert job["status"] == "cancelled" and "server stopped" in job["error"]


# --- pools stop their workers -----------------------------------------------------


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids, timeout=5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        if not alive:
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_a_failing_block_stops_the_workers_at_once():
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), worker_pool(2) as pool:
        for _ in range(6):
            pool.submit(_sleep, 30)
        pids = [p.pid for p in pool._processes.values()]
        assert len(pids) == 2
        raise KeyboardInterrupt  # Ctrl-C while tasks run and more are queued
    assert not _wait_gone(pids, 3.0)
    assert time.monotonic() - started < 5


def test_a_stopped_pool_leaves_nothing_for_the_exit_hook_to_write_to():
    """The manager thread has closed its wake-up pipe by the time the block has
    left: the interpreter's exit hook skips it instead of writing to a pipe being
    closed (the ``Bad file descriptor`` traceback after a SIGTERM)."""
    from concurrent.futures import process

    with pytest.raises(KeyboardInterrupt), worker_pool(2) as pool:
        for _ in range(6):
            pool.submit(_sleep, 30)
        manager = pool._executor_manager_thread
        raise KeyboardInterrupt
    assert not manager.is_alive()
    assert all(w._closed for t, w in process._threads_wakeups.items() if t is manager)


def test_a_pool_that_ends_normally_gives_results():
    with worker_pool(2) as pool:
        pids = set(pool.map(_sleep, [0.0] * 4))
    assert pids and os.getpid() not in pids


# --- whole commands: signals and kill -9 ------------------------------------------


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out |= {int(c) for c in f.read().split()}
    except OSError:
        pass
    return out


def _start(*args, n_workers=2, timeout=60.0):
    """Start ``atlarge ARGS`` in its own session; return it once ``n_workers`` exist."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlarge.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) >= n_workers:
            return proc, workers
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    _cleanup(proc, set())
    raise AssertionError("the command started no workers")


def _cleanup(proc, workers) -> None:
    """Kill what this test started and is still running (by pid, nothing else)."""
    if proc.poll() is None:
        proc.kill()
    for pid in workers:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=10)


LONG_RUN = ["--reps", "4000", "--days", "365", "--workers", "2", "--quiet"]


@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signalled_run_stops_its_workers_and_writes_nothing(tmp_path, sig, code, word):
    out = tmp_path / "out"
    proc, workers = _start("run", SMALL / "small-regime.toml", *LONG_RUN, "--out", out)
    try:
        time.sleep(0.3)  # workers are computing chunks
        signalled = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
        assert time.monotonic() - signalled < 5, "the command did not stop within seconds"
        assert proc.returncode == code, err
        assert f"{word}: nothing was written to {out}" in " ".join(err.split())
        assert "Traceback" not in err
        assert not _wait_gone(workers, 5.0)
        assert not out.exists() and not list(tmp_path.iterdir())
    finally:
        _cleanup(proc, workers)


LONG_SWEEP = [
    "sweep", SMALL / "small-regime.toml", "--vary", "detention.beds=3000:6000:4",
    "--reps", "3000", "--set", "days=365", "--workers", "2", "--quiet",
]  # fmt: skip


def test_a_terminated_sweep_stops_its_workers_and_says_what_it_kept(tmp_path):
    db = tmp_path / "r.duckdb"
    proc, workers = _start(*LONG_SWEEP, "--db", db)
    try:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 143, err
        assert f"terminated: points finished so far are kept in {db}" in " ".join(err.split())
        assert not _wait_gone(workers, 5.0)
    finally:
        _cleanup(proc, workers)


def test_workers_die_when_a_sweep_is_killed(tmp_path):
    proc, workers = _start(*LONG_SWEEP, "--db", tmp_path / "r.duckdb")
    try:
        proc.kill()  # kill -9: no handler, no cleanup in the parent
        proc.wait(timeout=10)
        assert not _wait_gone(workers, 5.0), "pool workers outlived their parent"
    finally:
        _cleanup(proc, workers)


def test_workers_die_when_a_run_is_killed(tmp_path):
    proc, workers = _start("run", SMALL / "small-regime.toml", *LONG_RUN, "--out", tmp_path / "o")
    try:
        proc.kill()
        proc.wait(timeout=10)
        assert not _wait_gone(workers, 5.0), "pool workers outlived their parent"
    finally:
        _cleanup(proc, workers)


# --- Ray: pending work is cancelled ----------------------------------------------


class _FakeRay:
    """Just enough of Ray's API to see what the Ray executor asks of it."""

    def __init__(self):
        self.cancelled: list[int] = []
        self.shut_down = False
        self.started = False

    def is_initialized(self):
        return self.started

    def init(self, **_kw):
        self.started = True

    def remote(self, **_kw):
        def wrap(fn):
            class R:
                @staticmethod
                def remote(*args):
                    return args[0]  # the ref is the argument

            return R

        return wrap

    def wait(self, refs, num_returns=1):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        return ref * 10

    def cancel(self, ref, force=False):
        self.cancelled.append(ref)

    def shutdown(self):
        self.shut_down = True


def test_ray_cancels_pending_points_when_stopped(monkeypatch):
    from atlarge.runs.executors import RayExecutor

    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    it = RayExecutor(workers=2).map(abs, [(i, (i,)) for i in range(5)])
    assert next(it) == (0, 0)
    it.close()  # what Ctrl-C (or any error) in the consumer does to the generator
    assert sorted(fake.cancelled) == [1, 2, 3, 4]
    assert fake.shut_down


def test_ray_sweep_that_finishes_cancels_nothing(monkeypatch):
    from atlarge.runs.executors import RayExecutor

    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    assert dict(RayExecutor().map(abs, [(i, (i,)) for i in range(3)])) == {
        0: 0,
        1: 10,
        2: 20,
    }
    assert fake.cancelled == [] and fake.shut_down


@pytest.fixture(autouse=True)
def _no_stray_children():
    """Every test leaves no child process of its own behind."""
    yield
    me = os.getpid()
    assert not _wait_gone(_children(me), 5.0)

"""Sweep and sensitivity points run in batches (runs.sweep.point_batches): what is stored
is what one point per job stores, bit for bit; resumed designs run only what is missing;
points that differ in structure run in separate groups; memory counts a batch's rows."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.errors import OptionError
from atlarge.model.batch import batch_key
from atlarge.model.inputs import build_inputs
from atlarge.model.memory import RunShape
from atlarge.runs import sweep
from atlarge.runs.config import RunConfig
from atlarge.runs.resources import job_bytes, points_estimate
from atlarge.runs.sensitivity_run import run_sensitivity
from atlarge.runs.store import Store
from atlarge.runs.sweep import Vary, point_batches, run_sweep
from atlarge.scenario import load_scenario
from tests.conftest import OPERATION

SMALL = {"days": "20"}
LIMIT = "transport.limited_countries.post_order_limit_days"
VARIES = [Vary(LIMIT, 150, 180, 2), Vary("detention.beds", 40000, 60000, 3)]
"""Six points in two structures: the post-order limit sizes the limited buffer."""


def _stored(db: Path, run_ids: list[str]) -> list[tuple]:
    """Each point's KPIs and national table, as stored."""
    store = Store(db)
    return [(store.kpis(rid), pq.read_table(store.series_path(rid))) for rid in run_ids]


def _sweep(tmp_path: Path, name: str, rows: int, monkeypatch, **config) -> dict:
    monkeypatch.setattr(sweep, "BATCH_ROWS", rows)
    cfg = RunConfig(**{"reps": 3, "seed": 5, **config})
    return run_sweep(OPERATION, VARIES, sets=SMALL, config=cfg, db=tmp_path / f"{name}.duckdb")


def _spy_jobs(monkeypatch) -> list[int]:
    """Record the number of points of each job run (in this process: one worker)."""
    sizes: list[int] = []
    real = sweep._run_points_batched

    def spy(scenarios, config):
        sizes.append(len(scenarios))
        return real(scenarios, config)

    monkeypatch.setattr(sweep, "_run_points_batched", spy)
    return sizes


@pytest.mark.parametrize("workers", [1, 2])
def test_batched_points_store_what_one_point_per_job_stores(tmp_path, monkeypatch, workers):
    alone = _sweep(tmp_path, "alone", 0, monkeypatch, workers=workers)
    batched = _sweep(tmp_path, "batched", 200, monkeypatch, workers=workers)
    assert batched["run_ids"] == alone["run_ids"] and batched["ran"] == 6
    a = _stored(tmp_path / "alone.duckdb", alone["run_ids"])
    b = _stored(tmp_path / "batched.duckdb", batched["run_ids"])
    for (kpis_a, table_a), (kpis_b, table_b) in zip(a, b, strict=True):
        assert kpis_b == kpis_a
        assert table_b.equals(table_a)


def test_points_of_another_structure_run_in_their_own_batches(monkeypatch):
    base = load_scenario(OPERATION, set=SMALL)
    points = sweep.design_points(VARIES, "grid", 0, 1)
    scenarios = sweep.point_scenarios(base, points)
    monkeypatch.setattr(sweep, "BATCH_ROWS", 200)
    jobs = point_batches(scenarios, range(6), RunConfig(reps=3, workers=1))
    assert sorted(len(j) for j in jobs) == [3, 3]  # a batch per post-order limit
    for job in jobs:
        assert len({scenarios[i].transport.limited_countries.limit_days for i in job}) == 1
    jobs = point_batches(scenarios, range(6), RunConfig(reps=3, workers=2))
    assert sorted(len(j) for j in jobs) == [1, 1, 2, 2]  # each group split over 2 workers


def test_a_batch_interrupted_midway_resumes_with_only_its_missing_points(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH_ROWS", 200)
    db = tmp_path / "r.duckdb"
    config = RunConfig(reps=3, seed=5)

    def stop_after_two(done: int, total: int, ran: bool) -> None:
        if ran and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(OPERATION, VARIES, sets=SMALL, config=config, db=db, progress=stop_after_two)
    sizes = _spy_jobs(monkeypatch)
    res = run_sweep(OPERATION, VARIES, sets=SMALL, config=config, db=db)
    assert res["ran"] == 4 and sum(sizes) == 4  # the first batch's last point, the second
    again = run_sweep(OPERATION, VARIES, sets=SMALL, config=config, db=db)
    assert again["ran"] == 0 and sum(sizes) == 4
    monkeypatch.setattr(sweep, "BATCH_ROWS", 0)
    alone = run_sweep(OPERATION, VARIES, sets=SMALL, config=config, db=tmp_path / "a.duckdb")
    assert _stored(db, res["run_ids"]) == _stored(tmp_path / "a.duckdb", alone["run_ids"])


def test_sensitivity_indices_are_the_same_batched(tmp_path, monkeypatch):
    def indices(rows: int) -> dict:
        monkeypatch.setattr(sweep, "BATCH_ROWS", rows)
        return run_sensitivity(
            OPERATION,
            "morris",
            varies=[
                Vary("target.arrests_per_day", 1000, 3000),
                Vary("detention.beds", 41500, 90000),
            ],
            sets=SMALL,
            outputs=("arrests_per_day", "peak_detention", "removals_total"),
            samples=2,
            config=RunConfig(reps=2, seed=3),
            db=tmp_path / f"{rows}.duckdb",
        )

    sizes = _spy_jobs(monkeypatch)
    batched = indices(200)
    assert sizes == [6]  # 2 samples x (2 parameters + 1), one batch on one worker
    alone = indices(0)
    assert batched["ran"] == alone["ran"] == 6
    assert batched["indices"] == alone["indices"]


def test_parameter_draws_run_one_point_per_job():
    base = load_scenario(OPERATION, set=SMALL)
    scenarios = [base, base]
    assert point_batches(scenarios, [0, 1], RunConfig(reps=4, uncertainty_inner=2)) == [[0], [1]]


@settings(max_examples=25, deadline=None)
@given(
    todo=st.lists(st.integers(0, 5), unique=True, max_size=6),
    reps=st.integers(1, 120),
    workers=st.integers(1, 4),
    rows=st.sampled_from([0, 1, 50, 200, 1000]),
)
def test_every_missing_point_runs_once_with_points_it_can_share_a_batch_with(
    todo, reps, workers, rows
):
    scenarios = _grid()
    sweep.BATCH_ROWS, saved = rows, sweep.BATCH_ROWS
    try:
        config = RunConfig(reps=reps, workers=workers)
        jobs = point_batches(scenarios, todo, config)
        per = sweep.batch_points(config, len(todo))
    finally:
        sweep.BATCH_ROWS = saved
    assert sorted(i for job in jobs for i in job) == sorted(todo)
    assert all(0 < len(job) <= max(1, per) for job in jobs)
    assert per <= max(1, rows // reps)
    for job in jobs:
        assert len({batch_key(build_inputs(scenarios[i])) for i in job}) == 1
    if todo and per > 1:  # every worker gets work when there is enough
        assert len(jobs) >= min(workers, len(todo))


_GRID: list = []


def _grid() -> list:
    if not _GRID:
        base = load_scenario(OPERATION, set=SMALL)
        _GRID.extend(sweep.point_scenarios(base, sweep.design_points(VARIES, "grid", 0, 1)))
    return _GRID


def test_memory_counts_a_batch_of_rows_per_worker(tmp_path, monkeypatch):
    sc = load_scenario(OPERATION)
    shape = RunShape.of(sc)
    config = RunConfig(reps=20, workers=2)
    assert job_bytes(shape, config, 10) > shape.chunk_peak_bytes(200)
    one = points_estimate([sc] * 40, config).peak
    batched = points_estimate([sc] * 40, config, per_job=10).peak
    assert batched - one >= 2 * (shape.chunk_peak_bytes(200) - shape.chunk_peak_bytes(20))
    # between the two: a batched design is refused, one point per job would fit
    limit = (one + batched) / 2 / 1e9
    monkeypatch.setattr(sweep, "executor_for", None)  # refused before anything runs
    args = (OPERATION, [Vary("detention.beds", 40000, 60000, 40)])
    kw = dict(config=RunConfig(reps=20, workers=2, max_memory_gb=limit), db=tmp_path / "r.db")
    monkeypatch.setattr(sweep, "BATCH_ROWS", 200)
    with pytest.raises(OptionError, match="sub-batch"):
        run_sweep(*args, **kw)
    assert not (tmp_path / "r.db").exists()


def test_a_batch_in_its_worker_stays_under_its_estimate():
    """The estimate covers what a sub-batch allocates (tracemalloc, after a warm-up run:
    what is loaded or compiled once per process is not the batch's)."""
    scenarios = [sc for sc in _grid() if sc.transport.limited_countries.limit_days == 150]
    config = RunConfig(reps=4)
    sweep._run_points_batched(scenarios[:2], RunConfig(reps=1))
    tracemalloc.start()
    try:
        sweep._run_points_batched(scenarios, config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= job_bytes(RunShape.of(scenarios[0]), config, len(scenarios))

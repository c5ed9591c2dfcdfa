"""The results store: one embedded DuckDB file, with Parquet files it references.

Tables:

* ``runs``: one row per finished run (a sweep point, or a run started through
  ``atlarge serve --db``): scenario name and sha256, overrides, seed, replications,
  days, uncertainty draws, version, start and finish, the Parquet file of its
  national daily series;
* ``kpis``: the KPI statistics of each run (mean, p5, p50, p95);
* ``sweeps``: one row per sweep specification.

A run's id is a hash of what determines its numbers (the resolved scenario,
seed, replications, uncertainty setting, version), so the same run is never
stored twice. A run and its KPIs are inserted in one transaction: killed at
any moment, the store holds each run completely or not at all (DuckDB
rolls an unfinished transaction back when the file is next opened).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from atlarge._version import __version__
from atlarge.scenario import Scenario, scenario_sha256

SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id VARCHAR PRIMARY KEY,
    scenario_name VARCHAR,
    scenario_sha256 VARCHAR,
    spec VARCHAR,
    n_points INTEGER,
    created_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    sweep_id VARCHAR,
    point_index INTEGER,
    scenario_name VARCHAR,
    scenario_sha256 VARCHAR,
    overrides VARCHAR,
    seed BIGINT,
    reps INTEGER,
    days INTEGER,
    uncertainty_inner INTEGER,
    atlarge_version VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    timeseries_path VARCHAR
);
CREATE TABLE IF NOT EXISTS kpis (
    run_id VARCHAR,
    kpi VARCHAR,
    mean DOUBLE,
    p5 DOUBLE,
    p50 DOUBLE,
    p95 DOUBLE,
    PRIMARY KEY (run_id, kpi)
);
"""


def run_id(scenario_sha256: str, seed: int, reps: int, inner: int | None, version: str) -> str:
    key = json.dumps([scenario_sha256, seed, reps, inner, version])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def run_row(
    scenario: Scenario,
    overrides: Mapping[str, Any],
    *,
    seed: int,
    reps: int,
    inner: int | None,
    started: dt.datetime,
    finished: dt.datetime,
    sweep_id: str | None = None,
    point_index: int | None = None,
) -> dict[str, Any]:
    """The ``runs`` row of a finished run, but its Parquet path (see :meth:`Store.add_run`).

    One place builds it, so a sweep point and a run from the API with the same
    numbers get the same id.
    """
    sha = scenario_sha256(scenario)
    return {
        "run_id": run_id(sha, seed, reps, inner, __version__),
        "sweep_id": sweep_id,
        "point_index": point_index,
        "scenario_name": scenario.name,
        "scenario_sha256": sha,
        "overrides": json.dumps(dict(overrides), sort_keys=True),
        "seed": seed,
        "reps": reps,
        "days": scenario.days,
        "uncertainty_inner": inner,
        "atlarge_version": __version__,
        "started_at": started,
        "finished_at": finished,
    }


class Store:
    """A results store at ``path`` (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.series_dir = self.path.with_name(f"{self.path.stem}-timeseries")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise FileNotFoundError(self.path)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                con.execute(SCHEMA)
            yield con
        finally:
            con.close()

    def finished_runs(self, sweep_id: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute("SELECT run_id FROM runs WHERE sweep_id = ?", [sweep_id]).fetchall()
        return {r[0] for r in rows}

    def add_sweep(self, sweep_id: str, name: str, sha: str, spec: dict[str, Any], n: int) -> None:
        with self.connect() as con:
            con.execute(
                "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [sweep_id, name, sha, json.dumps(spec, sort_keys=True), n, _now()],
            )

    def series_path(self, rid: str) -> Path:
        return self.series_dir / f"{rid}.parquet"

    def write_series(self, rid: str, table: pa.Table) -> Path:
        """Write a run's daily series where the store expects it, atomically."""
        self.series_dir.mkdir(parents=True, exist_ok=True)
        path = self.series_path(rid)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pq.write_table(table, tmp, compression="zstd")
        tmp.replace(path)
        return path

    def add_run(
        self,
        row: dict[str, Any],
        kpis: dict[str, dict[str, float | None]],
        table: pa.Table,
    ) -> bool:
        """Store a finished run: its national daily series, then the row and its KPIs.

        ``row`` (from :func:`run_row`) holds the ``runs`` columns except
        ``timeseries_path``. The Parquet file is written first, so a row never
        points at a missing file; a file already there is the same run's (its
        name is the run id, and it is only ever written whole), so it is kept.
        """
        path = self.series_path(row["run_id"])
        if not path.exists():
            self.write_series(row["run_id"], table)
        return self.record({**row, "timeseries_path": str(path)}, kpis)

    def record(self, row: dict[str, Any], kpis: dict[str, dict[str, float | None]]) -> bool:
        """Insert a finished run and its KPIs in one transaction; False if already there."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                exists = con.execute(
                    "SELECT 1 FROM runs WHERE run_id = ?", [row["run_id"]]
                ).fetchone()
                if exists:
                    con.execute("ROLLBACK")
                    return False
                cols = list(row)
                con.execute(
                    f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [row[c] for c in cols],
                )
                con.executemany(
                    "INSERT INTO kpis VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        [row["run_id"], k, s.get("mean"), s.get("p5"), s.get("p50"), s.get("p95")]
                        for k, s in kpis.items()
                    ],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return True

    def runs(self) -> list[dict[str, Any]]:
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT r.*, k.p50 AS arrests_per_day_p50 FROM runs r LEFT JOIN kpis k "
                "ON k.run_id = r.run_id AND k.kpi = 'arrests_per_day' "
                "ORDER BY r.finished_at, r.point_index"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def kpis(self, rid: str) -> dict[str, dict[str, float | None]]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT kpi, mean, p5, p50, p95 FROM kpis WHERE run_id = ?", [rid]
            ).fetchall()
        return {k: {"mean": m, "p5": a, "p50": b, "p95": c} for k, m, a, b, c in rows}

    def resolve(self, prefix: str) -> str:
        """The run id starting with ``prefix`` (ids can be abbreviated, as in git)."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT run_id FROM runs WHERE run_id LIKE ?", [prefix + "%"]
            ).fetchall()
        if len(rows) != 1:
            raise KeyError(prefix if not rows else f"{prefix} (ambiguous: {len(rows)} runs)")
        return rows[0][0]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)

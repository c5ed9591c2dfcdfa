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

A store says what it is: a small ``atlarge_store`` table holds its format
version. Before anything is written, the file is identified (read-only): no
file, an empty file or a database without tables may become a store; a store
of an earlier version (tables ``runs``, ``kpis``, ``sweeps`` without
``atlarge_store``) is accepted and labelled on first write; anything else (a
database with other tables, a file that is not DuckDB, a folder) is refused
with a :class:`StoreError` and left as it is.

DuckDB lets one process at a time open a file for writing. Each operation
opens the file briefly; when another process holds it, the store waits
(saying so on stderr after a second) and retries for up to ``wait`` seconds
(``ATLARGE_STORE_WAIT``, default 120), then gives up with a :class:`StoreBusy`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from atlarge._version import __version__
from atlarge.errors import AtlargeWarning, OptionError
from atlarge.scenario import Scenario, scenario_sha256

FORMAT = 1
"""Version of the store's layout, kept in ``atlarge_store``; bump it when tables change."""
META_TABLE = "atlarge_store"
LEGACY_TABLES = {
    "runs": {"run_id", "scenario_sha256"},
    "kpis": {"run_id", "kpi", "p50"},
    "sweeps": {"sweep_id", "spec"},
}
"""Tables (and some of their columns) of stores written before ``atlarge_store`` existed."""
DUCKDB_MAGIC = b"DUCK"  # bytes 8-12 of every DuckDB database file
DEFAULT_WAIT_S = 120.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS atlarge_store (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
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


class StoreError(OptionError):
    """The file named as ``db`` cannot be used as a results store (it is left as it is)."""

    def __init__(self, message: str) -> None:
        super().__init__("db", message)


class StoreBusy(StoreError):
    """Another process kept the store open for longer than we were willing to wait."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _say(message: str) -> None:
    warnings.warn(message, AtlargeWarning, stacklevel=3)


class Store:
    """A results store at ``path`` (created on first write; see the module docstring).

    ``wait`` is how long to wait for another process that holds the file (seconds;
    default ``ATLARGE_STORE_WAIT`` or 120); ``notify`` receives the one message said
    while waiting (default: printed on stderr).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        wait: float | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.series_dir = self.path.with_name(f"{self.path.stem}-timeseries")
        if wait is None:
            try:
                wait = float(os.environ.get("ATLARGE_STORE_WAIT", DEFAULT_WAIT_S))
            except ValueError:
                wait = DEFAULT_WAIT_S
        self.wait = max(wait, 0.0)
        self.notify = notify or _say
        self._said_waiting = False
        self._state: str | None = None  # "new", "legacy" or "store" once identified

    # -- what the file is ----------------------------------------------------------------

    def _check_path(self) -> None:
        """Refuse a path that cannot be a store file, before opening anything."""
        path = self.path
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise StoreError(f"'{path}' lies under '{parent}', which is a file")
                break
        if path.is_dir():
            raise StoreError(f"'{path}' is a folder; name a results store file")
        if path.exists() and not path.is_file():
            raise StoreError(f"'{path}' is not a regular file")
        if self.series_dir.exists() and not self.series_dir.is_dir():
            raise StoreError(
                f"'{self.series_dir}' (where the store keeps daily series) is a file, not a folder"
            )

    def _read_magic(self) -> bytes:
        try:
            with self.path.open("rb") as f:
                return f.read(12)
        except OSError as exc:
            raise StoreError(f"cannot read '{self.path}' ({exc.strerror or exc})") from None

    def identify(self) -> str:
        """What the file is: ``"missing"``, ``"empty"`` (no bytes, or a database without
        tables), ``"legacy"`` (a store of an earlier version) or ``"store"``. Anything
        else raises :class:`StoreError`. Reads only."""
        self._check_path()
        if not self.path.exists():
            return "missing"
        head = self._read_magic()
        if not head:
            return "empty"
        if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
            raise StoreError(f"'{self.path}' is not a DuckDB database, so not a results store")
        con = self._open(read_only=True)
        try:
            rows = con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database()"
            ).fetchall()
            meta = None
            if any(t == META_TABLE for t, _ in rows):
                meta = dict(con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        except duckdb.Error as exc:
            raise StoreError(f"'{self.path}' cannot be read as a results store ({exc})") from None
        finally:
            con.close()
        tables: dict[str, set[str]] = {}
        for t, c in rows:
            tables.setdefault(t, set()).add(c)
        if meta is not None:
            try:
                fmt = int(meta.get("format", ""))
            except ValueError:
                fmt = -1
            if fmt < 1 or meta.get("kind") != "atlarge results store":
                raise StoreError(
                    f"'{self.path}' has an '{META_TABLE}' table that atlarge did not write"
                )
            if fmt > FORMAT:
                raise StoreError(
                    f"'{self.path}' is a results store of a newer format ({fmt}, this atlarge "
                    f"{__version__} reads up to {FORMAT}); upgrade atlarge or name another file"
                )
            return "store"
        if not tables:
            return "empty"
        if set(tables) == set(LEGACY_TABLES) and all(
            cols <= tables[t] for t, cols in LEGACY_TABLES.items()
        ):
            return "legacy"
        names = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"'{self.path}' is a DuckDB database that is not an atlarge results store "
            f"(it holds tables {names}); it was left as it is: name another file"
        )

    def _ensure(self, create: bool) -> None:
        if self._state is not None:
            return
        kind = self.identify()
        if kind in ("missing", "empty") and not create:
            what = "does not exist" if kind == "missing" else "holds no results store yet"
            raise StoreError(
                f"'{self.path}' {what} (run a sweep, or serve with a results store, first)"
            )
        if kind in ("missing", "empty") and self.path.exists() and self.path.stat().st_size == 0:
            self.path.unlink()  # an empty file holds nothing: let DuckDB create the database
        if kind == "missing":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create a folder for '{self.path}' ({exc.strerror or exc})"
                ) from None
        self._state = {"missing": "new", "empty": "new"}.get(kind, kind)

    # -- opening, with waiting for another process ----------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.wait
        started = time.monotonic()
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"'{self.path}' cannot be opened ({exc})") from None
                now = time.monotonic()
                if now >= deadline:
                    raise StoreBusy(
                        f"the results store '{self.path}' is in use by another process "
                        f"(waited {self.wait:.0f} s); try again when it has finished, or name "
                        "another `db`"
                    ) from None
                if not self._said_waiting and now - started >= 1.0:
                    self._said_waiting = True
                    self.notify(
                        f"waiting for the results store {self.path}, in use by another "
                        f"process (up to {self.wait:.0f} s)"
                    )
                time.sleep(min(delay, max(deadline - now, 0.0)))
                delay = min(delay * 1.5, 0.5)

    def check(self, create: bool = True) -> None:
        """Identify the file now (and create the store if ``create``); raise StoreError."""
        self._ensure(create)
        if create:
            with self.connect():
                pass

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self._ensure(create=not read_only)
        con = self._open(read_only)
        try:
            if not read_only and self._state != "store":
                con.execute("BEGIN TRANSACTION")
                con.execute(SCHEMA)
                con.execute(
                    f"INSERT INTO {META_TABLE} VALUES ('kind', 'atlarge results store'), "
                    f"('format', '{FORMAT}'), ('created_by', ?) ON CONFLICT DO NOTHING",
                    [__version__],
                )
                con.execute("COMMIT")
                self._state = "store"
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
                [sweep_id, name, sha, json.dumps(spec, sort_keys=True), n, utc_now()],
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

    def run(self, rid: str) -> dict[str, Any]:
        """The ``runs`` row of one stored run."""
        with self.connect(read_only=True) as con:
            cur = con.execute("SELECT * FROM runs WHERE run_id = ?", [rid])
            names = [d[0] for d in cur.description]
            row = cur.fetchone()
        if row is None:
            raise KeyError(rid)
        return dict(zip(names, row, strict=True))

    def kpis(self, rid: str) -> dict[str, dict[str, float | None]]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT kpi, mean, p5, p50, p95 FROM kpis WHERE run_id = ?", [rid]
            ).fetchall()
        return {k: {"mean": m, "p5": a, "p50": b, "p95": c} for k, m, a, b, c in rows}

    def kpis_for(self, rids: list[str]) -> dict[str, dict[str, dict[str, float | None]]]:
        """The KPI statistics of several runs at once, by run id."""
        out: dict[str, dict[str, dict[str, float | None]]] = {rid: {} for rid in rids}
        if not rids:
            return out
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT run_id, kpi, mean, p5, p50, p95 FROM kpis WHERE list_contains(?, run_id)",
                [list(rids)],
            ).fetchall()
        for rid, k, m, a, b, c in rows:
            out[rid][k] = {"mean": m, "p5": a, "p50": b, "p95": c}
        return out

    def resolve(self, prefix: str) -> str:
        """The run id starting with ``prefix`` (ids can be abbreviated, as in git)."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT run_id FROM runs WHERE run_id LIKE ?", [prefix + "%"]
            ).fetchall()
        if len(rows) != 1:
            raise KeyError(prefix if not rows else f"{prefix} (ambiguous: {len(rows)} runs)")
        return rows[0][0]


def utc_now() -> dt.datetime:
    """Now in UTC, without a time zone (how the store's TIMESTAMP columns hold times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def existing_store(db: Path | str) -> Store:
    """The results store at ``db``, for reading; anything else is a :class:`StoreError`."""
    store = Store(db)
    store.check(create=False)
    return store


def open_store(db: Path | str) -> Store:
    """The results store at ``db``, created if missing; a file that is not a results store
    is a :class:`StoreError` and is left as it is."""
    store = Store(db)
    store.check(create=True)
    return store


def stored_run_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """What makes two stored runs' KPIs not comparable: the horizon, or the kind of band."""
    out = []
    if a["days"] != b["days"]:
        out.append(f"horizon: A {a['days']} days, B {b['days']} days")
    if (a["uncertainty_inner"] is None) != (b["uncertainty_inner"] is None):
        kinds = ["parameter draws" if r["uncertainty_inner"] else "randomness only" for r in (a, b)]
        out.append(f"bands: A {kinds[0]}, B {kinds[1]}")
    return out

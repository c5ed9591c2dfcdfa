"""Refuse a run that will not fit in memory, before it starts.

The estimate adds, for the busiest moment of a run, what each process holds:
the simulation arrays (per chunk in each worker, all replications kept in the
parent; see :mod:`atlarge.model.memory`), each process's interpreter and
libraries, and at the end the daily table the run's ``timeseries`` option keeps
(per office, national or none), the Parquet writer and the report. Sweeps
and sensitivity analyses run one job per worker, a point or a sub-batch of points
run as one array of replications, so their estimate is one job's peak times the
workers.

The limit is the run's ``max_memory_gb`` (the CLI's ``--max-memory``), else the environment variable
``ATLARGE_MAX_MEMORY_GB``, else 80% of the memory available now (``MemAvailable``
in /proc/meminfo, or what the process's cgroup still allows, whichever is
less). ``inf`` switches the check off.

Measured against the peak resident memory summed over processes (sampled
every 20 ms) of ``atlarge run scenarios/operation-at-large.toml``, the
estimate is 10-30% above it from 100 to 1,000 replications (table in
tests/test_resources.py); the tests hold the model's part within a factor of
1.6 of an in-process measurement (tracemalloc) at small sizes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from atlarge.errors import OptionError
from atlarge.model.memory import WORK_BYTES, RunShape, run_peaks
from atlarge.runs.config import RunConfig
from atlarge.scenario import Scenario

GB = 1e9
ENV = "ATLARGE_MAX_MEMORY_GB"
SHARE_OF_AVAILABLE = 0.8
RAISE_LIMIT = f"or raise the limit (`max_memory_gb`, in GB) or {ENV} (inf: no limit)"

PARENT_BYTES = 160_000_000  # interpreter, NumPy, Arrow, pandas, Plotly, atlarge (measured 142 MB)
WORKER_BYTES = 40_000_000  # a forked pool worker's own pages
REPORT_BYTES = 64_000_000  # report rendering and the Parquet writer (measured about 60 MB)
STORE_BYTES = 100_000_000  # DuckDB while sweep points are stored
RAY_BYTES = 1_000_000_000  # a local Ray: raylet, object store, its own workers


@dataclass(frozen=True)
class Estimate:
    """Peak bytes of a run and a few words on what was counted."""

    peak: int
    what: str


def table_bytes(shape: RunShape, reps: int) -> int:
    """The tidy per-office table (``timeseries_table``) while it is built and written.

    Measure columns are the run's arrays seen through Arrow; rep, office, day and
    date are new (dates pass through two NumPy copies and Arrow's date32), and
    the per-group columns are copied out of the group arrays.
    """
    rows = reps * shape.offices * shape.days
    per_row = 4 + 4 + 2 + (8 + 8 + 4) + 2 * shape.groups * 4
    return rows * per_row


def national_daily_table_bytes(shape: RunShape, reps: int) -> int:
    """The national daily table (``national_daily_table``) while it is built and written:
    measure columns are the reduced national arrays seen through Arrow; rep, office, day
    and date are new, and the per-group columns are copied out of the group arrays."""
    return reps * shape.days * (4 + 4 + 2 + (8 + 8 + 4) + 2 * shape.groups * WORK_BYTES)


def daily_table_bytes(shape: RunShape, reps: int, timeseries: str) -> int:
    """The table ``timeseries.parquet`` is written from, as the mode keeps it."""
    if timeseries == "full":
        return table_bytes(shape, reps)
    if timeseries == "national":
        return national_daily_table_bytes(shape, reps)
    return 0


def national_table_bytes(shape: RunShape, reps: int) -> int:
    """The national table a sweep point stores: rep, day and five int64 measures."""
    return reps * shape.days * (4 + 2 + 5 * WORK_BYTES)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 'es' if word.endswith('s') else 's'}"


def run_estimate(scenario: Scenario, config: RunConfig, *, tables: bool = True) -> Estimate:
    """Peak memory of ``simulate`` of ``scenario`` (as run: ``config.days`` already
    applied) and its report (with ``tables``, also the daily table
    ``timeseries.parquet`` is written from, as ``config.timeseries`` keeps it). On a
    Ray cluster elsewhere, the workers' memory is not this machine's."""
    shape = RunShape.of(scenario)
    reps, inner, kept = config.reps, config.uncertainty_inner, config.timeseries
    draws = -(-reps // inner) if inner else 1
    parent, worker, n_workers = run_peaks(
        shape,
        reps,
        chunk_size=config.chunk_size,
        workers=config.workers,
        inner=inner,
        timeseries=kept,
    )
    if config.remote:
        n_workers = 0
    elif config.executor == "ray":
        parent += RAY_BYTES
    simulating = PARENT_BYTES + parent + n_workers * (WORKER_BYTES + worker)
    base = 1 if inner else 0  # with draws, the base scenario's inputs are kept as well
    held = (
        shape.kept_bytes(reps, kept)
        + (draws + base) * shape.inputs_bytes()
        + shape.summary_bytes(reps)
    )
    table = daily_table_bytes(shape, reps, kept) if tables else 0
    writing = PARENT_BYTES + held + REPORT_BYTES + table
    procs = f" on {_plural(n_workers + 1, 'process')}" if n_workers else ""
    what = (
        f"{_plural(reps, 'replication')} x {shape.days:,} days x "
        f"{_plural(shape.offices, 'office')}{procs}"
    )
    return Estimate(max(simulating, writing), what)


def points_estimate(
    scenarios: Sequence[Scenario], config: RunConfig, *, per_job: int = 1
) -> Estimate | None:
    """Peak memory of running sweep points, one job per worker, each job ``per_job``
    points at most (a sub-batch run as one array, see :func:`job_bytes`); None on a
    remote Ray cluster."""
    if not scenarios or config.remote:
        return None
    per_job = max(1, min(per_job, len(scenarios)))
    point = max(
        job_bytes(shape, config, per_job) for shape in {RunShape.of(sc) for sc in scenarios}
    )
    parallel = max(1, min(config.workers, -(-len(scenarios) // per_job)))
    if config.executor == "ray":
        total = PARENT_BYTES + STORE_BYTES + RAY_BYTES + parallel * (WORKER_BYTES * 3 + point)
    elif parallel > 1:
        total = PARENT_BYTES + STORE_BYTES + parallel * (WORKER_BYTES + point)
    else:
        total = PARENT_BYTES + STORE_BYTES + point
    reps = config.reps
    what = f"{_plural(reps, 'replication')} per point, " + (
        f"{parallel} sub-batch(es) of up to {per_job:,} points at once"
        if per_job > 1
        else f"{parallel} point(s) at once"
    )
    return Estimate(total, what)


def job_bytes(shape: RunShape, config: RunConfig, points: int) -> int:
    """Peak of one job of a sweep in its worker: one point as ``run_model`` runs it
    (chunked, reduced in ``national`` mode), or a sub-batch of ``points`` points as one
    chunk of all their rows (:meth:`RunShape.batch_peak_bytes`); with one point's
    summary at a time and every point's national table, held until sent back."""
    reps = config.reps
    if points > 1:
        peak = shape.batch_peak_bytes(points, reps)
    else:
        peak, _, _ = run_peaks(
            shape,
            reps,
            chunk_size=config.chunk_size,
            workers=1,
            inner=config.uncertainty_inner,
            timeseries="none",
        )
    return peak + shape.summary_bytes(reps) + points * national_table_bytes(shape, reps)


def _gb(n: float) -> str:
    return f"{n / GB:,.2f} GB"


def _cgroup_room() -> int | None:
    """Bytes the process's cgroup still allows (v2 or v1), if it sets a limit."""
    candidates: list[tuple[Path, Path]] = []
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            parts = line.split(":", 2)
            if len(parts) == 3 and parts[0] == "0":
                base = Path("/sys/fs/cgroup") / parts[2].lstrip("/")
                candidates.append((base / "memory.max", base / "memory.current"))
    except OSError:
        pass
    candidates.append((Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")))
    v1 = Path("/sys/fs/cgroup/memory")
    candidates.append((v1 / "memory.limit_in_bytes", v1 / "memory.usage_in_bytes"))
    for limit_file, usage_file in candidates:
        try:
            limit = limit_file.read_text().strip()
            usage = int(usage_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(0, int(limit) - usage)
        return None
    return None


def available_bytes() -> int | None:
    """Memory available to this process now, or None where it cannot be read."""
    avail: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    room = _cgroup_room()
    if room is not None:
        avail = room if avail is None else min(avail, room)
    return avail


def memory_limit(max_memory_gb: float | None = None) -> tuple[float | None, str]:
    """The limit in bytes (None: no limit) and where it comes from."""
    if max_memory_gb is not None:
        if math.isnan(max_memory_gb) or max_memory_gb <= 0:
            raise OptionError(
                "max_memory_gb", f"must be a positive number of GB, got {max_memory_gb}"
            )
        return (None if math.isinf(max_memory_gb) else max_memory_gb * GB), "`max_memory_gb`"
    env = os.environ.get(ENV)
    if env is not None and env.strip():
        try:
            value = float(env)
        except ValueError:
            value = math.nan
        if math.isnan(value) or value <= 0:
            raise OptionError(ENV, f"must be a positive number of GB, got '{env}'")
        return (None if math.isinf(value) else value * GB), ENV
    avail = available_bytes()
    if avail is None:
        return None, "memory available unknown"
    share = f"{SHARE_OF_AVAILABLE:.0%}"
    return avail * SHARE_OF_AVAILABLE, f"{share} of the {_gb(avail)} available now"


def check_memory(
    estimate: Estimate | None,
    *,
    parameter: str,
    hint: str,
    max_memory_gb: float | None = None,
    override: str = RAISE_LIMIT,
    reserved: int = 0,
) -> None:
    """Raise :class:`OptionError` naming ``parameter`` if ``estimate`` exceeds the limit.

    ``reserved`` is memory already promised to other work in this process
    (runs accepted and not finished); it is taken from the limit.
    """
    limit, source = memory_limit(max_memory_gb)
    if estimate is None or limit is None:
        return
    room = limit - reserved
    if estimate.peak <= room:
        return
    others = f", less {_gb(reserved)} for runs under way" if reserved else ""
    raise OptionError(
        parameter,
        f"needs about {_gb(estimate.peak)} of memory at peak ({estimate.what}), above the "
        f"limit of {_gb(limit)} ({source}{others}); {hint}, {override}",
    )

"""Read back a run folder written by ``atlarge run`` (or ``Simulation.report``), for a
comparison of two runs (:mod:`atlarge.analysis.compare`).

What is read: ``summary.json`` (what was run, each KPI's statistics),
``replications.parquet`` (each KPI per replication: required, since a band of B - A needs
the values, not their percentiles; folders written before it existed are refused with a
word on how to get one) and, when present, ``timeseries.parquet`` (only the national
daily series the comparison draws; a per-office table is summed over offices). A folder
that is not a run folder, or files of the wrong shape, raise :class:`OptionError` naming
``parameter`` and the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from atlarge.analysis.compare import SERIES, RunData
from atlarge.errors import OptionError, why_not_a_file

MAX_SUMMARY_BYTES = 64 << 20
"""A summary.json larger than this is not one atlarge wrote (the largest are ~1 MiB)."""
SUMMARY_KEYS = ("scenario", "seed", "reps", "days", "kpis")


def read_run(folder: Path | str, parameter: str) -> RunData:
    """The summary, per-replication KPIs and national daily series of the run in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file" if folder.is_file() else why_not_a_file(folder)
        raise OptionError(parameter, f"'{folder}' {what}; name a run folder (atlarge run's out)")
    summary = _summary(folder / "summary.json", parameter)
    per_rep = _per_rep(folder / "replications.parquet", summary, parameter)
    return RunData(str(folder), summary, per_rep, _series(folder, summary, parameter))


def _summary(path: Path, parameter: str) -> dict[str, Any]:
    if not path.is_file():
        raise OptionError(parameter, f"'{path}' {why_not_a_file(path)}: not a run folder")
    if path.stat().st_size > MAX_SUMMARY_BYTES:
        raise OptionError(parameter, f"'{path}' is too large to be a run's summary")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OptionError(parameter, f"'{path}' is not JSON ({exc})") from None
    missing = [k for k in SUMMARY_KEYS if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise OptionError(parameter, f"'{path}' lacks {', '.join(missing)}: not a run summary")
    reps = doc["reps"]
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        raise OptionError(parameter, f"'{path}': reps is {reps!r}, not a count of replications")
    return doc


def _table(path: Path, parameter: str, columns: list[str] | None = None) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (OSError, ValueError, KeyError) as exc:  # ArrowInvalid is a ValueError
        raise OptionError(parameter, f"'{path}' cannot be read as a table ({exc})") from None


def _per_rep(path: Path, summary: dict[str, Any], parameter: str) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise OptionError(
            parameter,
            f"'{path}' {why_not_a_file(path)}: the run folder has no per-replication KPIs "
            "(written by atlarge run from this version on); run the scenario again",
        )
    table = _table(path, parameter)
    if table.num_rows != summary["reps"]:
        raise OptionError(
            parameter,
            f"'{path}' has {table.num_rows:,} rows for {summary['reps']:,} replications",
        )
    out = {}
    for name in table.column_names:
        if name in summary["kpis"]:
            try:
                out[name] = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
            except (TypeError, ValueError):
                raise OptionError(parameter, f"'{path}': column {name} is not numbers") from None
    return out


def _series(folder: Path, summary: dict[str, Any], parameter: str) -> dict[str, np.ndarray]:
    """measure -> ``(reps, days)`` national totals; empty without a daily table."""
    path = folder / "timeseries.parquet"
    if not path.is_file():
        return {}
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError) as exc:
        raise OptionError(parameter, f"'{path}' cannot be read as a table ({exc})") from None
    wanted = [m for m in SERIES if m in names]
    if not wanted or "rep" not in names or "day" not in names:
        return {}
    frame = _table(path, parameter, ["rep", "day", *wanted]).to_pandas()
    national = frame.groupby(["rep", "day"], observed=True)[wanted].sum()
    reps, days = summary["reps"], summary["days"]
    if len(national) != reps * days:
        raise OptionError(
            parameter,
            f"'{path}' holds {len(national):,} (replication, day) rows; the summary says "
            f"{reps:,} replications x {days:,} days",
        )
    return {m: national[m].to_numpy(dtype=np.float64).reshape(reps, days) for m in wanted}

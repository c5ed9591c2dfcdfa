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
    problem = summary_problem(doc)
    if problem:
        raise OptionError(parameter, f"'{path}': {problem}: not a run summary atlarge wrote")
    return doc


def _count(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _number(value: Any) -> bool:
    """A statistic as summary.json writes it: a number, or null where undefined."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def summary_problem(doc: dict[str, Any]) -> str | None:
    """What in a run summary is not of the shape a comparison reads (the field and what is
    wrong), or None. Checked up front so that a summary edited by hand or cut short is
    refused naming its run, not met as a failure halfway through the comparison."""
    counts = (
        ("reps", 1, "a count of replications"),
        ("seed", 0, "a seed"),
        ("days", 1, "a count of days"),
    )
    for key, least, what in counts:
        if not _count(doc[key], least):
            return f"{key} is {doc[key]!r}, not {what}"
    scenario = doc["scenario"]
    if not isinstance(scenario, dict):
        return f"scenario is {type(scenario).__name__}, not a table of name, sha256, start_date"
    for key in ("name", "sha256", "start_date"):
        if not isinstance(scenario.get(key), str):
            return f"scenario.{key} is {scenario.get(key)!r}, not text"
    kpis = doc["kpis"]
    if not isinstance(kpis, dict):
        return f"kpis is {type(kpis).__name__}, not a table of KPIs"
    for name, kpi in kpis.items():
        if not isinstance(kpi, dict):
            return f"kpis.{name} is {kpi!r}, not a table of statistics (mean, p5, p50, p95)"
        for stat, value in kpi.items():
            if not _number(value):
                return f"kpis.{name}.{stat} is {value!r}, not a number or null"
    for key in ("uncertainty", "mechanisms"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            return f"{key} is {doc[key]!r}, not a table"
    return _uncertainty_problem(doc.get("uncertainty") or {})


def _uncertainty_problem(u: dict[str, Any]) -> str | None:
    """What in ``uncertainty`` (what the bands contain, how draws were laid out) is not of
    the shape the pairing of two runs reads, or None."""
    if "kind" in u and not isinstance(u["kind"], str):
        return f"uncertainty.kind is {u['kind']!r}, not text"
    if "draws" in u and not _count(u["draws"], 0):
        return f"uncertainty.draws is {u['draws']!r}, not a count of parameter draws"
    by_draw = u.get("replications_by_draw")
    if by_draw is not None and not (
        isinstance(by_draw, list) and all(_count(n, 0) for n in by_draw)
    ):
        return f"uncertainty.replications_by_draw is {by_draw!r}, not a list of counts"
    drawn = u.get("drawn_parameters")
    if drawn is not None and not (
        isinstance(drawn, list) and all(isinstance(p, str) for p in drawn)
    ):
        return f"uncertainty.drawn_parameters is {drawn!r}, not a list of parameter paths"
    if "posterior" in u and not isinstance(u["posterior"], bool):
        return f"uncertainty.posterior is {u['posterior']!r}, not true or false"
    return None


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

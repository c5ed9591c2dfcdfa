"""What a run says about the months after the data: ``forecast.json`` (issue 16).

The 2025 record stops at September 2025 on purpose; a run of a scenario that goes on
(``scenarios/2025-as-implemented.toml`` runs to 31 January 2026) is a forecast of the
months after it, judged against the record later. For every month of the scenario the
forecast gives the 5th, 50th and 95th percentiles over replications of:

* ``arrests_per_day``: ICE ERO administrative arrests, the month's mean per day (the
  days of the month the scenario covers);
* ``detained_month_end``: people in detention on the month's last simulated day;
* ``removals_per_day``: ICE removals, the month's mean per day.

``fy2025`` gives the same percentiles of fiscal-year 2025 totals (1 October 2024 to 30
September 2025) of arrests and removals. The days before the scenario's start come from
the record (``data/before-start-2025.csv``: each row a rate per day with its range and
source; the days it does not publish are labelled assumptions): each replication draws
the rate uniformly within the row's range (a generator keyed by the seed alone), so the
band carries the record's own uncertainty as well as the model's.

What the band is made of (``band``) is said in the file: replications of fixed
parameters, or parameter draws times replications (see :func:`band_kind`).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from atlarge.model import ModelOutput
from atlarge.scenario.uncertainty import posterior_applies

FY2025 = (date(2024, 10, 1), date(2025, 9, 30))
"""Fiscal year 2025, both ends included."""

MONTHLY = {
    "arrests_per_day": ("arrests", "mean"),
    "detained_month_end": ("detained", "last"),
    "removals_per_day": ("removed", "mean"),
}
"""forecast.json's monthly figures: the model measure each is read from and how a month
is summarised (mean per day, or the month's last day)."""

FY_TOTALS = {"arrests": "arrests", "removals": "removed"}
"""forecast.json's fiscal-year totals: the model measure each counts."""

QUANTILES = {"p5": 5.0, "p50": 50.0, "p95": 95.0}
_BEFORE_START_KEY = 20241001
"""Mixed with the seed to key the generator of the record's rates (no replication
stream uses it)."""


class BeforeStart(BaseModel):
    """A rate per day from the record for days before a scenario's start."""

    model_config = ConfigDict(frozen=True)

    metric: str
    start: date
    end: date
    per_day: float
    low: float
    high: float
    source: str
    confidence: str
    derivation: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@lru_cache(maxsize=1)
def load_before_start() -> tuple[BeforeStart, ...]:
    text = resources.files("atlarge.data").joinpath("before-start-2025.csv").read_text()
    return tuple(BeforeStart.model_validate(r) for r in csv.DictReader(text.splitlines()))


def band_kind(out: ModelOutput) -> str:
    """What the percentiles are taken over, in words a reader can quote."""
    if out.uncertainty:
        n = len(out.draws)
        what = (
            "the fit's joint posterior (every other parameter at its value, as fitted)"
            if posterior_applies(out.scenario)
            else "every ranged parameter"
        )
        return (
            f"parameter draws x replications: {n} draws of {what}, "
            f"{out.reps // max(n, 1)} replications each"
        )
    return "replications only: the parameters fixed at their values (randomness alone)"


def bands(values: np.ndarray) -> dict[str, float]:
    """p5, p50, p95 of ``values`` over replications."""
    return {k: float(np.percentile(values, q)) for k, q in QUANTILES.items()}


def monthly_values(out: ModelOutput) -> dict[str, dict[str, np.ndarray]]:
    """Month ("YYYY-MM") -> figure -> ``(reps,)`` values, for every month the run covers."""
    months = out.inputs.dates.astype("datetime64[M]")
    result: dict[str, dict[str, np.ndarray]] = {}
    for month in np.unique(months):
        days = np.flatnonzero(months == month)
        figures = {}
        for name, (measure, how) in MONTHLY.items():
            series = out.national(measure)[:, days]
            figures[name] = series.mean(axis=1) if how == "mean" else series[:, -1].astype(float)
        result[str(month)] = figures
    return result


def fiscal_year_values(out: ModelOutput, seed: int) -> dict[str, np.ndarray]:
    """FY2025 totals per replication: the record's days before the start (drawn within
    their ranges) plus the simulated days up to 30 September 2025."""
    start = _as_date(out.inputs.dates[0])
    first, last = FY2025
    sim_days = (last - start).days + 1
    if not first <= start <= last or out.days < sim_days:
        raise ValueError(
            f"a FY2025 total needs a scenario starting in FY2025 and running to {last} "
            f"(this one runs {start} to {start + timedelta(days=out.days - 1)})"
        )
    rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, _BEFORE_START_KEY])))
    totals = {}
    for name, measure in FY_TOTALS.items():
        rows = _covering(name, first, start)
        rates = rng.uniform([r.low for r in rows], [r.high for r in rows], (out.reps, len(rows)))
        before = rates @ np.array([r.days for r in rows], dtype=float)
        totals[name] = before + out.national(measure)[:, :sim_days].sum(axis=1)
    return totals


def _covering(metric: str, first: date, start: date) -> list[BeforeStart]:
    """The record's rows for ``metric`` that cover [first, start) exactly, in order."""
    rows = sorted((r for r in load_before_start() if r.metric == metric), key=lambda r: r.start)
    rows = [r for r in rows if r.start < start]
    day = first
    for r in rows:
        if r.start != day or r.end >= start:
            break
        day = r.end + timedelta(days=1)
    if day != start:
        raise ValueError(
            f"data/before-start-2025.csv does not cover {metric} from {first} to the day "
            f"before {start} (covered to {day - timedelta(days=1)})"
        )
    return rows


def forecast(out: ModelOutput) -> dict[str, Any]:
    """The document written to ``forecast.json``."""
    months = [
        {"month": month, **{k: bands(v) for k, v in figures.items()}}
        for month, figures in monthly_values(out).items()
    ]
    doc: dict[str, Any] = {
        "scenario": out.scenario.name,
        "start_date": str(_as_date(out.inputs.dates[0])),
        "days": out.days,
        "reps": out.reps,
        "seed": out.seed,
        "band": band_kind(out),
        "quantiles": list(QUANTILES),
        "record_ends": "2025-09-30",
        "months": months,
    }
    try:
        fy = fiscal_year_values(out, out.seed)
    except ValueError as exc:
        doc["fy2025"] = None
        doc["fy2025_note"] = str(exc)
    else:
        doc["fy2025"] = {k: bands(v) for k, v in fy.items()}
        doc["fy2025_before_start"] = [
            r.model_dump(mode="json") for r in load_before_start() if r.start < _start(out)
        ]
    return doc


def _start(out: ModelOutput) -> date:
    return _as_date(out.inputs.dates[0])


def _as_date(day: np.datetime64) -> date:
    return date.fromisoformat(str(day.astype("datetime64[D]")))

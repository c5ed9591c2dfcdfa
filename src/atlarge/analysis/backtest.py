"""Backtests: each fiscal year's scenario from its inputs, compared with what happened.

A year's scenario is the FY2024 baseline's pipeline with that year's inputs
from ``data/observed.csv`` (ERO officers, bed capacity from funded beds, and
non-ERO book-ins where the book-in total is published) and four calibrated quantities:

* ``posture``: a multiplier on every group's arrests per agent-day, for the
  year's enforcement priorities (per year, fitted);
* ``removal_share``: the share of book-ins on paths that end in removal
  (per year, fitted);
* ``border_transfers_per_day``: book-ins not from ERO arrests (per year;
  derived from published book-ins where they exist, else fitted);
* ``los_scale``: a multiplier on every path's mean length of stay (common to
  all years, fitted).

Each simulation starts ``WARMUP_DAYS`` before 1 October with detention at 80%
of funded beds, so the fiscal year itself starts near the pipeline's own
steady state; metrics cover the fiscal year only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from atlarge.analysis.observed import TARGET_METRICS, figure
from atlarge.model.inputs import OUTCOMES, build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.scenario import Scenario

WARMUP_DAYS = 120
FIT_YEARS = (2016, 2017, 2018, 2022, 2023, 2024)
ASIDE_YEARS = (2015,)
OVER_FUNDING = 1.05  # capacity over the observed population when it exceeded funded beds


@dataclass(frozen=True)
class YearInputs:
    """Where a year's inputs come from in the record (nearest published year if none)."""

    fy: int
    officers_from: str
    beds_from: str
    note: str = ""

    @property
    def period(self) -> str:
        return f"FY{self.fy}"

    @property
    def officers(self) -> float:
        return figure("ero_officers", self.officers_from).value

    @property
    def funded_beds(self) -> float:
        return figure("funded_beds", self.beds_from).value

    @property
    def beds(self) -> float:
        """Bed capacity: the funded beds, unless the year held more people than that.

        ICE's average population exceeded the funded level in FY2016 (34,376 vs
        34,000) and FY2018 (42,188 vs 40,500), so funding was not the physical
        limit there; capacity is then set 5% above the observed population.
        """
        adp = figure("detention_adp", self.period)
        if adp is not None and not adp.from_memory and adp.value > self.funded_beds:
            return OVER_FUNDING * adp.value
        return self.funded_beds

    @property
    def book_ins(self) -> float | None:
        f = figure("book_ins", self.period)
        return None if f is None else f.value

    @property
    def start(self) -> dt.date:
        return dt.date(self.fy - 1, 10, 1)

    @property
    def days(self) -> int:
        return (dt.date(self.fy, 10, 1) - self.start).days

    def border_from_book_ins(self) -> float | None:
        """Non-ERO book-ins per day: published book-ins less the year's ERO arrests."""
        arrests = figure("arrests", self.period)
        if self.book_ins is None or arrests is None:
            return None
        return max(self.book_ins - arrests.value, 0.0) / self.days


YEARS: dict[int, YearInputs] = {
    2015: YearInputs(2015, "FY2016", "FY2016", "officers: FY2016 budget figure"),
    2016: YearInputs(2016, "FY2016", "FY2016"),
    2017: YearInputs(2017, "FY2016", "FY2017", "officers: FY2016 budget figure"),
    2018: YearInputs(2018, "FY2016", "FY2018", "officers: FY2016 budget figure"),
    2022: YearInputs(2022, "FY2025", "FY2023", "officers: 2025 listing; beds: FY2023 figure"),
    2023: YearInputs(2023, "FY2025", "FY2023", "officers: 2025 listing"),
    2024: YearInputs(2024, "FY2025", "FY2024", "officers: 2025 listing"),
}


@dataclass(frozen=True)
class YearParams:
    posture: float = 1.0
    removal_share: float = 0.82
    border_transfers_per_day: float = 400.0
    los_scale: float = 1.0


def _set(param: dict[str, Any], value: float, source: str) -> None:
    param["value"] = float(value)
    param["source"] = source
    param["assumption"] = False
    param["rationale"] = None
    param["range"] = None
    param["distribution"] = None
    param["schedule"] = None


def year_scenario(base: Scenario, year: YearInputs, p: YearParams) -> Scenario:
    """The scenario for one fiscal year: the base pipeline, the year's inputs, ``p``."""
    d = base.model_dump()
    tag = f"backtest {year.period}"
    d["name"] = f"Backtest {year.period}"
    d["start_date"] = year.start - dt.timedelta(days=WARMUP_DAYS)
    d["days"] = year.days + WARMUP_DAYS
    _set(d["target"]["arrests_per_day"], 0, f"{tag}: no target pressure")
    d["regime"]["enabled"] = False
    _set(
        d["workforce"]["ero"]["headcount"],
        year.officers,
        f"{tag}: ERO officers, {year.officers_from} figure (data/observed.csv)",
    )
    for key in d["workforce"]:
        if key not in ("ero", "working_days_per_week") and d["workforce"][key] is not None:
            _set(d["workforce"][key]["headcount"], 0, f"{tag}: not deployed")
    if d["support"]["national_guard"] is not None:
        _set(d["support"]["national_guard"]["headcount"], 0, f"{tag}: not deployed")
    _set(
        d["detention"]["beds"],
        year.beds,
        f"{tag}: bed capacity from funded beds "
        f"({year.beds_from} figure) or the observed population, whichever is higher",
    )
    _set(d["detention"]["initial_population"], 0.8 * year.beds, f"{tag}: warm-up start")
    _set(d["inflow"]["border_transfers_per_day"], p.border_transfers_per_day, f"{tag}: fitted")
    for g in d["groups"].values():
        y = g["arrests_per_agent_day"]
        _set(y, y["value"] * p.posture, f"{tag}: baseline yield x posture {p.posture:.3f}")
    removal = [k for k, v in d["dispositions"].items() if v["outcome"] == OUTCOMES[0]]
    base_removal = sum(d["dispositions"][k]["share"]["value"] for k in removal)
    for k, v in d["dispositions"].items():
        factor = (
            p.removal_share / base_removal
            if k in removal
            else (1 - p.removal_share) / (1 - base_removal)
        )
        _set(
            v["share"], v["share"]["value"] * factor, f"{tag}: removal share {p.removal_share:.3f}"
        )
        mean = max(v["mean_days"]["value"] * p.los_scale, float(v["phases"]))
        _set(v["mean_days"], mean, f"{tag}: baseline mean x LOS scale {p.los_scale:.3f}")
    return Scenario.model_validate(d)


def simulate_year(
    base: Scenario, year: YearInputs, p: YearParams, reps: int, seed: int
) -> dict[str, np.ndarray]:
    """Per-replication fiscal-year metrics: arrests, ADP, ALOS, removals.

    The year's replications run here as one chunk (a backtest year is small; the
    memory check of backtest and calibrate counts it so).
    """
    inputs = build_inputs(year_scenario(base, year, p))
    s = run_chunk(inputs, seed, np.arange(reps))
    fy = slice(WARMUP_DAYS, None)

    def total(m: str) -> np.ndarray:
        return s[m][..., fy].sum(axis=(1, 2), dtype=np.int64).astype(np.float64)

    bed_days = total("detained")
    exits = total("removed") + total("released") - total("released_capacity") + total("departed")
    return {
        "arrests": total("arrests"),
        "detention_adp": bed_days / year.days,
        "alos": np.divide(bed_days, exits, out=np.full(reps, np.nan), where=exits > 0),
        "removals": total("removed"),
    }


def backtest_rows(
    values: dict[str, np.ndarray], year: YearInputs, kind: str, fitted_metrics: set[str]
) -> list[dict[str, Any]]:
    """Rows of backtest.json for one simulated year against its observed figures."""
    rows = []
    for metric in TARGET_METRICS:
        fig = figure(metric, year.period)
        if fig is None:
            continue
        p5, p50, p95 = np.percentile(values[metric], [5, 50, 95])
        rows.append(
            {
                "metric": metric,
                "period": year.period,
                "observed": fig.value,
                "sim_p5": float(p5),
                "sim_p50": float(p50),
                "sim_p95": float(p95),
                "rel_error": float(p50 / fig.value - 1.0),
                "in_sample": kind == "fit" and metric in fitted_metrics,
                "kind": kind,
                "from_memory": fig.from_memory,
                "confidence": fig.confidence,
            }
        )
    return rows

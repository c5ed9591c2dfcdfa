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
from atlarge.model.inputs import build_inputs
from atlarge.model.outcomes import Outcome
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


def year_scenario(base: Scenario, year: YearInputs, p: YearParams) -> Scenario:
    """The scenario for one fiscal year: the base pipeline, the year's inputs, ``p``.

    One change to ``base`` (``Scenario.with_values``): the horizon from the warm-up
    to the end of the year, ERO officers only (every other agency and the Guard at
    0), no target pressure and no ranking regime, the year's beds (see
    :attr:`YearInputs.beds`) with detention at 80% of them, the year's non-ERO
    inflow, every group's yield times ``posture``, removal paths' shares scaled to
    ``removal_share`` (the other paths' to the rest) and every mean stay times
    ``los_scale`` (at least its phases).
    """
    values: dict[str, Any] = {
        "name": f"Backtest {year.period}",
        "start_date": year.start - dt.timedelta(days=WARMUP_DAYS),
        "days": year.days + WARMUP_DAYS,
        "target.arrests_per_day": 0,
        "regime.enabled": False,
        "workforce.ero.headcount": year.officers,
        "detention.beds": year.beds,
        "detention.initial_population": 0.8 * year.beds,
        "inflow.border_transfers_per_day": p.border_transfers_per_day,
    }
    for key in base.workforce.deployed():
        if key != "ero":
            values[f"workforce.{key}.headcount"] = 0
    if base.support.national_guard is not None:
        values["support.national_guard.headcount"] = 0
    for key, g in base.groups.items():
        values[f"groups.{key}.arrests_per_agent_day"] = g.arrests_per_agent_day.value * p.posture
    removal = [k for k, d in base.dispositions.items() if d.outcome == Outcome.REMOVAL]
    base_removal = sum(base.dispositions[k].share.value for k in removal)
    for key, d in base.dispositions.items():
        factor = (
            p.removal_share / base_removal
            if key in removal
            else (1 - p.removal_share) / (1 - base_removal)
        )
        values[f"dispositions.{key}.share"] = d.share.value * factor
        values[f"dispositions.{key}.mean_days"] = max(
            d.mean_days.value * p.los_scale, float(d.phases)
        )
    reason = (
        f"backtest {year.period} (inputs from data/observed.csv: ERO officers "
        f"{year.officers_from}, beds {year.beds_from}; posture {p.posture:.3f}, removal share "
        f"{p.removal_share:.3f}, LOS scale {p.los_scale:.3f}, non-ERO book-ins "
        f"{p.border_transfers_per_day:.0f}/day)"
    )
    return base.with_values(values, reason)


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

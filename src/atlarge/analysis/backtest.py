"""Backtests: each fiscal year's scenario from its inputs, compared with what happened.

A year's scenario is the FY2024 baseline's pipeline with that year's inputs
from ``data/observed.csv`` (ERO officers, bed capacity from funded beds, and
non-ERO book-ins where the book-in total is published), the year's
enforcement-priority policy from public documents (:data:`POLICY`: which
groups are eligible and aimed at, dated), and four calibrated quantities:

* ``posture``: a fitted residual multiplier, after the year's policy input, on
  every group's arrests per agent-day and on the custodial yield (per year): the
  year's enforcement intensity beyond what its inputs explain;
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
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

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


DHS = "U.S. Department of Homeland Security"


def _dated_dict(record: Any) -> dict[str, str]:
    """A dated public record (a policy, an order) as JSON-ready text, dates ISO."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(record).items()}


def _days_within(lo: dt.date, hi: dt.date, start: dt.date, end: dt.date) -> int:
    """Days from ``lo`` up to (not including) ``hi`` that fall within ``start``..``end``
    (``end`` not included)."""
    return max((min(hi, end) - max(lo, start)).days, 0)


@dataclass(frozen=True)
class PolicyInput:
    """An enforcement-priority policy in force from ``effective``, as a public document set it.

    ``scope`` is what the backtest makes of it (:func:`year_priority`): ``broad``, every
    group eligible and aimed at (``policy.priority`` 1 for each); ``narrow``, the base
    scenario's own ``policy.priority`` values (the FY2024 guidelines; a group the base
    leaves out is fully eligible under either).
    """

    effective: dt.date
    scope: Literal["narrow", "broad"]
    publisher: str
    document: str
    date: dt.date  # the document's own date
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return _dated_dict(self)


POLICY: tuple[PolicyInput, ...] = (
    PolicyInput(
        dt.date(2014, 11, 20),
        "narrow",
        DHS,
        "Policies for the Apprehension, Detention and Removal of Undocumented Immigrants "
        "(Johnson memorandum)",
        dt.date(2014, 11, 20),
    ),
    PolicyInput(
        dt.date(2017, 2, 20),
        "broad",
        DHS,
        "Enforcement of the Immigration Laws to Serve the National Interest (Kelly "
        "memorandum implementing Executive Order 13768)",
        dt.date(2017, 2, 20),
    ),
    PolicyInput(
        dt.date(2021, 2, 18),
        "narrow",
        "U.S. Immigration and Customs Enforcement",
        "Interim Guidance: Civil Immigration Enforcement and Removal Priorities",
        dt.date(2021, 2, 18),
    ),
    PolicyInput(
        dt.date(2021, 11, 29),
        "narrow",
        DHS,
        "Guidelines for the Enforcement of Civil Immigration Law (Mayorkas memorandum)",
        dt.date(2021, 9, 30),
        "effective 2021-11-29",
    ),
    PolicyInput(
        dt.date(2022, 6, 10),
        "broad",
        "U.S. District Court for the Southern District of Texas",
        "Texas v. United States: the Guidelines for the Enforcement of Civil Immigration Law "
        "vacated",
        dt.date(2022, 6, 10),
    ),
    PolicyInput(
        dt.date(2023, 6, 23),
        "narrow",
        "Supreme Court of the United States",
        "United States v. Texas: the vacatur reversed, the guidelines in force again",
        dt.date(2023, 6, 23),
    ),
)
"""Enforcement-priority policy by date, from the public documents that set it.

Covers every backtest year's horizon, warm-up included. The FY2015 horizon starts on
2014-06-03, before the first entry: the first entry's scope (narrow) holds from there,
since the whole of FY2015 and FY2016 is taken as narrow (the ICE priorities of 2011 that
the Johnson memorandum replaced also set priorities)."""


@dataclass(frozen=True)
class BorderOrder:
    """A border order in force from ``effective`` to ``ended`` (both days included), as a
    public document set it."""

    effective: dt.date
    ended: dt.date
    publisher: str
    document: str
    note: str = ""

    def share_of(self, start: dt.date, end: dt.date) -> float:
        """The share of the days from ``start`` up to (not including) ``end`` under the
        order."""
        last = self.ended + dt.timedelta(days=1)
        return _days_within(self.effective, last, start, end) / (end - start).days

    def as_dict(self) -> dict[str, str]:
        return _dated_dict(self)


TITLE_42 = BorderOrder(
    dt.date(2020, 3, 21),
    dt.date(2023, 5, 11),
    "Centers for Disease Control and Prevention",
    "Order suspending the introduction of certain persons from countries where a "
    "communicable disease exists (42 U.S.C. 265 and 268; 85 FR 17060, 2020-03-26)",
    "ended with the COVID-19 public health emergency on 2023-05-11; ICE's FY2023 annual "
    "report counts its 62,545 Title 42 expulsions apart from its 142,580 removals",
)
"""The Title 42 order: border encounters expelled under it were not booked in and removed
through ICE detention, so a year under it removes a smaller share of its book-ins (the
annual record's removal share: :mod:`atlarge.analysis.annual_bayes`)."""


def title42_share(year: YearInputs) -> float:
    """The share of the fiscal year's days (warm-up not counted) under Title 42."""
    return TITLE_42.share_of(year.start, dt.date(year.fy, 10, 1))


def broad_share(year: YearInputs) -> float:
    """The share of the fiscal year's days (warm-up not counted) under a broad priority
    policy (:data:`POLICY`)."""
    end = dt.date(year.fy, 10, 1)
    spans = year_policy(year)
    ends = [*(when for when, _ in spans[1:]), end]
    broad = [(when, nxt) for (when, p), nxt in zip(spans, ends, strict=True) if p.scope == "broad"]
    days = sum(_days_within(when, nxt, year.start, end) for when, nxt in broad)
    return days / (end - year.start).days


YEAR_COVARIATES = {"broad_share": broad_share, "title42_share": title42_share}
"""A year's dated inputs that a left-out year's prediction may move with
(:mod:`atlarge.analysis.pooling`), each a share of the fiscal year's days."""


COVARIATES = {"posture": "broad_share", "removal_share": "title42_share"}
"""The fitted quantities whose left-out prediction moves with a dated input, in both
calibrations (:func:`atlarge.analysis.calibrate.held_out_params`,
:func:`atlarge.analysis.annual_bayes.population`): the residual posture with the share of
the year under a broad priority policy, the removal share with its share under Title 42.
Why, in :mod:`atlarge.analysis.annual_bayes`."""


INFORMED_BY = {
    "posture": ("arrests",),
    "removal_share": ("removals",),
    "los_scale": ("alos", "detention_adp"),
    "border_transfers_per_day": ("detention_adp",),
}
"""The figures that measure each fitted quantity: a left-out year is predicted only from
the years whose fit used one of them (arrests measure the posture, removals the removal
share, stays or the population the stay; the population, over the stay, the inflow; a
year's inflow from its published book-ins is measured directly). A Bayesian year's
posterior can narrow for other reasons (the priors' edges, a trade-off with another
quantity: FY2022's stay, from its arrests and removals alone), and a fixed-point year
keeps its starting value where nothing measures it; neither is a measurement."""


def measures(quantity: str, figures: Iterable[str], inflow_published: bool) -> bool:
    """Whether a year whose fit used ``figures`` measures ``quantity`` (:data:`INFORMED_BY`;
    a year's inflow from its published book-ins is measured directly)."""
    if quantity == "border_transfers_per_day" and inflow_published:
        return True
    return bool(set(INFORMED_BY[quantity]) & set(figures))


def year_covariates(year: YearInputs) -> dict[str, float]:
    """The year's dated inputs of :data:`YEAR_COVARIATES`."""
    return {k: f(year) for k, f in YEAR_COVARIATES.items()}


def policy_in_force(when: dt.date) -> PolicyInput:
    """The policy in force on ``when``: the last entry effective on or before it (the first
    entry before any)."""
    return next((p for p in reversed(POLICY) if p.effective <= when), POLICY[0])


def year_policy(year: YearInputs) -> list[tuple[dt.date, PolicyInput]]:
    """The policies in force over the year's simulated horizon (warm-up included): pairs of
    the day each applies from in the simulation (the first from the horizon's start) and
    the entry, in date order."""
    first = year.start - dt.timedelta(days=WARMUP_DAYS)
    end = dt.date(year.fy, 10, 1)
    out = [(first, policy_in_force(first))]
    out += [(p.effective, p) for p in POLICY if first < p.effective < end and p is not out[0][1]]
    return out


def narrow_priority(base: Scenario) -> dict[str, float]:
    """The narrow policy: the base scenario's ``policy.priority`` in force on its start
    date (the FY2024 guidelines); groups the base leaves out are fully eligible."""
    return {k: p.at(base.start_date) for k, p in base.policy.priority.items()}


def year_priority(base: Scenario, year: YearInputs) -> dict[str, Any]:
    """``Scenario.with_values`` entries for the year's policy input: each group the base
    has a ``policy.priority`` for gets the value in force at the horizon's start and a
    dated value wherever the scope changes (broad: 1; narrow: :func:`narrow_priority`).

    A group the base leaves out is fully eligible under either scope, so it is left out
    here too (no change)."""
    narrow = narrow_priority(base)
    values: dict[str, Any] = {}
    scope = None
    for when, p in year_policy(year):
        if p.scope == scope:
            continue
        for key, v in narrow.items():
            path = f"policy.priority.{key}" if scope is None else f"policy.priority.{key}@{when}"
            values[path] = v if p.scope == "narrow" else 1.0
        scope = p.scope
    return values


def policy_inputs(base: Scenario, years: list[YearInputs]) -> dict[str, Any]:
    """The priority policy each year was run under, for backtest.json: per year, each
    policy in force over its horizon (``from``: the day it applies from in the run),
    with its document and the ``policy.priority`` values it set."""
    narrow = narrow_priority(base)
    scopes = {"narrow": narrow, "broad": dict.fromkeys(narrow, 1.0)}
    return {
        "narrow_priority": narrow,
        "note": "broad: every group eligible (policy.priority 1); narrow: the base "
        "scenario's own policy.priority (a group it leaves out is fully eligible)",
        "years": {
            y.period: [
                {"from": when.isoformat(), **p.as_dict(), "priority": scopes[p.scope]}
                for when, p in year_policy(y)
            ]
            for y in years
        },
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
    to the end of the year; ERO officers at the year's count, 287(g) partners at the
    base's level, every other agency and the Guard at 0; no target pressure and no
    ranking regime; the year's beds (see :attr:`YearInputs.beds`) with detention at
    80% of them; the year's non-ERO inflow; the year's priority policy
    (:func:`year_priority`, dated); every group's yield and the custodial yield (when
    the base has ``[custodial]``) times the residual ``posture``; removal paths'
    shares scaled to ``removal_share`` (the other paths' to the rest) and every mean
    stay times ``los_scale`` (at least its phases).

    287(g) partners stay at the base's level because the record has no per-year count
    of them (nor of their officers); a year's departure from that level is absorbed by
    its residual posture.
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
        if key not in ("ero", "partners_287g"):
            values[f"workforce.{key}.headcount"] = 0
    if base.support.national_guard is not None:
        values["support.national_guard.headcount"] = 0
    for key, g in base.groups.items():
        values[f"groups.{key}.arrests_per_agent_day"] = g.arrests_per_agent_day.value * p.posture
    if base.custodial is not None:
        values["custodial.arrests_per_agent_day"] = (
            base.custodial.arrests_per_agent_day.value * p.posture
        )
    values |= year_priority(base, year)
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
    policies = "; ".join(f"{q.scope} from {when}" for when, q in year_policy(year))
    reason = (
        f"backtest {year.period} (inputs from data/observed.csv: ERO officers "
        f"{year.officers_from}, beds {year.beds_from}; priority policy {policies} "
        f"(atlarge.analysis.backtest.POLICY); residual posture {p.posture:.3f}, removal share "
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
    return year_metrics(run_chunk(inputs, seed, np.arange(reps)), year)


def year_metrics(series: dict[str, np.ndarray], year: YearInputs) -> dict[str, np.ndarray]:
    """Per-replication fiscal-year figures (the days after the warm-up): arrests, average
    daily population, average length of stay (bed-days over exits), removals. Takes
    office-level ``(reps, offices, days)`` or national ``(reps, days)`` series."""
    fy = slice(WARMUP_DAYS, None)

    def total(m: str) -> np.ndarray:
        x = series[m][..., fy]
        return x.sum(axis=tuple(range(1, x.ndim)), dtype=np.int64).astype(np.float64)

    bed_days = total("detained")
    exits = total("removed") + total("released") - total("released_capacity") + total("departed")
    return {
        "arrests": total("arrests"),
        "detention_adp": bed_days / year.days,
        "alos": np.divide(bed_days, exits, out=np.full(len(bed_days), np.nan), where=exits > 0),
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

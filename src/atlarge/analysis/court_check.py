"""The immigration courts of 2025 against the record (issue 13, "Check against the record").

``scenarios/2025-as-implemented.toml`` runs the court stage from 2025-01-20 with TRAC's
end-FY2024 backlog, the bench by date, completions per judge-day derived from FY2024 and
receipts from the FY2025 figure. Its outputs are held to the figures in
``data/court-record.csv`` (copied from ``shared/data/public-figures.csv``, section
5-immigration-courts, and ``shared/data/trajectory-2025.csv``), each with its source and
confidence as published.

What is in sample and what is not, plainly:

* the starting backlog is TRAC's end-FY2024 count (an input);
* completions per judge-day are FY2024's completions over the bench (an input: in sample
  for FY2024, never fitted to 2025);
* receipts are the FY2025 figure over 365 days (an input, low confidence); the run adds
  the simulated operation's releases whose case goes on. So the check tests the judges'
  capacity and the completion rate, not receipts;
* the August 2025 backlog, FY2025 completions, the excess of completions over filings
  and the in absentia count are not inputs (the assumed in absentia share is set from
  FY2024's orders; the 2025 count is kept aside).

A flow the record gives over a window that starts before the run (October 2024) is
compared as a rate per day over the part of the window the run covers.

The record counts every pending case; the run's non-detained docket (``court_backlog``)
starts with all of it. Filings include detained cases, so the simulated "receipts" of the
pace comparison are the non-detained receipts plus the cases joining the detained docket,
and completions less receipts is the fall in pending cases on both dockets.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from atlarge.model import ModelOutput
from atlarge.model.inputs import build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.scenario import Scenario, load_scenario

COURT_SCENARIO = Path("scenarios/2025-as-implemented.toml")
"""The scenario the check runs, relative to the project folder (as the CLI's defaults)."""
COURT_REPS = 20
"""Replications: the court stage is deterministic in capacity, so few are needed."""
RECORD_FILE = "court-record.csv"

Sample = Literal["in sample", "input", "out of sample"]


class CourtFigure(BaseModel):
    """One figure of ``data/court-record.csv``: a stock on ``to`` or a flow over
    ``from``..``to`` (both days included)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    figure: str
    metric: str
    period: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    value: float
    unit: str
    count: str
    source: str = Field(min_length=1)
    confidence: str = Field(min_length=1)
    published_as: str
    note: str = ""

    @property
    def days(self) -> int:
        return (self.to - self.from_).days + 1

    @property
    def per_day(self) -> float:
        return self.value / self.days


@lru_cache(maxsize=1)
def load_court_record() -> dict[str, CourtFigure]:
    """The record's court figures by id (``figure`` column), parsed and checked."""
    text = resources.files("atlarge.data").joinpath(RECORD_FILE).read_text(encoding="utf-8")
    figures = [CourtFigure.model_validate(row) for row in csv.DictReader(text.splitlines())]
    by_id = {f.figure: f for f in figures}
    if len(by_id) != len(figures):
        raise ValueError(f"{RECORD_FILE}: a figure id appears twice")
    return by_id


@dataclass(frozen=True)
class CourtSeries:
    """National court series of a run, each ``(reps, days)``, and what stood before day 0."""

    start: dt.date
    backlog0: float  # non-detained cases pending before day 0 (the detained docket: none)
    backlog: np.ndarray  # court_backlog: non-detained pending, end of day
    waiting: np.ndarray  # court_detained_waiting: detained docket, end of day
    completions: np.ndarray  # court_completions: both dockets
    detained_decisions: np.ndarray  # court_detained_decisions
    receipts: np.ndarray  # court_receipts: new non-detained cases
    in_absentia: np.ndarray  # in_absentia_orders

    @classmethod
    def from_output(cls, out: ModelOutput) -> CourtSeries:
        """A run's national court series (``ModelOutput.national``)."""

        def nat(m: str) -> np.ndarray:
            return out.national(m).astype(np.float64)

        return cls(
            start=out.scenario.start_date,
            backlog0=float(out.inputs.court_backlog0.sum()),
            backlog=nat("court_backlog"),
            waiting=nat("court_detained_waiting"),
            completions=nat("court_completions"),
            detained_decisions=nat("court_detained_decisions"),
            receipts=nat("court_receipts"),
            in_absentia=nat("in_absentia_orders"),
        )

    @property
    def days(self) -> int:
        return self.backlog.shape[1]

    def index(self, when: dt.date) -> int:
        """The day index of ``when``; ValueError outside the run."""
        i = (when - self.start).days
        if not 0 <= i < self.days:
            raise ValueError(f"{when} is outside the run ({self.start}, {self.days} days)")
        return i

    def window(self, f: CourtFigure) -> tuple[int, int]:
        """First and last day index of the part of ``f``'s window the run covers."""
        lo = max(f.from_, self.start)
        hi = min(f.to, self.start + dt.timedelta(days=self.days - 1))
        if lo > hi:
            raise ValueError(f"{f.figure} ({f.from_} to {f.to}) is outside the run")
        return self.index(lo), self.index(hi)

    def backlog_at(self, i: int) -> np.ndarray:
        """Non-detained cases pending at the end of day ``i`` (``i = -1``: the start)."""
        if i < 0:
            return np.full(self.backlog.shape[0], self.backlog0)
        return self.backlog[:, i]

    def waiting_at(self, i: int) -> np.ndarray:
        """Detained cases waiting for a judge at the end of day ``i`` (none at the start)."""
        return np.zeros(self.waiting.shape[0]) if i < 0 else self.waiting[:, i]

    def pending(self, i: int) -> np.ndarray:
        """Cases pending on both dockets at the end of day ``i`` (``i = -1``: the start)."""
        return self.backlog_at(i) + self.waiting_at(i)

    def net_completions(self, i0: int, i1: int) -> np.ndarray:
        """Completions less receipts (both dockets) over days ``i0..i1``: the fall in
        pending cases, since every case enters as a receipt and leaves as a completion."""
        return self.pending(i0 - 1) - self.pending(i1)

    def all_receipts(self, i0: int, i1: int) -> np.ndarray:
        """New cases on both dockets over ``i0..i1``: non-detained receipts plus entries to
        the detained docket (its growth plus its decisions)."""
        entries = (
            self.waiting_at(i1)
            - self.waiting_at(i0 - 1)
            + self.detained_decisions[:, i0 : i1 + 1].sum(axis=1)
        )
        return self.receipts[:, i0 : i1 + 1].sum(axis=1) + entries

    def total(self, series: np.ndarray, i0: int, i1: int) -> np.ndarray:
        return series[:, i0 : i1 + 1].sum(axis=1)


@dataclass(frozen=True)
class Comparison:
    """One figure of the record against the run: a stock on a day, or a rate per day."""

    figure: str
    label: str
    measure: str  # what is compared, in words
    record: float  # in the compared unit (a stock, or the record's count per day)
    published_as: str
    source: str
    confidence: str
    sim_p5: float
    sim_p50: float
    sim_p95: float
    rel_error: float
    sample: Sample
    why: str


@dataclass(frozen=True)
class CourtCheck:
    """The check as backtest.json's ``courts`` section (:meth:`as_dict`)."""

    scenario: str
    start: str
    days: int
    reps: int
    seed: int
    rows: list[Comparison]
    inputs: list[dict[str, Any]]
    pace: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stock(s: CourtSeries, f: CourtFigure) -> np.ndarray:
    """The non-detained backlog on the figure's day."""
    return s.backlog[:, s.index(f.to)]


def _rate(per_window: Callable[[CourtSeries, int, int], np.ndarray]):
    """A per-day rate over the part of the figure's window the run covers."""

    def measure(s: CourtSeries, f: CourtFigure) -> np.ndarray:
        i0, i1 = s.window(f)
        return per_window(s, i0, i1) / (i1 - i0 + 1)

    return measure


@dataclass(frozen=True)
class _Spec:
    figure: str
    label: str
    per_day: bool
    measure: Callable[[CourtSeries, CourtFigure], np.ndarray]
    sample: Sample
    why: str


SPECS: tuple[_Spec, ...] = (
    _Spec(
        "pending_aug2025",
        "Pending cases, August 2025",
        False,
        _stock,
        "out of sample",
        "Not an input: the run starts from TRAC's end-FY2024 count and follows from the bench, "
        "the completion rate and the receipts (the FY2025 receipts are an input).",
    ),
    _Spec(
        "completions_minus_receipts_fy2025_9m",
        "Completions less filings a day, first 9 months of FY2025",
        True,
        _rate(CourtSeries.net_completions),
        "out of sample",
        "Not an input. Completions come from the bench by date times FY2024's rate; receipts "
        "from the FY2025 figure (an input) plus the operation's releases, so this tests judge "
        "capacity and the completion rate, not receipts.",
    ),
    _Spec(
        "completions_fy2025",
        "Completions a day, FY2025",
        True,
        _rate(lambda s, i0, i1: s.total(s.completions, i0, i1)),
        "out of sample",
        "Not an input (the rate per judge-day is FY2024's, the bench is 2025's); the record is "
        "low confidence.",
    ),
    _Spec(
        "in_absentia_fy2025_9m",
        "In absentia orders a day, first 9 months of FY2025",
        True,
        _rate(lambda s, i0, i1: s.total(s.in_absentia, i0, i1)),
        "out of sample",
        "Not fitted: the assumed in_absentia_share is set from FY2024's orders (38.3% of "
        "completions, with removal_order_share); this figure is kept aside.",
    ),
    _Spec(
        "receipts_fy2025",
        "New cases a day, FY2025",
        True,
        _rate(CourtSeries.all_receipts),
        "input",
        "An input: receipts_per_day is this figure over 365 days; the run adds the operation's "
        "releases and the detained docket's cases, so the difference is the model's addition, "
        "not an error.",
    ),
)


def _span(s: CourtSeries, f: CourtFigure, per_day: bool) -> str:
    if not per_day:
        return f"non-detained backlog on {f.to}"
    i0, i1 = s.window(f)
    first, last = s.start + dt.timedelta(days=i0), s.start + dt.timedelta(days=i1)
    run = f"{first} to {last}"
    return f"per day, {run}" + (
        "" if (first, last) == (f.from_, f.to) else f" (record: {f.from_} to {f.to})"
    )


def compare(s: CourtSeries, record: dict[str, CourtFigure]) -> list[Comparison]:
    """Each of :data:`SPECS` whose figure the run covers, against the run's p5/p50/p95."""
    rows = []
    for spec in SPECS:
        f = record[spec.figure]
        sim = spec.measure(s, f)
        target = f.per_day if spec.per_day else f.value
        p5, p50, p95 = (float(v) for v in np.percentile(sim, [5, 50, 95]))
        rows.append(
            Comparison(
                figure=f.figure,
                label=spec.label,
                measure=_span(s, f, spec.per_day),
                record=target,
                published_as=f.published_as,
                source=f.source,
                confidence=f.confidence,
                sim_p5=p5,
                sim_p50=p50,
                sim_p95=p95,
                rel_error=p50 / target - 1.0,
                sample=spec.sample,
                why=spec.why,
            )
        )
    return rows


def record_paces(record: dict[str, CourtFigure]) -> dict[str, float]:
    """Completions less receipts a day as the record's other figures imply it: the fall
    between TRAC's two backlog counts, and FY2025's completions less its receipts. They
    need not agree with the 9-month figure (other sources, counts and windows); they show
    how far the record itself spreads."""
    start, aug = record["pending_fy2024_trac"], record["pending_aug2025"]
    done, got = record["completions_fy2025"], record["receipts_fy2025"]
    return {
        "record_backlog_fall_per_day": (start.value - aug.value) / (aug.to - start.to).days,
        "record_fy2025_totals_per_day": done.per_day - got.per_day,
    }


def pace(s: CourtSeries, record: dict[str, CourtFigure]) -> dict[str, float]:
    """Do completions exceed receipts, and by how much a day (run vs record)?"""
    f = record["completions_minus_receipts_fy2025_9m"]
    i0, i1 = s.window(f)
    days = i1 - i0 + 1
    both = s.net_completions(i0, i1) / days
    non_detained = s.backlog_at(i0 - 1) - s.backlog_at(i1)
    return {
        "record_per_day": f.per_day,
        **record_paces(record),
        "sim_per_day_p50": float(np.median(both)),
        "sim_non_detained_per_day_p50": float(np.median(non_detained / days)),
        "share_of_reps_completions_exceed_receipts": float(np.mean(both > 0)),
        "days": float(days),
    }


def start_offset(sc: Scenario, record: dict[str, CourtFigure]) -> float:
    """Cases the backlog would have lost between the end-FY2024 count and the run's start
    at the record's own 9-month pace: the run starts from the older count."""
    f, start = record["completions_minus_receipts_fy2025_9m"], record["pending_fy2024_trac"]
    return f.per_day * max((sc.start_date - start.to).days - 1, 0)


def scenario_inputs(sc: Scenario, record: dict[str, CourtFigure]) -> list[dict[str, Any]]:
    """The scenario's court inputs taken from the record, and how each relates to it."""
    c = sc.courts
    assert c is not None
    backlog, receipts, done = (
        record["pending_fy2024_trac"],
        record["receipts_fy2025"],
        record["completions_fy2024"],
    )
    rate = c.completions_per_judge_day.value
    return [
        {
            "parameter": "courts.initial_backlog",
            "value": c.initial_backlog.value,
            "figure": backlog.figure,
            "record": backlog.value,
            "relation": f"TRAC's pending cases at the end of FY2024, {backlog.source}",
        },
        {
            "parameter": "courts.completions_per_judge_day",
            "value": rate,
            "figure": done.figure,
            "record": done.value,
            "relation": f"FY2024 completions over {done.days} days and "
            f"{done.per_day / rate:,.0f} judges: in sample for FY2024",
        },
        {
            "parameter": "courts.receipts_per_day",
            "value": c.receipts_per_day.value,
            "figure": receipts.figure,
            "record": receipts.value,
            "relation": f"FY2025 receipts over {receipts.days} days, "
            f"{receipts.per_day:,.0f} a day ({receipts.confidence.split(' (')[0]} confidence)",
        },
    ]


def check_horizon(sc: Scenario, record: dict[str, CourtFigure]) -> int:
    """Days the run needs: up to the last compared figure's day, at most the scenario's."""
    last = max(record[spec.figure].to for spec in SPECS)
    return min(sc.days, (last - sc.start_date).days + 1)


def run_court_check(
    sc: Scenario,
    *,
    reps: int = COURT_REPS,
    seed: int = 11,
    name: str = str(COURT_SCENARIO),
) -> CourtCheck:
    """Run ``sc`` (with ``[courts]``) up to the record's last compared day, compare."""
    if sc.courts is None:
        raise ValueError(f"{name} has no [courts] section")
    record = load_court_record()
    days = check_horizon(sc, record)
    if days < sc.days:
        sc = sc.with_values({"days": days}, "court check: up to the record's last figure")
    inputs = build_inputs(sc)
    series = run_chunk(inputs, seed, np.arange(reps))
    s = CourtSeries.from_output(ModelOutput(inputs, seed, reps, series))
    aug = s.index(record["pending_aug2025"].to)
    return CourtCheck(
        scenario=name,
        start=sc.start_date.isoformat(),
        days=days,
        reps=reps,
        seed=seed,
        rows=compare(s, record),
        inputs=scenario_inputs(sc, record),
        pace=pace(s, record),
        notes=[
            "The record counts every pending case; the compared backlog is the run's "
            "non-detained docket, which starts with all of it. On the same day the run's "
            f"detained docket held {np.median(s.waiting[:, aug]):,.0f} more (median).",
            f"The run starts on {sc.start_date} from the end-FY2024 count; at the record's "
            f"own 9-month pace the backlog would have been about "
            f"{round(start_offset(sc, record), -3):,.0f} lower by then.",
            "Flows the record gives from October 2024 are compared a day over the part of "
            "the window the run covers (from its start).",
        ],
    )


def court_section(
    path: Path = COURT_SCENARIO, *, reps: int = COURT_REPS, seed: int = 11
) -> dict[str, Any]:
    """backtest.json's ``courts``: the check, or why it was not run (no scenario file)."""
    if not path.is_file():
        return {"skipped": f"{path} not found (run from the project folder)"}
    return run_court_check(load_scenario(path), reps=reps, seed=seed, name=str(path)).as_dict()

"""The KPIs of summary.json: one registry of what each is, how it is computed and shown.

Each KPI has its key (a summary.json name: never renamed), a label, a short label for
narrow tables, a unit, a definition, a display format, and a rule that says how it adds
up over field offices and days; over replications every KPI is summarised the same way
(mean, p5, p50, p95; a day that never comes counts as later than any day). The summary
computes the KPIs from the rules here, and the terminal table, the report, the sweep and
sensitivity tables, the API and the explorer page all take their words from here, so a
KPI is added in one place and is then computed, defined and labelled everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from atlarge.model import ModelOutput

Format = Literal["count", "percent", "usd", "day"]
"""How a value reads: '1,234'; '44.2%'; '$7.72bn'; 'day 8' (a day of the horizon, which
may never come: 'never')."""

Done = Mapping[str, np.ndarray]
"""Per-replication values of the KPIs computed so far (a rule may use earlier ones)."""


@dataclass(frozen=True)
class Total:
    """Sum of a daily flow over offices and days."""

    measure: str
    offices = "sum"
    days = "sum"

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        return out.totals(self.measure).astype(np.float64)

    def per_office(self, out: ModelOutput) -> np.ndarray:
        return out.office_totals(self.measure)


@dataclass(frozen=True)
class PerDay:
    """Sum of a daily flow over offices and days, divided by the days of the horizon."""

    measure: str
    offices = "sum"
    days = "mean (total divided by the days of the horizon)"

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        return out.totals(self.measure).astype(np.float64) / out.days


@dataclass(frozen=True)
class Peak:
    """Largest national level of a stock on any day."""

    measure: str
    offices = "sum"
    days = "max"

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        return out.national(self.measure).max(axis=1).astype(np.float64)

    def per_office(self, out: ModelOutput) -> np.ndarray:
        return out.office_max(self.measure)


@dataclass(frozen=True)
class AtEnd:
    """National level of a stock on the last day of the horizon."""

    measure: str
    offices = "sum"
    days = "last day"

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        return out.national(self.measure)[:, -1].astype(np.float64)


@dataclass(frozen=True)
class Ratio:
    """One KPI divided by another, per replication (undefined where the divisor is 0)."""

    numerator: str
    denominator: str

    offices = "sum"

    @property
    def days(self) -> str:
        return f"{self.numerator} divided by {self.denominator}"

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        den = done[self.denominator]
        return np.divide(done[self.numerator], den, out=np.full(out.reps, np.nan), where=den > 0)


@dataclass(frozen=True)
class Computed:
    """A rule that is not one of the above, said in words."""

    fn: Callable[[ModelOutput, Done], np.ndarray]
    offices: str
    days: str

    def values(self, out: ModelOutput, done: Done) -> np.ndarray:
        return self.fn(out, done)


Rule = Total | PerDay | Peak | AtEnd | Ratio | Computed


def _budget() -> Any:
    """analysis.budget, imported when a money KPI is computed (it imports the summary,
    which imports this module)."""
    from atlarge.analysis import budget

    return budget


def _attainment(out: ModelOutput, done: Done) -> np.ndarray:
    target = float(out.inputs.target_national.sum())
    return done["arrests_total"] / target if target > 0 else np.full(out.reps, np.nan)


BEDS_FULL_SERIES = ("released_capacity", "held", "detained")
"""The national series :func:`beds_full` reads."""


def beds_full(national: Mapping[str, np.ndarray], beds: np.ndarray) -> np.ndarray:
    """``(reps, days)`` bool: detention could not hold every book-in that day: someone was
    released for lack of beds or waits in holding, or the detained population is at the
    beds. ``national`` maps :data:`BEDS_FULL_SERIES` to ``(reps, days)`` national values;
    ``beds`` is ``(days,)`` or ``(reps, days)``."""
    turned_away = (np.asarray(national["released_capacity"]) > 0) | (
        np.asarray(national["held"]) > 0
    )
    beds = np.asarray(beds)
    return turned_away | ((np.asarray(national["detained"]) >= beds) & (beds > 0))


def _first_full_day(out: ModelOutput, done: Done) -> np.ndarray:
    """First day (1 = start date) on which detention could not hold every book-in.

    Under ``overflow = "transfer"`` that is the day national capacity ran out;
    under ``"release"``, the day the first office ran out; under ``"hold"``, the first day
    anyone waited in holding for a bed. NaN where never.
    """
    full = beds_full({m: out.national(m) for m in BEDS_FULL_SERIES}, out.beds_national)
    day = np.argmax(full, axis=1).astype(np.float64) + 1.0
    day[~full.any(axis=1)] = np.nan
    return day


def _detained_court_wait(out: ModelOutput, done: Done) -> np.ndarray:
    """Mean days a detained case waited for a judge once ready (Little's law over the
    horizon): days spent waiting, summed, over decisions made. NaN with no decision."""
    waited = out.totals("court_detained_waiting").astype(np.float64)
    decided = out.totals("court_detained_decisions").astype(np.float64)
    return np.divide(waited, decided, out=np.full(out.reps, np.nan), where=decided > 0)


def _cost_total(out: ModelOutput, done: Done) -> np.ndarray:
    return sum(out.costs.values())


def _diverted(out: ModelOutput, done: Done) -> np.ndarray:
    return out.agent_days_by_agency[:, out.inputs.agency_diverted].sum(axis=1)


@dataclass(frozen=True)
class Kpi:
    """One KPI: its words (label, short, unit, definition), how it reads (format), how it
    is computed per replication (rule), and the mechanism it needs, if any."""

    key: str
    label: str
    short: str
    """A few words for a narrow table's heading (the sweep table)."""
    unit: str
    definition: str
    format: Format
    rule: Rule
    needs: str | None = None
    """A mechanism (summary.json ``mechanisms``) without which the KPI says nothing: the
    report leaves it out when the run has the mechanism off."""
    only_when_on: bool = False
    """summary.json lists the KPI only when its mechanism (``needs``) is on: a stage
    switched off shows nothing (its KPI would be 0). KPIs of stages added after the first
    golden summaries work so; the older ones are always listed."""

    @property
    def never(self) -> bool:
        """A day that may never come (NaN): percentiles count it as later than any day."""
        return self.format == "day"

    @property
    def difference_unit(self) -> str:
        """The unit of a difference of two values: shares differ in percentage points."""
        return "percentage points" if self.format == "percent" else self.unit

    @property
    def aggregation(self) -> dict[str, str]:
        """How it adds up over offices, days and replications, in words."""
        if self.never:
            reps = (
                "p5, p50, p95 with 'never' counted as later than any day (null); the mean "
                "over the replications where it happened; share_reached is their share"
            )
        else:
            reps = "mean, p5, p50, p95 (undefined values left out)"
        return {"offices": self.rule.offices, "days": self.rule.days, "replications": reps}


KPIS: dict[str, Kpi] = {
    k.key: k
    for k in (
        Kpi(
            "arrests_total",
            "Arrests, total",
            "arrests",
            "arrests",
            "Administrative arrests by all deployed agents over the horizon.",
            "count",
            Total("arrests"),
        ),
        Kpi(
            "arrests_per_day",
            "Arrests per day",
            "arrests per day",
            "arrests/day",
            "arrests_total divided by the days of the horizon.",
            "count",
            PerDay("arrests"),
        ),
        Kpi(
            "arrests_forgone_capacity",
            "Arrests forgone for lack of room",
            "arrests forgone",
            "arrests",
            "Arrests that did not happen because neither a bed nor short-term holding was free "
            "to book them into (detention.overflow = hold); the persons stay in their pools. "
            "0 under transfer and release, which release instead.",
            "count",
            Total("arrests_forgone_capacity"),
        ),
        Kpi(
            "arrests_custodial",
            "Custodial arrests",
            "custodial arrests",
            "arrests",
            "Arrests in the custodial channel: removable people handed over from local jails "
            "and prisons that honour detainers or give ICE access (part of arrests_total).",
            "count",
            Total("arrests_custodial"),
            needs="custodial",
            only_when_on=True,
        ),
        Kpi(
            "arrests_at_large",
            "At-large arrests",
            "at-large arrests",
            "arrests",
            "Arrests made by searching for people at large (part of arrests_total; with "
            "neither custodial nor collateral arrests, all of it).",
            "count",
            Total("arrests_at_large"),
            needs="arrest_channels",
            only_when_on=True,
        ),
        Kpi(
            "arrests_collateral",
            "Collateral arrests",
            "collateral arrests",
            "arrests",
            "Arrests of people encountered during at-large operations who were not the target "
            "(part of arrests_total).",
            "count",
            Total("arrests_collateral"),
            needs="collateral",
            only_when_on=True,
        ),
        Kpi(
            "pool_departures",
            "Departures from the pools",
            "pool departures",
            "persons",
            "Persons who left the pools of people not yet arrested on their own (a departure "
            "programme, or prompted by arrests nearby); they never enter detention and are "
            "not counted in departures_total.",
            "count",
            Total("pool_departures"),
            needs="departures",
            only_when_on=True,
        ),
        Kpi(
            "beds_added",
            "Beds added by procurement",
            "beds added",
            "beds",
            "Beds bought from the procurement funding line that are online on the last day "
            "of the horizon (all kinds), on top of detention.beds.",
            "count",
            Computed(lambda out, done: _budget().beds_added(out), "national", "last day"),
            needs="procurement",
            only_when_on=True,
        ),
        Kpi(
            "officers_hired",
            "Officers hired",
            "officers hired",
            "agents",
            "New officers who entered the academy over the horizon, paid from the hiring "
            "funding line (before attrition; those on duty are fewer).",
            "count",
            Computed(lambda out, done: _budget().officers_hired(out), "national", "sum"),
            needs="hiring",
            only_when_on=True,
        ),
        Kpi(
            "court_backlog_end",
            "Non-detained court backlog at the end",
            "court backlog",
            "cases",
            "Cases pending on the non-detained immigration court docket on the last day of the "
            "horizon.",
            "count",
            AtEnd("court_backlog"),
            needs="courts",
            only_when_on=True,
        ),
        Kpi(
            "court_completions",
            "Court completions",
            "court completions",
            "cases",
            "Cases completed by immigration judges over the horizon, detained and non-detained "
            "dockets.",
            "count",
            Total("court_completions"),
            needs="courts",
            only_when_on=True,
        ),
        Kpi(
            "removal_orders",
            "Removal orders",
            "removal orders",
            "orders",
            "Removal orders on either docket, in absentia included: detained orders join the "
            "removal queue, non-detained ones move people into the pool of the orders group "
            "(courts.orders_group).",
            "count",
            Total("removal_orders"),
            needs="courts",
            only_when_on=True,
        ),
        Kpi(
            "in_absentia_orders",
            "In absentia orders",
            "in absentia",
            "orders",
            "Removal orders in absentia on the non-detained docket (part of removal_orders).",
            "count",
            Total("in_absentia_orders"),
            needs="courts",
            only_when_on=True,
        ),
        Kpi(
            "detained_court_wait_days",
            "Detained docket: mean days waiting for a judge",
            "wait for judge",
            "days",
            "Mean days a detained case waited for a judge's decision once ready for it (its "
            "path's own delay not included): days spent waiting over decisions made (Little's "
            "law; when the docket grows, those still waiting at the end make it higher than "
            "the decided cases' mean). 0 when judges keep up; it lengthens detention, and so "
            "bed-days, when they do not.",
            "count",
            Computed(
                _detained_court_wait,
                "sum",
                "days waiting summed over the horizon / decisions over the horizon",
            ),
            needs="courts",
            only_when_on=True,
        ),
        Kpi(
            "target_attainment",
            "Target attainment",
            "target reached",
            "share of the target",
            "arrests_total divided by the sum of the daily target over the horizon.",
            "percent",
            Computed(_attainment, "sum", "sum of arrests / sum of the daily target"),
        ),
        Kpi(
            "peak_detention",
            "Peak detention population",
            "peak detained",
            "persons",
            "Largest national detained population on any day.",
            "count",
            Peak("detained"),
        ),
        Kpi(
            "day_detention_full",
            "First day detention is full",
            "beds full on",
            "days",
            "First day (1 = start date) on which detention could not hold every book-in; "
            "percentiles count 'never' as later than any day (null), the mean is over the "
            "replications where it happened, share_reached is their share.",
            "day",
            Computed(
                _first_full_day,
                "sum (national beds under transfer; the first office out of beds otherwise)",
                "first day on which a book-in found no bed",
            ),
        ),
        Kpi(
            "removals_total",
            "Removals",
            "removals",
            "persons",
            "ICE removals carried out (removal orders executed with transport); voluntary "
            "departures are counted apart (departures_total).",
            "count",
            Total("removed"),
        ),
        Kpi(
            "releases_total",
            "Releases",
            "releases",
            "persons",
            "Releases from detention for any reason, including for lack of beds.",
            "count",
            Total("released"),
        ),
        Kpi(
            "releases_for_lack_of_beds",
            "Releases for lack of beds",
            "released, no bed",
            "persons",
            "The part of releases_total released because no bed was free (nor, under "
            "transfer, in any other office).",
            "count",
            Total("released_capacity"),
        ),
        Kpi(
            "releases_post_order_limit",
            "Releases at the post-order limit",
            "released, order limit",
            "persons",
            "The part of releases_total released because their country had not accepted them "
            "within the post-order detention limit (transport.limited_countries; Zadvydas v. "
            "Davis, 533 U.S. 678 (2001)).",
            "count",
            Total("releases_post_order_limit"),
            needs="limited_countries",
            only_when_on=True,
        ),
        Kpi(
            "departures_total",
            "Voluntary departures",
            "departures",
            "persons",
            "Persons who left detention by voluntary departure (not counted as removals).",
            "count",
            Total("departed"),
        ),
        Kpi(
            "transfers_total",
            "Transfers between offices",
            "transfers",
            "persons",
            "Persons admitted in another office because theirs had no free bed "
            "(detention.overflow = transfer).",
            "count",
            Total("transferred_in"),
            needs="transfers",
        ),
        Kpi(
            "processing_backlog_end",
            "Book-in backlog at the end",
            "backlog at end",
            "persons",
            "Arrested persons still waiting to be booked in on the last day of the horizon.",
            "count",
            AtEnd("processing_backlog"),
        ),
        Kpi(
            "cost_total_usd",
            "Cost, total",
            "cost",
            "USD",
            "Sum of cost_by_stage_usd: agent-days, Guard troop-days, book-ins, bed-days, court "
            "cases, transport per removal and ATD participant-days.",
            "usd",
            Computed(_cost_total, "sum", "sum, stage by stage"),
        ),
        Kpi(
            "cost_per_removal_usd",
            "Cost per removal",
            "cost per removal",
            "USD per removal",
            "cost_total_usd divided by removals_total (all costs, not only those of removed "
            "people).",
            "usd",
            Ratio("cost_total_usd", "removals_total"),
        ),
        Kpi(
            "agent_days_diverted",
            "Agent-days taken from other missions",
            "agent-days diverted",
            "agent-days",
            "Agent-days worked in the operation by agents detailed from agencies whose own "
            "mission is not immigration arrests (all but ERO).",
            "count",
            Computed(_diverted, "sum over diverted agencies", "sum"),
        ),
        Kpi(
            "leadership_replacements",
            "Field office leaderships replaced",
            "leaders replaced",
            "leaderships",
            "Field office leaderships replaced by the performance regime.",
            "count",
            Total("replacements"),
            needs="regime",
        ),
    )
}
"""Every KPI of summary.json, in its order."""

KPI_KEYS = tuple(KPIS)

BY_OFFICE = ("arrests_total", "leadership_replacements", "peak_detention", "removals_total")
"""The KPIs summary.json also gives per field office (``by_office``)."""


def listed(kpi: Kpi, on: Mapping[str, bool]) -> bool:
    """Whether summary.json lists ``kpi`` for a run with mechanisms ``on``."""
    return not kpi.only_when_on or bool(kpi.needs and on.get(kpi.needs, False))


def kpi_values(out: ModelOutput) -> dict[str, np.ndarray]:
    """Per-replication KPI values, ``(reps,)`` each (NaN where undefined), in registry
    order: a rule may use the KPIs before it (a ratio of two totals)."""
    done: dict[str, np.ndarray] = {}
    for key, kpi in KPIS.items():
        done[key] = kpi.rule.values(out, done)
    return done


def shown_kpis(summary: Mapping[str, Any]) -> dict[str, Kpi]:
    """The KPIs a run's results show: those it has, less those of a mechanism it has off
    (no "leadership replacements: 0" for a run without the ranking regime). One rule for
    the terminal table, the report, the API's comparison and so the page."""
    on = summary.get("mechanisms") or {}
    return {
        key: kpi
        for key, kpi in KPIS.items()
        if key in summary["kpis"] and (kpi.needs is None or on.get(kpi.needs, True))
    }

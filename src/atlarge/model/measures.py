"""The daily measures the model records, each with its words and how it adds up.

One registry, because the model records these counts (model/simulate.py) and every
layer above shows them: the tidy timeseries table names its columns from it, the bands
and charts take their labels, units and smoothing from it, and the API serves it to the
page (``/api/meta``). A measure added here is recorded, stored and labelled everywhere.

A *flow* is counted during a day (arrests, removals): over days it sums. A *stock* is a
level at the end of a day (detained, backlog): over days it does not sum; a KPI takes its
peak or its last day. Over field offices every measure sums to the national figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

REPLICATION_BANDS = "p5, p25, p50, p75, p95 and the mean over replications, day by day"
"""How a daily measure is summarised over replications (analysis/bands.py)."""


@dataclass(frozen=True)
class Measure:
    """A daily count recorded per (replication, office, day), or per (replication, office,
    priority group, day) when ``column_prefix`` is set (one table column per group)."""

    key: str
    label: str
    unit: str
    definition: str
    kind: Literal["flow", "stock"]
    smooth_days: int = 1
    """Window of the trailing mean when drawn day by day (1: drawn as recorded); daily
    flows that jump from day to day are smoothed so the band shows the level."""
    column_prefix: str | None = None

    @property
    def over_days(self) -> str:
        if self.kind == "flow":
            return "sum"
        return "none: a level at the end of each day (a KPI takes its peak or last day)"

    @property
    def aggregation(self) -> dict[str, str]:
        """How it adds up over offices, days and replications, in words."""
        return {"offices": "sum", "days": self.over_days, "replications": REPLICATION_BANDS}

    def column(self, group: str) -> str:
        """The timeseries column of one priority group: 'arrests_no_record'."""
        assert self.column_prefix is not None, f"{self.key} is not recorded by group"
        return f"{self.column_prefix}_{group}"


SMOOTH_DAYS = 7
"""Window of the trailing mean for daily flows that jump from day to day."""

_PER_DAY = "persons/day"

MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "arrests",
            "Arrests per day",
            "arrests/day",
            "Administrative arrests made that day, all priority groups and channels (custodial, "
            "at large, collateral).",
            "flow",
        ),
        Measure(
            "arrests_custodial",
            "Custodial arrests per day",
            "arrests/day",
            "Arrests made that day in the custodial channel: removable people handed over from "
            "local jails and prisons that honour detainers or give ICE access (0 without a "
            "custodial section).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "arrests_at_large",
            "At-large arrests per day",
            "arrests/day",
            "Arrests made that day by searching for people at large (the only channel without "
            "custodial and collateral sections).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "arrests_collateral",
            "Collateral arrests per day",
            "arrests/day",
            "Arrests made that day of people encountered during at-large operations who were "
            "not the target (0 without a collateral section).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "arrests_forgone_capacity",
            "Arrests forgone for lack of room per day",
            "arrests/day",
            "Arrests teams would have made that day but did not because neither a bed nor "
            "short-term holding was free to book them into (detention.overflow = hold; 0 "
            "otherwise). The persons stay in their pools.",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "booked",
            "Book-ins per day",
            _PER_DAY,
            "Arrested persons booked in that day (up to the office's processing capacity).",
            "flow",
        ),
        Measure(
            "border_admissions",
            "Border transfers per day",
            _PER_DAY,
            "Persons transferred from the border who ask for a bed in the office that day "
            "(under detention.overflow = hold, those taken in; see border_refused).",
            "flow",
        ),
        Measure(
            "border_refused",
            "Border transfers refused per day",
            _PER_DAY,
            "Border transfers the office could not take that day because neither a bed nor "
            "short-term holding was free (detention.overflow = hold; 0 otherwise). They stay "
            "in border custody, outside the model.",
            "flow",
        ),
        Measure(
            "processing_backlog",
            "Book-in backlog",
            "persons",
            "Arrested persons waiting to be booked in at the end of the day.",
            "stock",
        ),
        Measure(
            "held",
            "In short-term holding",
            "persons",
            "Persons booked in (or transferred from the border) waiting in short-term holding "
            "for a bed at the end of the day (detention.overflow = hold; 0 otherwise).",
            "stock",
        ),
        Measure(
            "detained",
            "Detention population",
            "persons",
            "Detained population at the end of the day, including those waiting for a seat.",
            "stock",
        ),
        Measure(
            "removal_queue",
            "Removal queue",
            "persons",
            "Detained persons with a removal order waiting for a transport seat.",
            "stock",
        ),
        Measure(
            "limited_queue",
            "Waiting for a country that limits removals",
            "persons",
            "Detained persons with a removal order whose country limits or refuses removals, "
            "waiting at the end of the day for it to accept them (transport.limited_countries; "
            "0 otherwise). They hold beds and count in the detained population.",
            "stock",
        ),
        Measure(
            "removed",
            "Removals per day",
            _PER_DAY,
            "Removals carried out that day (a seat on a flight or land transport).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "released",
            "Releases per day",
            _PER_DAY,
            "Releases from detention that day for any reason, including for lack of beds.",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "released_capacity",
            "Releases for lack of beds per day",
            _PER_DAY,
            "Persons released that day because no bed was free for them (nor, under "
            "transfer, in any other office).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "released_funds",
            "Releases for lack of money per day",
            _PER_DAY,
            "Persons released that day because no funding line could pay for their bed "
            "(budget.on_exhausted = stop; 0 otherwise). Part of the releases, not of the "
            "releases for lack of beds.",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "releases_post_order_limit",
            "Releases at the post-order limit per day",
            _PER_DAY,
            "Persons released that day because their country had not accepted them within "
            "the post-order detention limit (transport.limited_countries; 0 otherwise). Part "
            "of the day's releases.",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "departed",
            "Voluntary departures per day",
            _PER_DAY,
            "Persons who left detention that day by voluntary departure.",
            "flow",
        ),
        Measure(
            "transferred_in",
            "Transfers in per day",
            _PER_DAY,
            "Persons admitted that day from another office that had no free bed.",
            "flow",
        ),
        Measure(
            "transferred_out",
            "Transfers out per day",
            _PER_DAY,
            "Persons sent that day to another office for lack of a free bed here.",
            "flow",
        ),
        Measure(
            "pool_departures",
            "Departures from the pools per day",
            _PER_DAY,
            "Persons who left the pools of people not yet arrested on their own that day (for "
            "example under a departure programme, or prompted by arrests nearby); they never "
            "enter detention (0 without a departures section).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "court_backlog",
            "Non-detained court backlog",
            "cases",
            "Cases pending on the non-detained immigration court docket at the end of the day "
            "([courts]; 0 otherwise).",
            "stock",
        ),
        Measure(
            "court_detained_waiting",
            "Detained, waiting for a judge",
            "persons",
            "Detained persons whose case is ready and waits for a judge's decision on the "
            "detained docket at the end of the day ([courts]; 0 otherwise). They hold beds and "
            "count in the detained population.",
            "stock",
        ),
        Measure(
            "court_completions",
            "Court completions per day",
            "cases/day",
            "Cases completed by immigration judges that day, both dockets ([courts]; 0 otherwise).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "court_detained_decisions",
            "Detained docket decisions per day",
            "cases/day",
            "Decisions on the detained docket that day (part of court_completions).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "court_receipts",
            "New non-detained cases per day",
            "cases/day",
            "New cases on the non-detained docket that day: from outside the simulated "
            "operation, releases whose case goes on and releases for lack of beds.",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "removal_orders",
            "Removal orders per day",
            "orders/day",
            "Removal orders that day on either docket, in absentia included (detained orders "
            "join the removal queue; non-detained ones move people into the pool of the "
            "orders group, courts.orders_group).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "in_absentia_orders",
            "In absentia orders per day",
            "orders/day",
            "Removal orders in absentia that day on the non-detained docket (part of "
            "removal_orders).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "orders_to_pool",
            "Ordered into the orders group's pool per day",
            _PER_DAY,
            "Persons moved that day from the pool of the group people with a pending case are "
            "counted in (courts.pending_group) into the pool of the group people with final "
            "orders join (courts.orders_group), by non-detained removal orders (never more "
            "than the first pool holds).",
            "flow",
            SMOOTH_DAYS,
        ),
        Measure(
            "atd_population",
            "In alternatives to detention",
            "persons",
            "Persons enrolled in alternatives to detention at the end of the day.",
            "stock",
        ),
        Measure(
            "replacements",
            "Leadership replacements",
            "leaderships",
            "Field office leaderships replaced that day by the performance regime (at the end "
            "of a ranking period).",
            "flow",
        ),
        Measure(
            "arrests_by_group",
            "Arrests per day by priority group",
            "arrests/day",
            "Administrative arrests made that day in one priority group.",
            "flow",
            SMOOTH_DAYS,
            column_prefix="arrests",
        ),
        Measure(
            "pool",
            "Remaining pool by priority group",
            "persons",
            "Persons of one priority group not yet arrested at the end of the day (the pool "
            "shrinks with arrests and departures and grows with replenishment).",
            "stock",
            column_prefix="pool",
        ),
    )
}
"""Every daily measure the model records, in the order of the timeseries columns."""

OFFICE_MEASURES = tuple(k for k, m in MEASURES.items() if m.column_prefix is None)
"""Daily measures recorded per (replication, office, day)."""

GROUP_MEASURES = tuple(k for k, m in MEASURES.items() if m.column_prefix is not None)
"""Daily measures recorded per (replication, office, priority group, day)."""

ARREST_CHANNELS: dict[str, str] = {
    "custodial": "Custodial (jails and prisons)",
    "at_large": "At large",
    "collateral": "Collateral",
}
"""The arrest channels, in the order a day runs them (docs/model.md 3.3): key -> label.
Each has the office measure ``arrests_<key>``; summary.json ``by_channel`` lists them."""

NATIONAL_SERIES = (
    "arrests",
    "arrests_custodial",
    "arrests_at_large",
    "arrests_collateral",
    "arrests_forgone_capacity",
    "detained",
    "removed",
    "released",
    "released_capacity",
    "releases_post_order_limit",
    "court_backlog",
    "court_detained_waiting",
    "court_completions",
)
"""The national daily series that sweeps store, the API serves and the page draws."""

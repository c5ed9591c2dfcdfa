"""The typed shape of a scenario: what an operation and its pipeline are.

Field names here are the parameter paths users write in files and on the
command line (``--set detention.beds=60000``); ../shared/DESIGN.md lists the
ones that must stay stable. Every world number is a :class:`Param` whose
expected unit is declared on its field, with its bounds: every bound is a
physical limit (see the ``MAX_*`` constants in params.py for why each is what
it is). Sections are strict: numbers are never booleans or strings, flags are
only ``true``/``false``, text is text and dates are dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from atlarge.scenario.budget import (
    HELD_PURPOSES,
    PEOPLE_PURPOSES,
    Budget,
    Hiring,
    Procurement,
)
from atlarge.scenario.home_missions import HomeMissions, default_home_missions
from atlarge.scenario.offices import SPLIT_TO, Offices, derive_offices, office_data
from atlarge.scenario.params import (
    ANY_UNIT,
    MAX_AGENTS,
    MAX_BEDS,
    MAX_FLIGHTS_PER_DAY,
    MAX_HORIZON_DAYS,
    MAX_JUDGES,
    MAX_PER_DAY,
    MAX_PER_PERSON_DAY,
    MAX_PERSONS,
    MAX_PERSONS_PER_DAY,
    MAX_POST_ORDER_LIMIT_DAYS,
    MAX_REPORTED,
    MAX_SEATS_PER_FLIGHT,
    MAX_TROOPS,
    MAX_USD_PER_CASE,
    MAX_USD_PER_DAY,
    Days,
    Fraction,
    P,
    Param,
    PositiveDays,
    ScheduleDate,
    constant,
    fmt_number,
    iter_param_specs,
    unbounded_param_fields,
)
from atlarge.scenario.posterior import Posterior

AGENCIES: tuple[str, ...] = (
    "ero",
    "hsi",
    "fbi",
    "dea",
    "usms",
    "atf",
    "cbp",
    "irs",
    "partners_287g",
)
AGENCY_LABELS: dict[str, str] = {
    "ero": "ICE ERO",
    "hsi": "ICE HSI",
    "fbi": "FBI",
    "dea": "DEA",
    "usms": "U.S. Marshals",
    "atf": "ATF",
    "cbp": "CBP",
    "irs": "IRS",
    "partners_287g": "287(g) partners",
}
_SUM_TOLERANCE = 1e-6
SHARE_GROUPS: tuple[tuple[str, str], ...] = (("groups", "effort_share"), ("dispositions", "share"))
"""Shares that must sum to one: (section, field), one share per entry of the section."""
SHARE_MAPS: tuple[tuple[str, str], ...] = (("custodial", "group_mix"),)
"""Shares that must sum to one kept as a table of one section: (section, field), one share
per key of ``section.field`` (``custodial.group_mix.<group>``), when the section is there."""


def share_group_paths(data: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """Every group of shares that must sum to one in scenario ``data`` (a dumped scenario):
    (section, field, the shares' paths). The one list that changes and draws both scale."""
    out = [
        (section, field, [f"{section}.{key}.{field}" for key in data[section]])
        for section, field in SHARE_GROUPS
    ]
    for section, field in SHARE_MAPS:
        if data.get(section):
            out.append((section, field, [f"{section}.{field}.{k}" for k in data[section][field]]))
    return out


MAX_PERSONS_EVER = 2**31 - 1
"""Everyone who can enter the simulated system over the longest horizon must fit int32.

The model records each count per (replication, office, day) as int32; every
such count (arrests, backlog, detained, releases, people on ATD, a pool) is at
most the number of people who can ever enter: initial pools, replenishment,
border transfers and the initial detained population. ``Scenario`` checks that
sum, at the largest values a parameter takes (range ends included, so drawn
values pass too) and over ``MAX_HORIZON_DAYS``, so that it holds for any
``--days``.
"""
MAX_SCHEDULE_REACH_DAYS = MAX_HORIZON_DAYS
"""A schedule date further than this from the start date is refused (see ``_schedules``)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class OfficeWeights(_Section):
    """What spreads national figures over the offices (``offices.weights.*``).

    Parameters like any other, so ``--set``, sweeps, ``--uncertainty`` and
    sensitivity reach them; their defaults are in ``data/offices.toml`` and every
    scenario has them: a file sets only the ones it changes (a table replaces the
    default one whole, as ``extends`` does). See :mod:`atlarge.scenario.offices`.
    """

    # Persons per office: the source's largest (Los Angeles) is ~0.8 million.
    population: dict[str, P("persons", ge=0.0, le=MAX_PERSONS)] = Field(
        description="Estimated population per office code; San Antonio's includes Harlingen's."
    )
    harlingen_split: Fraction = Field(
        description="Share of San Antonio's population assigned to Harlingen."
    )
    texas_share: Fraction = Field(description="Share of detention beds in the Texas offices.")
    louisiana_share: Fraction = Field(description="Share of detention beds in New Orleans.")

    @model_validator(mode="before")
    @classmethod
    def _over_the_defaults(cls, data: Any) -> Any:
        return office_data().weights_with(data) if isinstance(data, Mapping) else data

    @field_validator("population")
    @classmethod
    def _every_office(cls, population: dict[str, Param]) -> dict[str, Param]:
        known = office_data().default_weights["population"]
        unknown = [c for c in population if c not in known]
        if unknown:
            hal = SPLIT_TO in unknown
            given = "Harlingen's is San Antonio's times harlingen_split; " if hal else ""
            raise ValueError(
                f"no population for office code(s) {unknown}: {given}known: {', '.join(known)}"
            )
        if not any(p.value > 0 for p in population.values()):
            raise ValueError("every office's population is 0, so nothing can be spread")
        return population

    @model_validator(mode="after")
    def _shares_fit(self) -> OfficeWeights:
        tx, la = self.texas_share.value, self.louisiana_share.value
        if tx + la > 1.0:
            raise FieldPathError(
                "offices.weights.texas_share",
                f"the Texas share {fmt_number(tx)} and the Louisiana share {fmt_number(la)} "
                "sum above 1",
                related=("offices.weights.louisiana_share",),
            )
        return self


class OfficeSelection(_Section):
    """Which of the 25 ERO field offices to simulate (default: all), and their weights."""

    include: list[str] | None = Field(
        default=None,
        description="Office codes (e.g. ATL, DAL); national figures are spread over these only.",
    )
    weights: OfficeWeights = Field(default_factory=lambda: OfficeWeights.model_validate({}))
    draw_weights: bool = Field(
        default=False,
        description="Whether parameter draws and sensitivity analyses draw the office weights "
        "with a range (off by default: bands and indices are about the national parameters).",
    )

    @field_validator("include")
    @classmethod
    def _known_codes(cls, codes: list[str] | None) -> list[str] | None:
        if codes is None:
            return None
        known = office_data().codes
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown office code(s) {unknown}; known: {', '.join(known)}")
        if not codes:
            raise ValueError("include must name at least one office")
        if len(set(codes)) != len(codes):
            raise ValueError("an office is named twice")
        return codes

    def spread(self) -> Offices:
        """The simulated offices with the weights these parameters give."""
        w = self.weights
        offices = derive_offices(w.population, w.harlingen_split, w.texas_share, w.louisiana_share)
        return offices.subset(self.include)


class Target(_Section):
    arrests_per_day: P("arrests/day", ge=0.0, le=MAX_PER_DAY)


class Targeting(_Section):
    """How effort is split across priority groups, and how pressure shifts it."""

    pressure_shift: Fraction
    # "Recent" arrests: a window longer than a year is not recent (and the model keeps
    # one array per window day).
    pressure_window_days: P("days", ge=1.0, le=365.0)


class Group(_Section):
    """A priority group: a finite pool of people, depleted by arrests."""

    label: str = Field(min_length=1)
    initial_pool: P("persons", ge=0.0, le=MAX_PERSONS)
    replenishment_per_day: P("persons/day", ge=0.0, le=MAX_PERSONS_PER_DAY)
    arrests_per_agent_day: P("arrests/agent-day", ge=0.0, le=MAX_PER_PERSON_DAY)
    effort_share: Fraction


class Agency(_Section):
    headcount: P("agents", ge=0.0, le=MAX_AGENTS)
    # Relative to an ERO officer: twice as productive is already generous.
    relative_productivity: P("fraction", ge=0.0, le=2.0)
    ramp_days: Days
    cost_per_agent_day: P("USD/agent-day", ge=0.0, le=MAX_USD_PER_DAY)
    diverted: bool = Field(
        description="True when the agents' days are taken from their home agency's own mission."
    )
    custodial_share: Fraction | None = Field(
        default=None,
        description="Share of the agency's officer-equivalent effort spent in the custodial "
        "channel (taking people over from jails and prisons; needs [custodial]); none: all "
        "of it at large.",
    )


class Workforce(_Section):
    working_days_per_week: P("days/week", gt=0.0, le=7.0)  # a week has seven days
    ero: Agency | None = None
    hsi: Agency | None = None
    fbi: Agency | None = None
    dea: Agency | None = None
    usms: Agency | None = None
    atf: Agency | None = None
    cbp: Agency | None = None
    irs: Agency | None = None
    partners_287g: Agency | None = Field(
        default=None,
        description="State and local officers working under 287(g) agreements, counted in "
        "ICE officer-equivalents through relative_productivity.",
    )

    def deployed(self) -> dict[str, Agency]:
        return {a: getattr(self, a) for a in AGENCIES if getattr(self, a) is not None}


class Custodial(_Section):
    """The custodial arrest channel: removable people booked into local jails and prisons,
    taken over where the jurisdiction honours detainers or gives ICE access."""

    # Persons booked per day, national: all US jail bookings are ~29,000 a day (BJS, ~10.7
    # million a year), so the persons-per-day limit of 100,000 lies far above any share.
    removable_bookings_per_day: P("persons/day", ge=0.0, le=MAX_PERSONS_PER_DAY)
    detainer_share: Fraction
    arrests_per_agent_day: P("arrests/agent-day", ge=0.0, le=MAX_PER_PERSON_DAY)
    group_mix: dict[str, Fraction] = Field(
        description="How custodial handovers split over priority groups (group key -> share; "
        "a group left out has none); the shares sum to 1."
    )

    @field_validator("group_mix")
    @classmethod
    def _mix_sums_to_one(cls, mix: dict[str, Param]) -> dict[str, Param]:
        _check_sum("group_mix", mix)
        return mix


class Collateral(_Section):
    """Collateral arrests: people encountered during at-large operations who were not the
    target."""

    per_at_large_arrest: Fraction


class Departures(_Section):
    """People leaving the pools on their own (not through the detained system)."""

    share_per_year: Fraction
    # Departures prompted per arrest at full pool: ten per arrest is already far above any
    # reported deterrence effect.
    per_arrest: P("persons/arrest", ge=0.0, le=10.0)


class NationalGuard(_Section):
    headcount: P("troops", ge=0.0, le=MAX_TROOPS)
    ramp_days: Days
    processing_per_troop_day: P("book-ins/troop-day", ge=0.0, le=MAX_PER_PERSON_DAY)
    transport_seats_per_troop_day: P("seats/troop-day", ge=0.0, le=MAX_PER_PERSON_DAY)
    cost_per_troop_day: P("USD/troop-day", ge=0.0, le=MAX_USD_PER_DAY)


class Support(_Section):
    national_guard: NationalGuard | None = None


class Processing(_Section):
    capacity_per_day: P("book-ins/day", ge=0.0, le=MAX_PER_DAY)
    cost_per_book_in: P("USD/book-in", ge=0.0, le=MAX_USD_PER_CASE)


class Inflow(_Section):
    border_transfers_per_day: P("persons/day", ge=0.0, le=MAX_PERSONS_PER_DAY)


class Detention(_Section):
    beds: P("beds", ge=0.0, le=MAX_BEDS)
    initial_population: P("persons", ge=0.0, le=MAX_BEDS)  # and at most the beds
    overflow: Literal["transfer", "release", "hold"] = Field(
        description="What happens to book-ins an office has no bed for: transfer to offices "
        "with free beds (release only when none are free nationally), release, or hold "
        "(transfer to offices with free beds; when none are free they wait in short-term "
        "holding, and when that is full, arrests wait: nobody is released)."
    )
    bed_day_cost: P("USD/bed-day", ge=0.0, le=MAX_USD_PER_DAY)
    # Persons in short-term holding, national: bounded like beds (a place to hold a person).
    holding_capacity: P("persons", ge=0.0, le=MAX_BEDS) | None = Field(
        default=None,
        description="Short-term holding (persons, national, spread over offices by population "
        "like arrests) where book-ins and border transfers wait for a bed under overflow = "
        "hold when no office has one free.",
    )

    @model_validator(mode="after")
    def _holding_for_hold(self) -> Detention:
        if self.overflow == "hold" and self.holding_capacity is None:
            raise FieldPathError(
                "detention.holding_capacity",
                "is needed when detention.overflow = hold (persons held while waiting for a bed)",
                related=("detention.overflow",),
            )
        return self


class Disposition(_Section):
    """A path through detention: its share of book-ins, its delay and its outcome."""

    label: str = Field(min_length=1)
    outcome: Literal["removal", "release", "departure"]
    share: Fraction
    mean_days: PositiveDays
    phases: int = Field(ge=1, le=6)
    cost_per_case: P("USD/case", ge=0.0, le=MAX_USD_PER_CASE) | None = None
    discretionary: bool = Field(
        default=False,
        description="A release ICE may decline (bond, parole, own recognisance): mandatory "
        "detention (policy.mandatory_detention_share) removes it. Only release paths.",
    )
    expedited: bool = Field(
        default=False,
        description="A removal without a judge (expedited removal, reinstatement of a prior "
        "order): policy.expedited_removal_share sets the share of admissions on such paths. "
        "Only removal paths.",
    )
    court: Literal["detained", "pending"] | None = Field(
        default=None,
        description="With a [courts] section: 'detained' = the path ends in a judge's decision "
        "on the detained docket (its delay is the time to be ready for it; then the case "
        "waits, detained, for a judge); 'pending' = a release whose case goes on, on the "
        "non-detained docket (release paths only). Without [courts]: no effect.",
    )

    @field_validator("discretionary")
    @classmethod
    def _only_releases(cls, discretionary: bool, info: ValidationInfo) -> bool:
        outcome = info.data.get("outcome")
        if discretionary and outcome is not None and outcome != "release":
            raise ValueError(
                f"only a path whose outcome is release can be discretionary (this one ends in "
                f"{outcome}); mandatory detention removes discretionary releases"
            )
        return discretionary

    @model_validator(mode="after")
    def _flags_fit_outcome(self) -> Disposition:
        if self.expedited and self.outcome != "removal":
            raise ValueError(
                f"only a path whose outcome is removal can be expedited (this one ends in "
                f"{self.outcome}): expedited removal is a removal without a judge"
            )
        if self.court == "pending" and self.outcome != "release":
            raise ValueError(
                f"court = 'pending' marks a release whose case goes on in court; this path "
                f"ends in {self.outcome}"
            )
        if self.court == "detained" and self.expedited:
            raise ValueError("an expedited path has no judge, so it cannot be court = 'detained'")
        return self

    @model_validator(mode="after")
    def _mean_covers_phases(self) -> Disposition:
        for v in self.mean_days.values():
            if v < self.phases:
                raise ValueError(
                    f"mean_days {v} is shorter than phases = {self.phases} (each phase lasts "
                    "at least one day)"
                )
        return self


class LimitedCountries(_Section):
    """Countries that limit or refuse removals, and the legal limit on post-order detention.

    A case finishing a removal path whose country limits removals waits, still detained,
    until the countries' daily quota of acceptances reaches it (then it joins the removal
    queue) or until the post-order limit, when it is released
    (``releases_post_order_limit``).
    """

    share: Fraction = Field(
        description="Share of cases finishing a removal path whose country limits or refuses "
        "removals."
    )
    accepted_per_day: P("removals/day", ge=0.0, le=MAX_PER_DAY) = Field(
        description="Removals a day that the countries which limit removals accept, "
        "nationally (0: they refuse). Shared over the offices' waiting lines like seats, "
        "oldest first; when they accept fewer than arrive the line grows until its oldest "
        "reach the post-order limit."
    )
    post_order_limit_days: P("days", ge=1.0, le=MAX_POST_ORDER_LIMIT_DAYS) = Field(
        description="Days of post-order detention after which a case not yet accepted is "
        "released (about 180: Zadvydas v. Davis, 533 U.S. 678 (2001)). Constant, whole days."
    )

    _constant = constant("post_order_limit_days", why="the model keeps one day per day of it")

    @property
    def limit_days(self) -> int:
        """The limit in whole days (at least 1)."""
        return max(1, round(self.post_order_limit_days.value))


TOTAL_SEATS = "seats_per_day"
"""The total form of removal capacity (``transport.seats_per_day``)."""
SEAT_BREAKDOWN = ("flights_per_day", "seats_per_flight", "land_removals_per_day")
"""The breakdown form: flights times seats per flight, plus land removals."""
ALTERNATIVE_FORMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transport": ((TOTAL_SEATS,), SEAT_BREAKDOWN)
}
"""Sections that take one of two forms of the same quantity: a file (or a change) that
gives one form replaces the other form inherited from the files it extends."""


class Transport(_Section):
    """Removal capacity: either the total seats per day, or flights and land removals."""

    seats_per_day: P("seats/day", ge=0.0, le=MAX_PER_DAY) | None = Field(
        default=None,
        description="Total removal seats per day (flights and land); or give the breakdown.",
    )
    flights_per_day: P("flights/day", ge=0.0, le=MAX_FLIGHTS_PER_DAY) | None = Field(
        default=None, description="Removal flights per day (with seats_per_flight)."
    )
    seats_per_flight: P("seats/flight", ge=0.0, le=MAX_SEATS_PER_FLIGHT) | None = Field(
        default=None, description="Seats per removal flight (with flights_per_day)."
    )
    land_removals_per_day: P("removals/day", ge=0.0, le=MAX_PER_DAY) | None = Field(
        default=None,
        description="Removals per day over land (with the flights; none: 0).",
    )
    cost_per_removal: P("USD/removal", ge=0.0, le=MAX_USD_PER_CASE)
    limited_countries: LimitedCountries | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Transport:
        total = "transport.seats_per_day"
        flights, per_flight = "transport.flights_per_day", "transport.seats_per_flight"
        parts = [f"transport.{k}" for k in SEAT_BREAKDOWN if getattr(self, k) is not None]
        if self.seats_per_day is not None and parts:
            raise FieldPathError(
                total,
                f"give either the total {total} or the breakdown {flights} and {per_flight} "
                f"(land_removals_per_day optional), not both: {', '.join(parts)} given too",
                related=tuple(parts),
            )
        if self.seats_per_day is None:
            missing = [p for p in (flights, per_flight) if p not in parts]
            if len(missing) == 2:
                raise FieldPathError(
                    total,
                    f"is needed, or the breakdown {flights} and {per_flight} "
                    "(land_removals_per_day optional)",
                )
            if missing:
                raise FieldPathError(
                    missing[0],
                    f"is needed with {', '.join(parts)} (total seats per day = "
                    f"{flights} x {per_flight} + land_removals_per_day); or give {total} alone",
                    related=tuple(parts),
                )
        return self

    @property
    def breakdown(self) -> bool:
        """Whether capacity is given as flights (and land) rather than a total."""
        return self.seats_per_day is None

    def seats_total(self, start: dt.date, days: int) -> np.ndarray:
        """``(days,)`` float: seats per day from ``start``, before the Guard's: the total,
        or flights x seats per flight + land removals (docs/model.md 3.6)."""
        if self.seats_per_day is not None:
            return self.seats_per_day.daily(start, days)
        assert self.flights_per_day is not None and self.seats_per_flight is not None
        seats = self.flights_per_day.daily(start, days) * self.seats_per_flight.daily(start, days)
        if self.land_removals_per_day is not None:
            seats = seats + self.land_removals_per_day.daily(start, days)
        return seats


class Courts(_Section):
    """Immigration courts (docs/model.md 3.12): judges shared by the detained and the
    non-detained docket; decisions on the detained docket end its cases' paths, completions
    on the non-detained docket give removal orders (some in absentia) that move people into
    the pool of those with final orders."""

    judges: P("judges", ge=0.0, le=MAX_JUDGES) = Field(
        description="Immigration judges on the bench (dated: hires, firings, temporary judges)."
    )
    completions_per_judge_day: P("cases/judge-day", ge=0.0, le=MAX_PER_PERSON_DAY) = Field(
        description="Case completions per judge per calendar day (both dockets)."
    )
    docket_priority: Literal["detained_first", "share"] = Field(
        default="detained_first",
        description="How judges' capacity is split: detained_first (the detained docket is "
        "heard first, the rest goes to the non-detained docket) or share (courts.detained_share "
        "of it is kept for the detained docket; what one docket cannot use goes to the "
        "other).",
    )
    detained_share: Fraction | None = Field(
        default=None,
        description="Share of judges' capacity kept for the detained docket (docket_priority = "
        "share).",
    )
    initial_backlog: P("cases", ge=0.0, le=MAX_PERSONS) = Field(
        description="Cases pending on the non-detained docket on the start date (national, "
        "spread over offices by population)."
    )
    receipts_per_day: P("cases/day", ge=0.0, le=MAX_PERSONS_PER_DAY) = Field(
        description="New non-detained cases a day from outside the simulated operation (for "
        "example people released at the border with a notice to appear); releases of the "
        "simulated operation whose case goes on are added to these."
    )
    in_absentia_share: Fraction = Field(
        description="Share of non-detained completions that are removal orders in absentia."
    )
    removal_order_share: Fraction = Field(
        description="Share of non-detained completions that are removal orders (or voluntary "
        "departure) with the person present; with in_absentia_share at most 1."
    )
    pending_group: str = Field(
        description="The priority group people with a case pending are counted in until "
        "ordered removed."
    )
    orders_group: str = Field(
        description="The priority group people join when ordered removed on the non-detained "
        "docket (the pool of people with final orders)."
    )
    cost_per_completion: P("USD/case", ge=0.0, le=MAX_USD_PER_CASE) = Field(
        description="Cost of a case before a judge, court and counsel, charged once for each "
        "case the operation puts there: on entry to a court = 'detained' path (replacing its "
        "cost_per_case), to a court = 'pending' path, or on release for lack of beds. The "
        "backlog and the receipts from outside are the courts' own workload, not charged."
    )

    @field_validator("initial_backlog", "cost_per_completion")
    @classmethod
    def _constant(cls, p: Param, info: ValidationInfo) -> Param:
        """A dated value of these would be read by nothing: the backlog is the stock on the
        start date, and costs are counted at one rate over the run."""
        if p.time_varying:
            what = "costs are counted at one rate over the run"
            if info.field_name == "initial_backlog":
                what = "the backlog on the start date"
            raise ValueError(f"cannot vary over time ({what})")
        return p

    @model_validator(mode="after")
    def _shares(self) -> Courts:
        if self.docket_priority == "share" and self.detained_share is None:
            raise FieldPathError(
                "courts.detained_share",
                "is needed when courts.docket_priority = share",
                related=("courts.docket_priority",),
            )
        a, r = _largest(self.in_absentia_share), _largest(self.removal_order_share)
        if a + r > 1.0 + _SUM_TOLERANCE:
            raise FieldPathError(
                "courts.removal_order_share",
                f"with courts.in_absentia_share the orders can reach {a + r:g} of completions "
                "(largest values and range ends); together they must be at most 1",
                related=("courts.in_absentia_share",),
            )
        return self


class Atd(_Section):
    """Alternatives to detention for people released from custody."""

    enrolment_share: Fraction
    mean_days: P("days", ge=1.0, le=MAX_HORIZON_DAYS)
    cost_per_participant_day: P("USD/participant-day", ge=0.0, le=MAX_USD_PER_DAY)


class Regime(_Section):
    """Monthly ranking of field offices, with the bottom fraction's leaders replaced."""

    enabled: bool
    ranking: Literal["absolute", "share_of_target"]
    bottom_fraction: Fraction
    productivity_dip: Fraction
    dip_days: Days
    pressure_all: Fraction
    pressure_replaced: Fraction


class Policy(_Section):
    """Policy inputs by date: which part of each group's pool policy aims at, and who
    may not be released."""

    priority: dict[str, Fraction] = Field(
        default_factory=dict,
        description="Share of each priority group's pool that policy makes eligible for "
        "arrest (group key -> share, dated); a group left out is fully eligible.",
    )
    mandatory_detention_share: Fraction | None = Field(
        default=None,
        description="Share of admissions not eligible for release: they take no "
        "discretionary path (the path shares of the others are scaled up).",
    )
    expedited_removal_share: Fraction | None = Field(
        default=None,
        description="Share of admissions taking an expedited path (removal without a judge; "
        "the scope of expedited removal, dated); the other paths share the rest in proportion "
        "to their shares. None: the paths' own shares.",
    )


def _exactly_int(v: Any) -> Any:
    # Literal[1] compares by equality, so true and 1.0 would pass as 1.
    if type(v) is not int:
        raise ValueError(f"must be the integer 1, got {type(v).__name__}")
    return v


Reported = P(ANY_UNIT, ge=-MAX_REPORTED, le=MAX_REPORTED)
"""A figure as reported, in whatever unit it was reported in."""


class Override(_Section):
    """What a change made to one path (``Scenario.with_values``): as run and as in the file."""

    value: bool | int | float | str | dt.date | list[str] | None = Field(
        description="The value as run (a parameter's base value)."
    )
    file_value: bool | int | float | str | dt.date | list[str] | None = Field(
        description="The value in the file (a parameter's base value)."
    )
    file_schedule: Annotated[dict[ScheduleDate, float] | None, Field(strict=False)] = Field(
        default=None, description="A parameter's schedule in the file."
    )
    schedule: Annotated[dict[ScheduleDate, float] | None, Field(strict=False)] = Field(
        default=None,
        description="A parameter's schedule as run: none once a plain value made it constant; "
        "a dated value (PATH@DATE) adds or replaces one entry.",
    )
    note: str | None = Field(
        default=None,
        description="What else the change did: a total that replaced a breakdown (or the "
        "breakdown it replaced).",
    )


class Scenario(_Section):
    """A whole operation, resolved (``extends`` applied) and validated."""

    schema_version: Annotated[Literal[1], BeforeValidator(_exactly_int)] = 1
    name: str = Field(min_length=1)
    description: str = ""
    start_date: dt.date
    days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    target: Target
    targeting: Targeting
    groups: dict[str, Group] = Field(min_length=1)
    workforce: Workforce
    support: Support = Support()
    custodial: Custodial | None = Field(
        default=None,
        description="The custodial arrest channel (jails and prisons); none: no custodial arrests.",
    )
    collateral: Collateral | None = Field(
        default=None, description="Collateral arrests during at-large operations; none: none."
    )
    departures: Departures | None = Field(
        default=None, description="Departures from the pools; none: nobody leaves a pool."
    )
    processing: Processing
    inflow: Inflow
    detention: Detention
    dispositions: dict[str, Disposition] = Field(min_length=1)
    transport: Transport
    courts: Courts | None = Field(
        default=None,
        description="Immigration courts (judges, dockets, orders); none: court paths are fixed "
        "delays and releases leave the system.",
    )
    atd: Atd
    regime: Regime
    policy: Policy = Field(default_factory=Policy)
    budget: Budget | None = Field(
        default=None,
        description="Funding lines the operation's costs are charged to; none: costs are "
        "reported without lines.",
    )
    procurement: Procurement | None = Field(
        default=None,
        description="Money to beds (added to detention.beds); none: beds are as typed.",
    )
    hiring: Hiring | None = Field(
        default=None,
        description="Money to officers (added to one agency's headcount); none: headcounts "
        "are as typed.",
    )
    # After the operation's own parameters, so those keep their order in tables and draws.
    home_missions: HomeMissions = Field(
        default_factory=default_home_missions,
        description="What a detailed agent-day costs each agency's own mission, per measure "
        "(home_missions.<agency>.<measure>.*); defaults in data/home-missions.toml.",
    )
    posterior: Posterior | None = Field(
        default=None,
        description="Joint parameter draws from a Bayesian fit (written by atlarge calibrate).",
    )
    # Last, so the 27 weight parameters follow every other in tables and draws (drawing
    # them, offices.draw_weights = true, changes no other draw).
    offices: OfficeSelection = Field(default_factory=OfficeSelection)
    reported: dict[str, Reported] = Field(
        default_factory=dict,
        description="Figures as reported for the operation, kept for reference and checks.",
    )
    overrides: dict[str, Override] = Field(
        default_factory=dict,
        description="Recorded by with_values, not written in files: path -> what was changed.",
    )
    extends: list[str] = Field(
        default_factory=list,
        description="Recorded by the loader: the files this one extends, nearest first.",
    )

    @property
    def beds_plan(self) -> Procurement | None:
        """The procurement plan the run follows: none without [procurement] or with
        ``procurement.enabled = false``."""
        p = self.procurement
        return p if p is not None and p.enabled else None

    @property
    def hiring_plan(self) -> Hiring | None:
        """The hiring plan the run follows: none without [hiring] or with
        ``hiring.enabled = false``."""
        h = self.hiring
        return h if h is not None and h.enabled else None

    def with_values(self, updates: Mapping[str, Any], reason: str) -> Scenario:
        """This scenario with ``updates`` (path or ``PATH@DATE`` -> value) applied for
        ``reason``; the one way to change a scenario (rules: :mod:`atlarge.scenario.changes`)."""
        from atlarge.scenario.changes import with_values

        return with_values(self, updates, reason)

    @field_validator("groups")
    @classmethod
    def _effort_shares_sum_to_one(cls, groups: dict[str, Group]) -> dict[str, Group]:
        _check_sum("effort_share", {k: g.effort_share for k, g in groups.items()})
        return groups

    @field_validator("dispositions")
    @classmethod
    def _path_shares_sum_to_one(cls, paths: dict[str, Disposition]) -> dict[str, Disposition]:
        _check_sum("share", {k: d.share for k, d in paths.items()})
        return paths

    @field_validator("workforce")
    @classmethod
    def _someone_deployed(cls, workforce: Workforce) -> Workforce:
        if not workforce.deployed():
            raise ValueError("no agency is deployed")
        return workforce

    @model_validator(mode="after")
    def _consistency(self) -> Scenario:
        start_beds = self.detention.beds.at(self.start_date)
        if self.detention.initial_population.value > start_beds:
            raise FieldPathError(
                "detention.initial_population",
                f"{self.detention.initial_population.value:g} persons exceeds detention.beds on "
                f"the start date ({start_beds:g})",
                related=("detention.beds",),
            )
        self._group_keys()
        self._custodial_effort()
        self._mandatory_leaves_a_path()
        self._expedited_has_paths()
        self._court_groups()
        self._money_links()
        self._persons_fit()
        self._schedules()
        self._posterior_paths()
        return self

    def _posterior_paths(self) -> None:
        """Posterior draws only of this scenario's parameters (each draw is checked against
        the parameter's bounds when it is applied, by ``with_values``)."""
        if self.posterior is None:
            return
        from atlarge.scenario.loader import iter_params

        params = dict(iter_params(self))
        for path in self.posterior.draws:
            if path not in params:
                raise FieldPathError(
                    f"posterior.draws.{path}", "is not a parameter path of this scenario"
                )

    def _group_keys(self) -> None:
        """Shares given per priority group name only groups of this scenario."""
        keyed = [("policy.priority", self.policy.priority)]
        if self.custodial is not None:
            keyed.append(("custodial.group_mix", self.custodial.group_mix))
        for path, shares in keyed:
            unknown = [k for k in shares if k not in self.groups]
            if unknown:
                raise FieldPathError(
                    path,
                    f"unknown priority group(s) {unknown}; the scenario's groups: "
                    f"{', '.join(self.groups)}",
                    related=("groups",),
                )

    def _custodial_effort(self) -> None:
        """Effort put into the custodial channel needs the channel."""
        if self.custodial is not None:
            return
        for key, agency in self.workforce.deployed().items():
            share = agency.custodial_share
            if share is not None and any(share.values()):
                raise FieldPathError(
                    f"workforce.{key}.custodial_share",
                    "puts effort into the custodial channel, which needs a [custodial] section "
                    "(removable bookings, detainer share, arrests per agent-day, group mix)",
                    related=("custodial",),
                )

    def _mandatory_leaves_a_path(self) -> None:
        """Mandatory detention needs a non-discretionary path for those it holds."""
        m = self.policy.mandatory_detention_share
        if m is None or _largest(m) <= 0:
            return
        paths = self.dispositions.values()
        if sum(d.share.value for d in paths if not d.discretionary) <= 0:
            raise FieldPathError(
                "policy.mandatory_detention_share",
                "every path with a share is discretionary, so those held under mandatory "
                "detention have no path to take (mark a path discretionary = false)",
                related=("dispositions",),
            )
        e = self.policy.expedited_removal_share
        held = sum(d.share.value for d in paths if not d.discretionary and not d.expedited)
        if e is not None and _smallest(e) <= 0 and held <= 0:
            raise FieldPathError(
                "policy.mandatory_detention_share",
                "with policy.expedited_removal_share at 0 (a value or its range's low end) "
                "nobody takes an expedited path, and every other path with a share is "
                "discretionary: those held under mandatory detention have no path to take",
                related=("policy.expedited_removal_share", "dispositions"),
            )

    def _expedited_has_paths(self) -> None:
        """An expedited-removal scope needs expedited paths for it, and other paths for the
        rest."""
        e = self.policy.expedited_removal_share
        if e is None:
            return
        path = "policy.expedited_removal_share"
        shares = {k: d.share.value for k, d in self.dispositions.items()}
        fast = sum(v for k, v in shares.items() if self.dispositions[k].expedited)
        if fast <= 0:
            raise FieldPathError(
                path,
                "needs a path marked expedited = true with a share > 0 (the shares of "
                "expedited paths are scaled to it)",
                related=("dispositions",),
            )
        if fast >= 1.0 - _SUM_TOLERANCE and _smallest(e) < 1:
            raise FieldPathError(
                path,
                "leaves a share for paths that are not expedited (a value or its range's low "
                "end is below 1), but every path with a share is expedited",
                related=("dispositions",),
            )

    def _court_groups(self) -> None:
        """The courts' pending and orders groups are groups of this scenario."""
        if self.courts is None:
            return
        for field in ("pending_group", "orders_group"):
            key = getattr(self.courts, field)
            if key not in self.groups:
                raise FieldPathError(
                    f"courts.{field}",
                    f"unknown priority group {key!r}; the scenario's groups: "
                    f"{', '.join(self.groups)}",
                    related=("groups",),
                )

    def _money_links(self) -> None:
        """Under stop a line pays for people or for beds and seats, never for book-ins,
        court cases or ATD (the model holds back only what it has a capacity for:
        scenario.budget); procurement and hiring draw on a budget line that pays for what
        they buy; hires join a deployed agency."""
        if self.budget is not None and self.budget.on_exhausted == "stop":
            for key, line in self.budget.lines.items():
                kinds = set(line.purposes)
                path = f"budget.lines.{key}.purposes"
                loose = sorted(kinds - PEOPLE_PURPOSES - HELD_PURPOSES)
                if loose:
                    raise FieldPathError(
                        path,
                        f"with budget.on_exhausted = stop a line may not pay for "
                        f"{', '.join(loose)}: the model does not turn away book-ins, court "
                        "cases or ATD enrolments when money runs out (use overspend, or "
                        "leave them to no line)",
                        related=("budget.on_exhausted",),
                    )
                if kinds & PEOPLE_PURPOSES and kinds & HELD_PURPOSES:
                    raise FieldPathError(
                        path,
                        "with budget.on_exhausted = stop a line pays either for people "
                        "(enforcement_staff, detailed_agents, national_guard: cut as planned) "
                        "or for detention and transport (cut day by day), not both",
                        related=("budget.on_exhausted",),
                    )
        links = (
            ("procurement", self.procurement, ("detention",)),
            ("hiring", self.hiring, ("enforcement_staff",)),
        )
        for section, part, purposes in links:
            if part is None:
                continue
            path = f"{section}.funding_line"
            if self.budget is None or part.funding_line not in self.budget.lines:
                known = ", ".join(self.budget.lines) if self.budget else "none ([budget] absent)"
                raise FieldPathError(
                    path,
                    f"no budget line {part.funding_line!r}; lines: {known}",
                    related=("budget",),
                )
            line = self.budget.lines[part.funding_line]
            if not set(purposes) & set(line.purposes):
                raise FieldPathError(
                    path,
                    f"budget line {part.funding_line!r} pays for {', '.join(line.purposes)}, "
                    f"not for what {section} buys ({' or '.join(purposes)})",
                    related=("budget",),
                )
        if self.hiring is not None:
            deployed = self.workforce.deployed()
            agency = self.hiring.agency
            if agency not in deployed:
                raise FieldPathError(
                    "hiring.agency",
                    f"{agency!r} is not a deployed agency; deployed: {', '.join(deployed)}",
                    related=("workforce",),
                )
            if deployed[agency].diverted:
                raise FieldPathError(
                    "hiring.agency",
                    f"{agency!r} is detailed from another agency's mission (diverted = true): "
                    "hires join the operation's own staff, not a detail",
                    related=("workforce",),
                )
            line = self.budget.lines[self.hiring.funding_line]  # type: ignore[union-attr]
            if "enforcement_staff" not in line.purposes:
                raise FieldPathError(
                    "hiring.funding_line",
                    f"the hires join {agency}, paid as enforcement_staff, which budget line "
                    f"{self.hiring.funding_line!r} does not pay for",
                    related=("budget", "hiring.agency"),
                )

    def _persons_fit(self) -> None:
        """Everyone who can ever enter fits the int32 counts (``MAX_PERSONS_EVER``).

        Arrests of every channel (custodial, at large, collateral) come from the pools, and
        departures leave them, so the arrest channels let nobody new enter.
        """
        offices = len(self.offices.include or ()) or len(office_data().codes)
        days = MAX_HORIZON_DAYS
        # Stochastic rounding adds at most one person per office, group and day.
        per_group = [
            _largest(g.initial_pool) + (_largest(g.replenishment_per_day) + offices) * days
            for g in self.groups.values()
        ]
        border = (_largest(self.inflow.border_transfers_per_day) + offices) * days
        total = sum(per_group) + border + _largest(self.detention.initial_population)
        if self.courts is not None:  # the non-detained docket is counted per office too
            total += (
                _largest(self.courts.initial_backlog)
                + (_largest(self.courts.receipts_per_day) + offices) * days
            )
        if total > MAX_PERSONS_EVER:
            raise FieldPathError(
                "groups",
                f"initial pools, replenishment and border transfers let up to "
                f"{fmt_number(total)} people enter over {days} days (the longest horizon); "
                f"counts are kept as 32-bit integers, so at most {fmt_number(MAX_PERSONS_EVER)}",
                related=("inflow.border_transfers_per_day", "detention.initial_population"),
            )

    def _schedules(self) -> None:
        """Refuse schedule dates that are surely a mistake.

        A date more than ``MAX_SCHEDULE_REACH_DAYS`` (ten years, the longest
        horizon) after the start date is never reached by any run of this
        scenario, whatever ``--days``; one more than ten years before it is
        superseded from day 1 in every run. Either is almost surely a mistyped
        year (2205 or 1925 for 2025). Dates nearer the horizon that still fall
        outside it are warnings (see schedules.py), since the horizon of a run
        can differ from the file's.
        """
        reach = dt.timedelta(days=MAX_SCHEDULE_REACH_DAYS)
        lo, hi = self.start_date - reach, self.start_date + reach
        for path, p, _spec in iter_param_specs(self):
            for when in sorted(p.schedule or {}):
                if not lo <= when <= hi:
                    side = "after" if when > hi else "before"
                    raise FieldPathError(
                        f"{path}.schedule",
                        f"date {when} lies more than {MAX_SCHEDULE_REACH_DAYS} days {side} the "
                        f"start date {self.start_date}: no run can use it as written "
                        "(a mistyped year?)",
                        related=("start_date",),  # a later file may have moved the start
                    )


def _largest(p: Param) -> float:
    """The largest value a parameter can take: value, schedule or range end."""
    return max([*p.values(), *(p.range or ())])


def _smallest(p: Param) -> float:
    """The smallest value a parameter can take: value, schedule or range end."""
    return min([*p.values(), *(p.range or ())])


class FieldPathError(ValueError):
    """A consistency error that belongs to a field other than where it was checked.

    ``related`` names the other fields involved; the loader blames the file
    that most recently set any of them.
    """

    def __init__(self, path: str, message: str, related: tuple[str, ...] = ()) -> None:
        self.path = path
        self.related = related
        super().__init__(message)


def _check_sum(field: str, params: dict[str, Param]) -> None:
    total = sum(p.value for p in params.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        listing = ", ".join(f"{k}={p.value:g}" for k, p in params.items())
        raise ValueError(f"the {field} values must sum to 1, they sum to {total:g} ({listing})")
    if any(p.time_varying for p in params.values()):
        raise ValueError(f"{field} cannot vary over time")


_UNBOUNDED = unbounded_param_fields(Scenario)
if _UNBOUNDED:  # a new field must declare its unit and bounds with P(...)
    raise TypeError(f"scenario fields hold a Param without a ParamSpec: {_UNBOUNDED}")

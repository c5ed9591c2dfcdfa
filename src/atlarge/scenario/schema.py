"""The typed shape of a scenario: what an operation and its pipeline are.

Field names here are the parameter paths users write in files and on the
command line (``--set detention.beds=60000``); ../shared/DESIGN.md lists the
ones that must stay stable. Every world number is a :class:`Param` whose
expected unit is declared on its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atlarge.scenario.offices import load_offices
from atlarge.scenario.params import Days, Fraction, P, Param, PositiveDays

AGENCIES: tuple[str, ...] = ("ero", "hsi", "fbi", "dea", "usms", "atf", "cbp", "irs")
AGENCY_LABELS: dict[str, str] = {
    "ero": "ICE ERO",
    "hsi": "ICE HSI",
    "fbi": "FBI",
    "dea": "DEA",
    "usms": "U.S. Marshals",
    "atf": "ATF",
    "cbp": "CBP",
    "irs": "IRS",
}
_SUM_TOLERANCE = 1e-6


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeSelection(_Section):
    """Which of the 25 ERO field offices to simulate (default: all)."""

    include: list[str] | None = Field(
        default=None,
        description="Office codes (e.g. ATL, DAL); national figures are spread over these only.",
    )

    @field_validator("include")
    @classmethod
    def _known_codes(cls, codes: list[str] | None) -> list[str] | None:
        if codes is None:
            return None
        known = load_offices().codes
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown office code(s) {unknown}; known: {', '.join(known)}")
        if not codes:
            raise ValueError("include must name at least one office")
        if len(set(codes)) != len(codes):
            raise ValueError("an office is named twice")
        return codes


class Target(_Section):
    arrests_per_day: P("arrests/day", ge=0.0)


class Targeting(_Section):
    """How effort is split across priority groups, and how pressure shifts it."""

    pressure_shift: Fraction
    pressure_window_days: P("days", ge=1.0)


class Group(_Section):
    """A priority group: a finite pool of people, depleted by arrests."""

    label: str = Field(min_length=1)
    initial_pool: P("persons", ge=0.0)
    replenishment_per_day: P("persons/day", ge=0.0)
    arrests_per_agent_day: P("arrests/agent-day", ge=0.0)
    effort_share: Fraction


class Agency(_Section):
    headcount: P("agents", ge=0.0)
    relative_productivity: P("fraction", ge=0.0, le=2.0)
    ramp_days: Days
    cost_per_agent_day: P("USD/agent-day", ge=0.0)
    diverted: bool = Field(
        description="True when the agents' days are taken from their home agency's own mission."
    )


class Workforce(_Section):
    working_days_per_week: P("days/week", gt=0.0, le=7.0)
    ero: Agency | None = None
    hsi: Agency | None = None
    fbi: Agency | None = None
    dea: Agency | None = None
    usms: Agency | None = None
    atf: Agency | None = None
    cbp: Agency | None = None
    irs: Agency | None = None

    def deployed(self) -> dict[str, Agency]:
        return {a: getattr(self, a) for a in AGENCIES if getattr(self, a) is not None}


class NationalGuard(_Section):
    headcount: P("troops", ge=0.0)
    ramp_days: Days
    processing_per_troop_day: P("book-ins/troop-day", ge=0.0)
    transport_seats_per_troop_day: P("seats/troop-day", ge=0.0)
    cost_per_troop_day: P("USD/troop-day", ge=0.0)


class Support(_Section):
    national_guard: NationalGuard | None = None


class Processing(_Section):
    capacity_per_day: P("book-ins/day", ge=0.0)
    cost_per_book_in: P("USD/book-in", ge=0.0)


class Inflow(_Section):
    border_transfers_per_day: P("persons/day", ge=0.0)


class Detention(_Section):
    beds: P("beds", ge=0.0)
    initial_population: P("persons", ge=0.0)
    overflow: Literal["transfer", "release"] = Field(
        description="What happens to book-ins an office has no bed for: transfer to offices "
        "with free beds (release only when none are free nationally), or release."
    )
    bed_day_cost: P("USD/bed-day", ge=0.0)


class Disposition(_Section):
    """A path through detention: its share of book-ins, its delay and its outcome."""

    label: str = Field(min_length=1)
    outcome: Literal["removal", "release", "departure"]
    share: Fraction
    mean_days: PositiveDays
    phases: int = Field(ge=1, le=6)
    cost_per_case: P("USD/case", ge=0.0) | None = None

    @model_validator(mode="after")
    def _mean_covers_phases(self) -> Disposition:
        for v in self.mean_days.values():
            if v < self.phases:
                raise ValueError(
                    f"mean_days {v} is shorter than phases = {self.phases} (each phase lasts "
                    "at least one day)"
                )
        return self


class Transport(_Section):
    seats_per_day: P("seats/day", ge=0.0)
    cost_per_removal: P("USD/removal", ge=0.0)


class Atd(_Section):
    """Alternatives to detention for people released from custody."""

    enrolment_share: Fraction
    mean_days: P("days", ge=1.0)
    cost_per_participant_day: P("USD/participant-day", ge=0.0)


class Regime(_Section):
    """Monthly ranking of field offices, with the bottom fraction's leaders replaced."""

    enabled: bool
    ranking: Literal["absolute", "share_of_target"]
    bottom_fraction: Fraction
    productivity_dip: Fraction
    dip_days: Days
    pressure_all: Fraction
    pressure_replaced: Fraction


class Override(_Section):
    """What ``--set`` (or another horizon) changed: the value as run and as in the file."""

    value: bool | int | float | str | dt.date | list[str] | None = Field(
        description="The value as run (a parameter set this way is constant)."
    )
    file_value: bool | int | float | str | dt.date | list[str] | None = Field(
        description="The value in the file (a parameter's base value)."
    )
    file_schedule: dict[dt.date, float] | None = Field(
        default=None, description="A parameter's schedule in the file, which the override ended."
    )


class Scenario(_Section):
    """A whole operation, resolved (``extends`` applied) and validated."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    start_date: dt.date
    days: int = Field(ge=1, le=3650)
    offices: OfficeSelection = OfficeSelection()
    target: Target
    targeting: Targeting
    groups: dict[str, Group] = Field(min_length=1)
    workforce: Workforce
    support: Support = Support()
    processing: Processing
    inflow: Inflow
    detention: Detention
    dispositions: dict[str, Disposition] = Field(min_length=1)
    transport: Transport
    atd: Atd
    regime: Regime
    reported: dict[str, Param] = Field(
        default_factory=dict,
        description="Figures as reported for the operation, kept for reference and checks.",
    )
    overrides: dict[str, Override] = Field(
        default_factory=dict,
        description="Recorded by the loader, not written in files: path -> what --set changed.",
    )
    extends: list[str] = Field(
        default_factory=list,
        description="Recorded by the loader: the files this one extends, nearest first.",
    )

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
            )
        return self


class FieldPathError(ValueError):
    """A consistency error that belongs to a field other than where it was checked."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


def _check_sum(field: str, params: dict[str, Param]) -> None:
    total = sum(p.value for p in params.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        listing = ", ".join(f"{k}={p.value:g}" for k, p in params.items())
        raise ValueError(f"the {field} values must sum to 1, they sum to {total:g} ({listing})")
    if any(p.time_varying for p in params.values()):
        raise ValueError(f"{field} cannot vary over time")

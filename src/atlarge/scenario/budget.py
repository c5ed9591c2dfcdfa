"""Money in a scenario: funding lines, and the capacity money buys (beds, officers).

``[budget]`` lists funding lines (an amount, the purposes it pays for and when it may
be spent) and says what happens when a purpose's lines are spent: ``overspend``
(spending goes on; the report shows by how much) or ``stop`` (the model holds the
spending back: no bed, seat or agent-day is paid that no line can pay).
``[procurement]`` turns one line into beds, by kind of bed, with lead times;
``[hiring]`` turns one line into officers of one agency, through an academy. Without
these sections nothing changes: beds and headcounts are what the scenario types.

Why the rules of ``stop`` are narrow: the model can hold back only what it has a
capacity for. Beds (detention) and seats (transport) it cuts day by day as the money
runs out; agent-days and troop-days (staff, detailed agents, the Guard) are known in
advance, so their cut is planned before the run. A line may therefore pay for one of
the two kinds, not both, and not for book-ins, court cases or ATD, whose spending
follows the people the operation sends there and that the model does not turn away.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atlarge.scenario.params import (
    MAX_AGENTS,
    MAX_BEDS,
    MAX_USD_PER_CASE,
    MAX_USD_PER_DAY,
    Days,
    P,
    constant,
)

MAX_USD_TOTAL = 1e13
"""A funding line: about 1.5 times all US federal outlays in a year (~$6.8 trillion, FY2024)."""
ONE_PLAN = "the plan is made with one value"
MAX_LEAD_DAYS = 3650.0
"""Days from an order to beds online: ten years, longer than any prison construction."""

PURPOSES: tuple[str, ...] = (
    "enforcement_staff",
    "new_hires",
    "detailed_agents",
    "national_guard",
    "processing",
    "court",
    "transport",
    "beds_bought",
    "detention",
    "atd",
)
"""What money is spent on, in the order each day's costs are charged to the lines
(transport before detention: removals are paid before the day's detention). Two are not
written in files: ``new_hires`` (the hiring plan's hires: their hiring cost and pay) and
``beds_bought`` (the procurement plan's beds, paid as contracted); each is paid first from
what its plan committed of its funding line (see :mod:`atlarge.model.money`)."""

PURPOSE_LABELS: dict[str, str] = {
    "enforcement_staff": "Enforcement staff (ICE and partners)",
    "new_hires": "New hires (hiring plan)",
    "detailed_agents": "Agents detailed from other agencies",
    "national_guard": "National Guard",
    "processing": "Processing (book-ins)",
    "court": "Immigration courts",
    "transport": "Removal transport",
    "beds_bought": "Beds bought (procurement plan, paid as contracted)",
    "detention": "Detention (typed beds, paid as used)",
    "atd": "Alternatives to detention",
}

PEOPLE_PURPOSES = frozenset({"enforcement_staff", "new_hires", "detailed_agents", "national_guard"})
"""Paid by agent-days and troop-days, known before the run: under ``stop`` their cut is
planned (``inputs``)."""
HELD_PURPOSES = frozenset({"transport", "detention"})
"""Cut day by day in the engine under ``stop`` (seats, beds)."""

Purpose = Literal[
    "enforcement_staff",
    "detailed_agents",
    "national_guard",
    "processing",
    "court",
    "transport",
    "detention",
    "atd",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FundingLine(_Section):
    """An amount of money for some purposes, to be spent between two dates."""

    label: str = Field(min_length=1)
    purposes: list[Purpose] = Field(
        min_length=1, description="What the line pays for (budget purposes)."
    )
    amount: P("USD", ge=0.0, le=MAX_USD_TOTAL) = Field(
        description="USD in the line (an appropriation, or the part of one the scenario counts)."
    )
    available_from: dt.date = Field(description="First day the line may be spent.")
    available_until: dt.date = Field(
        description="Last day the line may be spent (the end of its period of availability)."
    )

    @field_validator("purposes")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a purpose twice")
        return v

    _constant = constant("amount", why="an amount is given once")

    @model_validator(mode="after")
    def _period(self) -> FundingLine:
        if self.available_until < self.available_from:
            raise ValueError(
                f"available_until {self.available_until} is before available_from "
                f"{self.available_from}"
            )
        return self


class Budget(_Section):
    """Funding lines and what happens when the lines for a purpose are spent (what a line
    may pay for under ``stop`` is checked with the scenario: ``schema._money_links``)."""

    on_exhausted: Literal["overspend", "stop"] = Field(
        description="overspend: spending goes on past the lines and is reported as unfunded; "
        "stop: nothing is spent that no line can pay (beds, seats and agent-days are cut)."
    )
    lines: dict[str, FundingLine] = Field(
        min_length=1,
        description="Funding lines, in the order they are drawn on (each day's cost of a "
        "purpose goes to the first open line that pays for it and has money left).",
    )


class BedKind(_Section):
    """A kind of bed money can buy (existing contract beds, new contract facilities,
    soft-sided or military sites)."""

    label: str = Field(min_length=1)
    lead_days: P("days", ge=0.0, le=MAX_LEAD_DAYS) = Field(
        description="Days from an order to the beds online."
    )
    cost_per_bed_day: P("USD/bed-day", gt=0.0, le=MAX_USD_PER_DAY)
    max_added_per_month: P("beds/month", ge=0.0, le=MAX_BEDS) = Field(
        description="Beds of this kind that can be ordered in one monthly round."
    )

    _constant = constant("lead_days", "cost_per_bed_day", "max_added_per_month", why=ONE_PLAN)


class Procurement(_Section):
    """Money to beds: monthly orders from one funding line, by kind in order of preference."""

    enabled: bool = Field(
        default=True,
        description="false: no beds are bought and detention.beds are all the beds (how to "
        "set beds directly in a scenario that buys them).",
    )
    funding_line: str = Field(description="The budget line that buys the beds.")
    kinds: dict[str, BedKind] = Field(
        min_length=1, description="Kinds of bed, in the order they are ordered."
    )
    target_beds_added: P("beds", ge=0.0, le=MAX_BEDS) | None = Field(
        default=None,
        description="No more beds are ordered once this many are added; none: "
        "as many as the money buys.",
    )
    placement: Literal["population", "facilities"] = Field(
        description="Where the new beds are: spread over offices like the population, or like "
        "the existing beds (facilities: Texas and Louisiana's shares)."
    )

    _constant = constant("target_beds_added", why=ONE_PLAN)


class Hiring(_Section):
    """Money to officers: monthly academy classes for one agency, paid by one line."""

    enabled: bool = Field(
        default=True,
        description="false: nobody is hired and headcounts are as typed.",
    )
    funding_line: str = Field(description="The budget line that pays for the hires.")
    agency: str = Field(description="The workforce agency the hires join (e.g. ero).")
    positions: P("agents", ge=0.0, le=MAX_AGENTS) = Field(
        description="New positions funded (cumulative hires allowed by each date; dated)."
    )
    academy_seats_per_month: P("agents/month", ge=0.0, le=MAX_AGENTS)
    applicants_per_month: P("agents/month", ge=0.0, le=MAX_AGENTS) = Field(
        description="Applicants who pass screening in a month (a ceiling on hires)."
    )
    academy_days: Days
    attrition_per_year: P("fraction", ge=0.0, le=0.99)  # 1 would empty every class at once
    ramp_days: Days = Field(
        description="Days after the academy for a new officer to reach full productivity (linear)."
    )
    cost_per_hire: P("USD/hire", ge=0.0, le=MAX_USD_PER_CASE) = Field(
        description="One-off cost of a hire: recruitment, bonus and academy (pay after the "
        "academy is the agency's cost per agent-day)."
    )

    _constant = constant(
        "academy_seats_per_month",
        "applicants_per_month",
        "academy_days",
        "attrition_per_year",
        "ramp_days",
        "cost_per_hire",
        why=ONE_PLAN,
    )


__all__ = [
    "HELD_PURPOSES",
    "PEOPLE_PURPOSES",
    "PURPOSES",
    "PURPOSE_LABELS",
    "BedKind",
    "Budget",
    "FundingLine",
    "Hiring",
    "Procurement",
]

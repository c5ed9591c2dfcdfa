"""What the scenario fields that carry no description in the schema mean, for the
scenario reference.

The schema's own ``Field(description=...)`` comes first: a field described there is
never looked up here, and ``tests/test_docs.py`` fails on an entry that the schema has
since described or that names no field, and on a field described in neither place. Each
meaning is the one docs/model.md gives (its section in brackets). Patterns use ``*`` for
one part of a path (``workforce.*.headcount``: every agency).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

MEANINGS: dict[str, str] = {
    "schema_version": "Version of the scenario format; 1 is the only one.",
    "name": "The scenario's name, as reports, tables and the page show it.",
    "description": "What the scenario is, in a sentence or two, for people reading it.",
    "start_date": "First simulated day; dated values (schedules) are read from it on.",
    "days": "Horizon: how many days are simulated from the start date.",
    "target.arrests_per_day": "The national arrest target; the regime and the pressure on "
    "offices compare arrests with each office's share of it (3.2, 3.9).",
    "targeting.pressure_shift": "How far pressure moves an office's effort from the "
    "groups' base shares to the group with the highest current yield (phi, 3.2).",
    "targeting.pressure_window_days": "Days of recent arrests averaged to measure an "
    "office's shortfall against its share of the target (3.2).",
    "groups.*.label": "The priority group's name in tables and charts.",
    "groups.*.initial_pool": "People in the group not yet arrested on the start date, "
    "national (N0, 3.2-3.3); arrests deplete it.",
    "groups.*.replenishment_per_day": "People joining the group's pool per day, national (3.3).",
    "groups.*.arrests_per_agent_day": "At-large arrests per officer-equivalent agent-day "
    "in this group at its full initial pool; the yield falls as the pool is depleted (3.2).",
    "groups.*.effort_share": "Share of at-large effort aimed at the group without "
    "pressure (alpha0, 3.2); the shares of all groups sum to 1.",
    "workforce.working_days_per_week": "Days a week an agent works: agent-days per "
    "calendar day are headcount times this over 7 (3.1).",
    "workforce.*.headcount": "Agents of the agency deployed to the operation (dated: "
    "increases ramp in over ramp_days, decreases act at once; 3.1).",
    "workforce.*.relative_productivity": "Arrests of one of the agency's agent-days "
    "relative to an ICE ERO officer's (ERO = 1; rho, 3.1).",
    "workforce.*.ramp_days": "Days over which an increase in headcount phases in linearly (3.1).",
    "workforce.*.cost_per_agent_day": "Cost of one of the agency's agent-days on the "
    "operation (3.10).",
    "support.national_guard.headcount": "National Guard troops deployed in support roles "
    "(book-in and removal transport; they make no arrests).",
    "support.national_guard.ramp_days": "Days over which the troops phase in linearly.",
    "support.national_guard.processing_per_troop_day": "Book-ins a troop-day adds to "
    "processing capacity.",
    "support.national_guard.transport_seats_per_troop_day": "Removal seats a troop-day "
    "adds to transport capacity.",
    "support.national_guard.cost_per_troop_day": "Cost of one troop-day (3.10).",
    "custodial.removable_bookings_per_day": "Removable people booked into local jails and "
    "prisons per day, national (b, 3.3.1).",
    "custodial.detainer_share": "Share of those bookings in jurisdictions that honour "
    "detainers or give ICE access (h, 3.3.1).",
    "custodial.arrests_per_agent_day": "Custodial handovers one officer-equivalent "
    "agent-day can take in (y_c, 3.3.1).",
    "collateral.per_at_large_arrest": "Collateral arrests (people encountered who were "
    "not the target) per at-large arrest (k, 3.3.2).",
    "departures.share_per_year": "Share of a pool leaving on its own in a year, as a "
    "constant daily hazard (s, 3.3.3).",
    "departures.per_arrest": "Departures prompted per arrest at full pool; fewer as the "
    "pool is depleted (d, 3.3.3).",
    "processing.capacity_per_day": "Book-ins a day, national, before the Guard's (3.4); "
    "arrests beyond it wait in the book-in backlog.",
    "processing.cost_per_book_in": "Cost of one book-in (3.10).",
    "inflow.border_transfers_per_day": "People transferred into detention from the border "
    "per day, national, who take beds like book-ins (3.4).",
    "detention.beds": "Detention beds, national, spread over offices (dated; beds bought "
    "with [procurement] are added; 3.7).",
    "detention.initial_population": "People detained on the start date, national (at most "
    "the beds).",
    "detention.bed_day_cost": "Cost of one person-day in detention (3.10).",
    "dispositions.*.label": "The detention path's name in tables and charts.",
    "dispositions.*.outcome": "How the path ends: removal (then the removal queue), "
    "release or departure (3.5).",
    "dispositions.*.share": "Share of admissions taking this path; the shares of all paths "
    "sum to 1 (3.5).",
    "dispositions.*.mean_days": "Mean days detained on the path before its outcome (3.5).",
    "dispositions.*.phases": "Phases of the path's delay: 1 is a geometric delay, more "
    "phases a less dispersed one with the same mean (3.5).",
    "dispositions.*.cost_per_case": "One-off cost of a case on this path (hearings, "
    "counsel; 3.10).",
    "transport.cost_per_removal": "Cost of one removal: transport and escort (3.10).",
    "atd.enrolment_share": "Share of people released who enrol in alternatives to detention (3.8).",
    "atd.mean_days": "Mean days enrolled in alternatives to detention (3.8).",
    "atd.cost_per_participant_day": "Cost of one participant-day in alternatives to "
    "detention (3.10).",
    "regime.enabled": "Whether offices are ranked each month and the bottom fraction's "
    "leaders replaced (3.9).",
    "regime.ranking": "What offices are ranked by: arrests (absolute) or arrests over "
    "their share of the target (share_of_target; 3.9).",
    "regime.bottom_fraction": "Share of the 25 offices whose leadership is replaced at "
    "each ranking (rounded down: 2 at 10%; 3.9).",
    "regime.productivity_dip": "Fall in an office's effort while its new leadership "
    "settles in (delta, 3.1).",
    "regime.dip_days": "Days the productivity dip lasts after a replacement (3.9).",
    "regime.pressure_all": "Pressure added to every office while the regime runs (p_all, 3.2).",
    "regime.pressure_replaced": "Further pressure on an office after its leadership was "
    "replaced (p_repl, 3.2).",
    "budget.lines.*.label": "The funding line's name in tables and charts.",
    "procurement.kinds.*.label": "The kind of bed's name in tables and charts.",
    "procurement.kinds.*.cost_per_bed_day": "Cost of one bed-day of this kind once online (3.13).",
    "hiring.academy_seats_per_month": "Academy seats a month: a ceiling on each monthly "
    "class of hires (3.13).",
    "hiring.academy_days": "Days in the academy before a hire is on duty (3.13).",
    "hiring.attrition_per_year": "Share of hires leaving in a year (3.13).",
}


def meaning_of(path: str) -> str | None:
    """The meaning of the schema path ``path`` (placeholders such as ``<group>`` match a
    ``*``), or None."""
    parts = path.split(".")
    for pattern, text in MEANINGS.items():
        pparts = pattern.split(".")
        if len(pparts) == len(parts) and all(
            fnmatchcase(p, pp) or (pp == "*" and p.startswith("<"))
            for p, pp in zip(parts, pparts, strict=True)
        ):
            return text
    return None

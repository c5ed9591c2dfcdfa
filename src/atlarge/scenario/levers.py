"""The main levers of a scenario, as the explorer page shows them.

Each lever is one of the stable parameter paths DESIGN.md names for
``--set``, sweeps and the web page, so a page, a script or a curl call that
sets a lever goes through the same validation as a scenario file. The list
is built from the scenario itself: an agency gets a staff lever when the
scenario has a section for it, and the Guard gets a switch when the
scenario has a Guard section.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from atlarge.scenario.loader import iter_params
from atlarge.scenario.schema import AGENCY_LABELS, Scenario

VARIES_NOTE = (
    "Varies over time in the scenario (shown: the value on the start date); "
    "setting it here makes it constant."
)


class Lever(BaseModel):
    """One input of the explorer page.

    ``kind`` is ``number`` (a parameter's value) or ``toggle`` (a true/false
    field). A number lever with ``off_value`` also has a switch: switched
    off, the page sends ``off_value`` instead of the number (the Guard's
    headcount is 0 when it is not deployed).
    """

    path: str
    label: str
    group: str
    kind: Literal["number", "toggle"]
    value: float | bool
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    off_value: float | None = None
    switch_label: str | None = None
    off_label: str | None = None
    note: str = ""


def scenario_levers(sc: Scenario) -> list[Lever]:
    """The levers of ``sc`` with its own values as defaults.

    A number lever's unit, value and note come from the parameter at its
    path, so the path is the only thing said about it here.
    """
    params = dict(iter_params(sc))

    def number(path: str, label: str, group: str, step: float, **kw: Any) -> Lever:
        p = params[path]
        note = VARIES_NOTE if p.time_varying else ""
        return Lever(
            path=path,
            label=label,
            group=group,
            kind="number",
            value=p.at(sc.start_date),
            unit=p.unit,
            min=0.0,
            step=step,
            note=note,
            **kw,
        )

    levers = [
        number(f"workforce.{key}.headcount", f"{AGENCY_LABELS[key]} staff", "Staff per agency", 50)
        for key in sc.workforce.deployed()
    ]
    if sc.support.national_guard is not None:
        levers.append(
            number(
                "support.national_guard.headcount",
                "National Guard troops",
                "Support",
                500,
                off_value=0.0,
                switch_label="Guard deployed",
                off_label="Guard not deployed",
            )
        )
    return [
        *levers,
        number("target.arrests_per_day", "Arrest target", "Target", 100),
        number("detention.beds", "Detention beds", "Pipeline", 1000),
        seats_lever(sc),
        Lever(
            path="regime.enabled",
            label="Bottom-fraction regime",
            group="Management regime",
            kind="toggle",
            value=sc.regime.enabled,
            switch_label="Regime on",
        ),
        number(
            "regime.bottom_fraction",
            "Bottom fraction of offices",
            "Management regime",
            0.05,
            max=1.0,
        ),
    ]


def seats_lever(sc: Scenario) -> Lever:
    """Removal seats per day: the scenario's total, or the total of its breakdown (flights x
    seats per flight + land removals), which setting the lever replaces."""
    total = sc.transport.seats_per_day
    if total is not None:
        value = total.at(sc.start_date)
        note = VARIES_NOTE if total.time_varying else ""
    else:
        value = float(sc.transport.seats_total(sc.start_date, 1)[0])
        note = (
            "The scenario gives removal capacity as flights x seats per flight (+ land "
            "removals); shown: their total on the start date. Setting it here replaces that "
            "breakdown with this constant total."
        )
    return Lever(
        path="transport.seats_per_day",
        label="Removal seats",
        group="Pipeline",
        kind="number",
        value=value,
        unit="seats/day",
        min=0.0,
        step=50,
        note=note,
    )

"""The main levers of a scenario, as the explorer page shows them.

Each lever is one override path (the same paths as ``--set``), so a page,
a script or a curl call that sets a lever goes through the same validation
as a scenario file. The list is built from the scenario itself: only
agencies that are deployed get a staff lever, and the Guard switch appears
only where the scenario has a Guard section.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from atlarge.scenario import AGENCY_LABELS, Param, Scenario


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


def _number(path: str, p: Param, label: str, group: str, step: float, **kw: Any) -> Lever:
    note = (
        "Varies over time in the scenario; setting it here makes it constant."
        if p.time_varying
        else ""
    )
    return Lever(
        path=path,
        label=label,
        group=group,
        kind="number",
        value=p.value,
        unit=p.unit,
        min=0.0,
        step=step,
        note=note,
        **kw,
    )


def scenario_levers(sc: Scenario) -> list[Lever]:
    """The levers of ``sc`` with its own values as defaults."""
    levers = [
        _number(
            f"workforce.{key}.headcount",
            agency.headcount,
            f"{AGENCY_LABELS[key]} staff",
            "Staff per agency",
            50,
        )
        for key, agency in sc.workforce.deployed().items()
    ]
    guard = sc.support.national_guard
    if guard is not None:
        levers.append(
            _number(
                "support.national_guard.headcount",
                guard.headcount,
                "National Guard troops",
                "Support",
                500,
                off_value=0.0,
                switch_label="Guard deployed",
                off_label="Guard not deployed",
            )
        )
    levers += [
        _number(
            "target.arrests_per_day", sc.target.arrests_per_day, "Arrest target", "Target", 100
        ),
        _number("detention.beds", sc.detention.beds, "Detention beds", "Pipeline", 1000),
        _number(
            "transport.seats_per_day", sc.transport.seats_per_day, "Removal seats", "Pipeline", 50
        ),
        Lever(
            path="regime.enabled",
            label="Bottom-fraction regime",
            group="Management regime",
            kind="toggle",
            value=sc.regime.enabled,
            switch_label="Regime on",
        ),
        _number(
            "regime.bottom_fraction",
            sc.regime.bottom_fraction,
            "Bottom fraction of offices",
            "Management regime",
            0.05,
            max=1.0,
        ),
    ]
    return levers

"""Schedules against the horizon: what a run will silently not use.

A schedule entry dated after the last simulated day is never applied; one on
or before the start date applies from day 1, so the base value (and any
earlier entry) is never used. Neither is an error in itself (a scenario may be
run over a shorter ``--days``, or extend one with an earlier start date), so
they are warnings, computed for the horizon the run actually has. Dates so far
away that no run could use them are refused by the schema instead
(``Scenario._schedules``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from atlarge.scenario.params import MAX_HORIZON_DAYS, fmt_number, iter_param_specs
from atlarge.scenario.schema import Scenario


@dataclass(frozen=True)
class ScenarioWarning:
    """Something a run will do that the file may not mean: field path and message."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def scenario_warnings(scenario: Scenario, days: int | None = None) -> list[ScenarioWarning]:
    """Warnings for a run of ``scenario`` over ``days`` (default: the scenario's horizon).

    ``days`` is clamped to 1..MAX_HORIZON_DAYS: a run outside that is refused anyway.
    """
    days = min(max(scenario.days if days is None else days, 1), MAX_HORIZON_DAYS)
    start = scenario.start_date
    last = start + dt.timedelta(days=days - 1)
    out: list[ScenarioWarning] = []
    for path, p, _spec in iter_param_specs(scenario):
        if not p.schedule or path.startswith("reported."):
            continue  # reported figures document the operation; the model does not read them
        dates = sorted(p.schedule)
        early = [d for d in dates if d <= start]
        late = [d for d in dates if d > last]
        if early:
            first = early[-1]
            msg = (
                f"schedule entry {first} is on or before the start date {start}: its value "
                f"{fmt_number(p.schedule[first])} applies from day 1, so the base value "
                f"{fmt_number(p.value)} is never used"
            )
            if len(early) > 1:
                msg += f"; nor are the earlier entries {_listing(early[:-1])}"
            out.append(ScenarioWarning(f"{path}.schedule", msg))
        if late:
            entries = "entry" if len(late) == 1 else "entries"
            out.append(
                ScenarioWarning(
                    f"{path}.schedule",
                    f"schedule {entries} {_listing(late)} after the last simulated day {last} "
                    f"({days} days from {start}): never applied",
                )
            )
    return out


def _listing(dates: list[dt.date]) -> str:
    return ", ".join(d.isoformat() for d in dates)


__all__ = ["ScenarioWarning", "scenario_warnings"]

"""Which capacity binds: for each day, the share of replications in which each capacity of
the pipeline was full at the end of the day.

An operation is held back by whichever stage is full. Book-in, beds, judges and seats each
leave a trace in the national series when they are full, so the question "what stops the
operation, and from when?" can be answered from a run's output without touching the
engine:

- book-in: someone waits to be booked in at the end of the day (``processing_backlog > 0``);
- beds: someone waits in short-term holding, is released for lack of beds, is not arrested
  or not taken from the border for lack of room, or the national detained population is at
  or above the national beds (``held``, ``released_capacity``, ``arrests_forgone_capacity``,
  ``border_refused`` > 0, or ``detained >= beds``);
- judges: a detained case waits for a judge at the end of the day
  (``court_detained_waiting > 0``; only with [courts]);
- seats: someone with a removal order waits for a seat at the end of the day
  (``removal_queue > 0``: the day's seats were all used, since seats are shared over the
  national queue and never left idle while it has anyone).

A capacity "binds first" on the first day its share of replications passes one half: from
that day it is full in most replications (the majority sense of a median day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from atlarge.analysis.kpis import beds_full
from atlarge.model import ModelOutput

MAJORITY = 0.5
"""A capacity binds on a day when it is full in more than this share of replications."""


@dataclass(frozen=True)
class Constraint:
    """A capacity that can be full, in words."""

    key: str
    label: str
    definition: str
    needs: str | None = None  # the mechanism without which it does not exist


CONSTRAINTS: dict[str, Constraint] = {
    c.key: c
    for c in (
        Constraint(
            "book_in",
            "Book-in",
            "Someone waits to be booked in at the end of the day (book-in backlog above 0).",
        ),
        Constraint(
            "beds",
            "Beds",
            "Someone waits in short-term holding or is released, not arrested or not taken "
            "from the border for lack of beds, or the detention population is at or above "
            "the beds.",
        ),
        Constraint(
            "judges",
            "Judges (detained docket)",
            "A detained case waits for a judge's decision at the end of the day (the "
            "non-detained docket always has cases waiting, so it is not what counts here).",
            needs="courts",
        ),
        Constraint(
            "seats",
            "Seats",
            "Someone with a removal order waits for a transport seat at the end of the day "
            "(all the day's seats were used).",
        ),
    )
}
"""The capacities, in pipeline order."""

SERIES_USED = (
    "processing_backlog",
    "held",
    "released_capacity",
    "arrests_forgone_capacity",
    "border_refused",
    "detained",
    "court_detained_waiting",
    "removal_queue",
)
"""The national daily series the constraints are read from."""


@dataclass(frozen=True)
class Binding:
    """Day-by-day shares of replications in which each capacity binds, and the first day
    (1 = the start date) on which each binds in most replications (None: never)."""

    share: dict[str, np.ndarray]  # constraint key -> (days,) share in [0, 1]
    first_day: dict[str, int | None]

    def first(self) -> list[str]:
        """The capacities that bind earliest (several on a tie; none if none ever binds)."""
        days = [d for d in self.first_day.values() if d is not None]
        if not days:
            return []
        return [k for k, d in self.first_day.items() if d == min(days)]


def full_days(
    national: Mapping[str, np.ndarray], beds: np.ndarray, *, courts: bool
) -> dict[str, np.ndarray]:
    """Per constraint, a ``(reps, days)`` bool array: full at the end of that day.

    ``national`` maps each series of :data:`SERIES_USED` to its ``(reps, days)`` national
    values (``court_detained_waiting`` only needed with ``courts``); ``beds`` is the
    national beds, ``(days,)`` or ``(reps, days)``. Judges are left out without courts.
    """
    # Full as the KPI day_detention_full counts it, or arrests and border transfers not
    # taken in for lack of room (under hold with no holding, nobody waits in holding).
    not_taken = (np.asarray(national["arrests_forgone_capacity"]) > 0) | (
        np.asarray(national["border_refused"]) > 0
    )
    full = {
        "book_in": np.asarray(national["processing_backlog"]) > 0,
        "beds": beds_full(national, beds) | not_taken,
        "judges": np.asarray(national["court_detained_waiting"]) > 0 if courts else None,
        "seats": np.asarray(national["removal_queue"]) > 0,
    }
    return {k: v for k, v in full.items() if v is not None}


def first_majority_day(share: np.ndarray, majority: float = MAJORITY) -> int | None:
    """The first day (1 = the start date) whose share passes ``majority``; None if none."""
    above = np.asarray(share) > majority
    return int(np.argmax(above)) + 1 if above.any() else None


def binding_of(full: Mapping[str, np.ndarray]) -> Binding:
    """Shares over replications (axis 0) of each constraint's full days, and first days."""
    share = {k: np.asarray(v, dtype=bool).mean(axis=0) for k, v in full.items()}
    return Binding(share, {k: first_majority_day(s) for k, s in share.items()})


def binding(out: ModelOutput) -> Binding:
    """Which capacity binds, day by day, in a run (see the module's docstring)."""
    courts = out.inputs.courts_on
    keys = [k for k in SERIES_USED if courts or k != "court_detained_waiting"]
    national = {k: out.national(k) for k in keys}
    return binding_of(full_days(national, out.beds_national, courts=courts))


def _names(keys: list[str]) -> str:
    words = [CONSTRAINTS[k].label.lower() for k in keys]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def binding_text(b: Binding, dates: list[str] | None = None) -> str:
    """A short sentence: which capacity binds first (is full in most replications first),
    on which day; then the others in the order they bind, and those that never do."""

    def when(day: int) -> str:
        return f"day {day}" + (f" ({dates[day - 1]})" if dates is not None else "")

    order = sorted((d, k) for k, d in b.first_day.items() if d is not None)
    never = [k for k, d in b.first_day.items() if d is None]
    if not order:
        return "No capacity is full in most replications on any day."
    text = f"First to bind: {_names(b.first())}, full in most replications on "
    text += when(order[0][0])
    later = [(d, k) for d, k in order if k not in b.first()]
    if later:
        text += "; then " + "; ".join(f"{_names([k])}, on {when(d)}" for d, k in later)
    text += "."
    if never:
        text += f" Never full in most replications: {_names(never)}."
    return text


def binding_json(out: ModelOutput) -> dict[str, object]:
    """What a client needs to draw the chart: each constraint's label, definition, daily
    share (rounded to 4 places) and first day, and the sentence that says which binds first."""
    b = binding(out)
    dates = out.inputs.dates.astype("datetime64[D]").astype(str).tolist()
    return {
        "majority": MAJORITY,
        "constraints": [
            {
                "key": k,
                "label": CONSTRAINTS[k].label,
                "definition": CONSTRAINTS[k].definition,
                "share": np.round(s, 4).tolist(),
                "first_day": b.first_day[k],
            }
            for k, s in b.share.items()
        ],
        "text": binding_text(b, dates),
    }

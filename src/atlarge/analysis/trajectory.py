"""How 2025 unfolded, month by month: ``data/trajectory-2025.csv``, typed.

Hand-transcribed from ``shared/data/trajectory-2025.csv`` (through September
2025; later months are withheld on purpose, the model is judged on forecasting
them). One row per observation: a multi-value cell of the sheet ("Feb 622; Mar
623; ...") becomes one row per month, the FY2025 book-ins one row per month and
agency. Each row keeps the text it was read from (``published_as``, a substring
of the sheet's value cell), the source and the confidence as published.

Dates. ``start`` and ``end`` are both included: a snapshot has ``start == end``,
a month average covers the month, "2025-01-20..2025-04-29" keeps both ends (100
days). ``dates_approx`` marks rows whose dates were read from loose text
("mid-June" dated June 15, "late Sep" read as Sep 21-30, ...); the note says how.

Kinds. ``mean_per_day``: the average daily count over [start, end];
``snapshot``: a level on one day; ``total``: a count over [start, end];
``share``: a fraction on one day; ``mean``: an average per person over the
period (average length of stay); ``peak``: the largest value within [start,
end] (a single-day arrest peak, "up to ~1,700" Guard) -- never a period average.

Use. ``fit``: may be fitted. ``check``: the sheet says "use only as cross-check";
shown beside the fit, never fitted. ``context``: peaks, one-sided bounds
("<600/day", ">1,100") and inputs (the Guard mobilised); never fitted.

Confidence class, from the published confidence text by its leading words
(:func:`confidence_class`): "FROM MEMORY..." -> ``from_memory``; "Medium-high"
-> ``medium_high``; "High" -> ``high``; "Medium" -> ``medium``; "Low" -> ``low``.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

Kind = Literal["mean_per_day", "snapshot", "total", "share", "mean", "peak"]
Use = Literal["fit", "check", "context"]
ConfidenceClass = Literal["high", "medium_high", "medium", "low", "from_memory"]

RECORD_START = date(2024, 10, 1)
"""The first day the record covers (FY2025 begins)."""
RECORD_END = date(2025, 9, 30)
"""The last day the record covers. Nothing later is in it, on purpose."""

RELATIVE_SD: dict[str, float] = {
    "high": 0.03,
    "medium_high": 0.06,
    "medium": 0.12,
    "low": 0.25,
    "from_memory": 0.40,
}
"""ASSUMPTION: relative observation error (one standard deviation / value) by
confidence class. Not published by any source; chosen so a figure seen in an
agency's own release is trusted to a few percent and an aggregator's to a
quarter. Plausible range: high 0.02-0.05, medium_high 0.04-0.10, medium
0.08-0.20, low 0.15-0.40, from_memory 0.30-0.60 (or excluded). The fit should
be checked against the range's ends."""


def confidence_class(text: str) -> ConfidenceClass:
    """The class of a published confidence text, by its leading words.

    "Medium-high for ~158k; exact digits FROM MEMORY" leads with "Medium-high" and
    is ``medium_high``; only a text that starts "FROM MEMORY" is ``from_memory``.
    """
    t = text.strip().lower()
    if t.startswith("from memory"):
        return "from_memory"
    for prefix, cls in (
        ("medium-high", "medium_high"),
        ("high", "high"),
        ("medium", "medium"),
        ("low", "low"),
    ):
        if t.startswith(prefix):
            return cls  # type: ignore[return-value]
    raise ValueError(f"unrecognised confidence text: {text!r}")


class Observation(BaseModel):
    model_config = ConfigDict(frozen=True)

    series: str
    start: date
    end: date
    value: float
    low: float | None = None
    high: float | None = None
    unit: str
    kind: Kind
    use: Use
    source: str
    confidence: str
    confidence_class: ConfidenceClass
    published_as: str
    note: str = ""
    dates_approx: bool = False

    @field_validator("low", "high", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @model_validator(mode="after")
    def _consistent(self) -> Observation:
        if self.start > self.end:
            raise ValueError(f"{self.series}: start {self.start} after end {self.end}")
        if self.kind in ("snapshot", "share") and self.start != self.end:
            raise ValueError(f"{self.series}: a {self.kind} is one day")
        if self.low is not None and self.low > self.value:
            raise ValueError(f"{self.series}: low above value")
        if self.high is not None and self.high < self.value:
            raise ValueError(f"{self.series}: high below value")
        if self.confidence_class != confidence_class(self.confidence):
            raise ValueError(f"{self.series}: class does not follow the confidence text")
        return self

    @property
    def days(self) -> int:
        """Days covered, both ends included."""
        return (self.end - self.start).days + 1


@lru_cache(maxsize=1)
def load_trajectory() -> tuple[Observation, ...]:
    text = resources.files("atlarge.data").joinpath("trajectory-2025.csv").read_text()
    return tuple(Observation.model_validate(r) for r in csv.DictReader(text.splitlines()))


def series(name: str, use: Use | None = None) -> tuple[Observation, ...]:
    """Observations of one series in date order (of ``use`` only, if given)."""
    rows = [o for o in load_trajectory() if o.series == name and (use is None or o.use == use)]
    return tuple(sorted(rows, key=lambda o: (o.start, o.end)))


def fitted() -> tuple[Observation, ...]:
    """The observations a fit may use (``use == "fit"``); checks and context never."""
    return tuple(o for o in load_trajectory() if o.use == "fit")


def relative_sd(obs: Observation) -> float:
    """The observation's relative error (sd / value): an ASSUMPTION, see ``RELATIVE_SD``.

    The class's value, widened when the sheet published a range: half the range
    over the value is a floor ("~39,000-40,000" -> at least 500 / 39,500). A
    one-sided bound (only ``low`` or only ``high``) does not widen it; such rows
    are context and never fitted. ``from_memory`` rows get 0.40; none is in the
    2025 record.
    """
    sd = RELATIVE_SD[obs.confidence_class]
    if obs.low is not None and obs.high is not None and obs.value:
        sd = max(sd, (obs.high - obs.low) / 2 / abs(obs.value))
    return sd


def day_range(obs: Observation, start_date: date) -> tuple[int, int]:
    """Days [a, b) the observation covers, counted from ``start_date`` (day 0).

    ``b`` is exclusive: a snapshot on the scenario's first day is (0, 1); the month
    of February from a January 1 start is (31, 59). ``a`` is negative for an
    observation that begins before the scenario (e.g. the Oct-Dec 2024 book-ins
    against a 2025-01-20 start); a fit either warms up over those days or drops it.
    """
    return (obs.start - start_date).days, (obs.end - start_date).days + 1


month_index = day_range
"""The same function under the name the fit's brief uses."""

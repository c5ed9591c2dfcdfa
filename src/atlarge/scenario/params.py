"""A parameter from the world, with its unit and provenance.

Every number a scenario takes from the world is a :class:`Param`: a value, a
unit, and either a source (publisher, document, date, confidence: a
:class:`~atlarge.scenario.sources.Source`) or, for a behavioural
assumption, the flag ``assumption = true`` with a range and a one-line
rationale. A parameter may vary over time: ``schedule`` maps dates to the
value in force from that date on.

Each field of the scenario schema declares the unit it expects and the bounds
its values must respect (``ParamSpec``); a file that gives another unit or a
value out of bounds is rejected with the field's path. Every spec has an upper
bound, a physical limit far above anything real (the constants below say
why), so that no value the schema accepts can overflow the integers the model
counts in.

Types are strict: a number is a TOML integer or float, never a boolean or a
string; a flag is ``true``/``false``; text is a string; a date is a TOML date.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from atlarge.scenario.sources import SourceField

# ----------------------------------------------------------------- physical limits
# Each is far above anything the world has run, so no real scenario meets it,
# and low enough that every count the model derives from it stays exact in
# float64 and fits the integers it is kept in (int64 while stepping, int32 per
# office and day in the results; see ``MAX_PERSONS_EVER`` in schema.py).

MAX_HORIZON_DAYS = 3650
"""The longest horizon a scenario may have (ten years; ``Scenario.days``)."""
MAX_AGENTS = 1_000_000
"""Agents per agency: ~7x all US federal officers with arrest powers (~137,000; BJS 2020)."""
MAX_TROOPS = 1_000_000
"""Troops: more than twice the whole National Guard (~430,000)."""
MAX_BEDS = 10_000_000
"""Beds: 5x the whole US prison and jail population (~1.9 million); ICE peaked near 61,000."""
MAX_PERSONS = 100_000_000
"""A pool or a detained population: ~7x the estimated unauthorized population (~14 million)."""
MAX_PERSONS_PER_DAY = 100_000
"""Inflows per day: ~10x the highest daily border encounters on record (~10,000 in Dec 2023)."""
MAX_PER_DAY = 1_000_000
"""Arrests, book-ins or seats per day: ~35x all arrests by all US police (~10 million a year)."""
MAX_FLIGHTS_PER_DAY = 2_500
"""Removal flights per day: ~5% of all US commercial departures (~45,000 a day); ICE Air
flew fewer than 10 a day on average in 2024. At ``MAX_SEATS_PER_FLIGHT`` seats each this
is ``MAX_PER_DAY`` seats."""
MAX_SEATS_PER_FLIGHT = 400
"""Seats on one removal flight: the largest aircraft chartered for removals (wide-bodies
such as the Boeing 767/777) seat about 250-400; the usual 737/A320 charters about 135-180."""
MAX_POST_ORDER_LIMIT_DAYS = 730
"""A post-order detention limit: two years, four times the six months of Zadvydas v. Davis."""
MAX_JUDGES = 100_000
"""Immigration judges: more than three times all US state trial judges (~30,000) and ~140x
the 2025 bench (about 600-735)."""
MAX_PER_PERSON_DAY = 100.0
"""Arrests per agent-day, book-ins or seats per troop-day: one every 15 minutes, round the clock."""
MAX_USD_PER_DAY = 100_000.0
"""USD per agent-, troop-, bed- or participant-day: ~100x a fully loaded federal agent-day."""
MAX_USD_PER_CASE = 10_000_000.0
"""USD per book-in, case or removal: more than ten chartered long-haul flights for one person."""
MAX_REPORTED = 1e15
"""A reported figure in any unit: above any public total (US GDP is ~3e13 USD)."""
LARGEST_BOUND = 2.0**53
"""No spec may allow more: every whole number up to here is exact in float64 and fits int64."""

# ----------------------------------------------------------------- strict scalar types

Number = Annotated[float, Strict()]
"""A TOML integer or float; never a boolean or a string."""


def _schedule_date(v: Any) -> dt.date:
    """A schedule key: TOML table keys are strings, so ``YYYY-MM-DD`` text or a date."""
    if isinstance(v, dt.datetime):
        raise ValueError("schedule dates are dates (YYYY-MM-DD), not date-times")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return dt.date.fromisoformat(v)
        except ValueError as exc:
            raise ValueError(f"'{v}' is not a calendar date ({exc})") from None
    raise ValueError("schedule dates are written YYYY-MM-DD")


ScheduleDate = Annotated[dt.date, BeforeValidator(_schedule_date)]


def fmt_number(x: float) -> str:
    """A bound or value for a message: ``10,000,000``, ``0.5``, ``1e+19``."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e16:
        return f"{int(x):,}"
    return f"{x:g}"


class FitNote(BaseModel):
    """How a fitted value was obtained: method, and the figures it was fitted on."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    method: str = Field(min_length=1)
    fitted_on: list[str] = Field(min_length=1, description="Figures, e.g. 'arrests FY2024'.")
    statistic: str | None = None


class Param(BaseModel):
    """A quantity with unit and provenance; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    value: float
    unit: str
    source: SourceField | None = None
    assumption: bool = False
    rationale: str | None = None
    # TOML arrays are lists: the pair itself is lax, its two numbers strict.
    range: Annotated[tuple[Number, Number] | None, Field(strict=False)] = None
    distribution: Literal["uniform", "triangular"] | None = None
    schedule: Annotated[dict[ScheduleDate, Number] | None, Field(strict=False)] = None
    fitted: FitNote | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        if self.assumption:
            if self.range is None:
                raise ValueError("an assumption needs a range = [low, high]")
            if not self.rationale or not self.rationale.strip():
                raise ValueError("an assumption needs a one-line rationale")
        elif self.source is None:
            raise ValueError(
                "a parameter from the world needs a source (or assumption = true with a range "
                "and a rationale)"
            )
        if self.range is not None:
            lo, hi = self.range
            if lo > hi:
                raise ValueError(f"range [{lo}, {hi}] has low above high")
            for v in self.values():
                if not lo <= v <= hi:
                    raise ValueError(f"value {v} lies outside its range [{lo}, {hi}]")
        if self.distribution is not None and self.range is None:
            raise ValueError("a distribution needs a range")
        return self

    def values(self) -> list[float]:
        """Every value the parameter takes (the base value and each scheduled one)."""
        return [self.value, *(self.schedule or {}).values()]

    @property
    def time_varying(self) -> bool:
        return bool(self.schedule)

    def daily(self, start: dt.date, days: int) -> np.ndarray:
        """The value in force on each of ``days`` days from ``start``."""
        out = np.full(days, self.value, dtype=np.float64)
        for when, v in sorted((self.schedule or {}).items()):
            first = (when - start).days
            out[max(first, 0) :] = v
        return out

    def at(self, when: dt.date) -> float:
        """The value in force on ``when``."""
        value = self.value
        for date, v in sorted((self.schedule or {}).items()):
            if date <= when:
                value = v
        return value


ANY_UNIT = None
"""``ParamSpec.unit`` for a field that takes any unit (reported figures)."""


@dataclass(frozen=True)
class ParamSpec:
    """What a schema field expects of its parameter: unit and bounds.

    ``le`` (the upper bound) is required and finite, so that no field can
    forget one; ``ge`` defaults to 0. Bounds apply to the value, every
    scheduled value and both ends of the range.
    """

    unit: str | None
    le: float
    ge: float | None = 0.0
    gt: float | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.le, int | float) and math.isfinite(self.le)):
            raise TypeError(f"ParamSpec({self.unit!r}): le must be a finite number")
        if abs(self.le) > LARGEST_BOUND or abs(self.ge or 0.0) > LARGEST_BOUND:
            raise TypeError(f"ParamSpec({self.unit!r}): bounds must lie within +-2**53")

    def __call__(self, param: Param) -> Param:
        if self.unit is not ANY_UNIT and param.unit != self.unit:
            raise ValueError(f"unit is '{param.unit}', expected '{self.unit}'")
        for v in self.values_of(param):
            problem = self.problem(v)
            if problem:
                raise ValueError(problem)
        return param

    @staticmethod
    def values_of(param: Param) -> list[float]:
        """The value, each scheduled value and the range ends: everything bounded."""
        return [*param.values(), *(param.range or ())]

    def problem(self, v: float) -> str | None:
        """What is wrong with ``v`` for this field, or None."""
        unit = f" ({self.unit})" if self.unit else ""
        shown = fmt_number(v)
        if not np.isfinite(v):
            return f"value {shown} is not a finite number"
        if self.ge is not None and v < self.ge:
            return f"value {shown} is below the minimum {fmt_number(self.ge)}{unit}"
        if self.gt is not None and v <= self.gt:
            return f"value {shown} must be above {fmt_number(self.gt)}{unit}"
        if v > self.le:
            return f"value {shown} is above the maximum {fmt_number(self.le)}{unit}"
        return None


def P(unit: str | None, *, le: float, ge: float | None = 0.0, gt: float | None = None):
    """Annotated ``Param`` type for a schema field expecting ``unit`` within bounds.

    ``le`` is required: state the physical limit and say why in a comment.
    """
    return Annotated[Param, AfterValidator(ParamSpec(unit, le=le, ge=ge, gt=gt))]


def constant(*fields: str, why: str) -> Any:
    """A validator refusing a dated value (a ``schedule``) for ``fields``, saying ``why``
    nothing would read one: ``_constant = constant("amount", why="...")`` in a section."""

    def check(cls: type, p: Param | None) -> Param | None:
        if p is not None and p.time_varying:
            raise ValueError(f"cannot vary over time ({why})")
        return p

    return field_validator(*fields)(check)


Fraction = P("fraction", ge=0.0, le=1.0)
Days = P("days", ge=0.0, le=MAX_HORIZON_DAYS)
PositiveDays = P("days", gt=0.0, le=MAX_HORIZON_DAYS)


# ----------------------------------------------------------------- specs of a scenario


def spec_in(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> ParamSpec | None:
    """The ``ParamSpec`` declared by a field annotation (through Annotated, unions, dicts)."""
    for m in metadata:
        if isinstance(m, AfterValidator) and isinstance(m.func, ParamSpec):
            return m.func
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *meta = get_args(annotation)
        return spec_in(inner, meta)
    for arg in get_args(annotation) if origin is not None else ():
        found = spec_in(arg)
        if found is not None:
            return found
    return None


def mentions_param(annotation: Any) -> bool:
    """Whether a field annotation can hold a :class:`Param` (directly or in a dict/union)."""
    if annotation is Param:
        return True
    return any(mentions_param(a) for a in get_args(annotation))


def _dict_values(annotation: Any) -> Any:
    """The value annotation of ``dict[K, V]`` inside ``annotation`` (or None)."""
    origin = get_origin(annotation)
    if origin is dict:
        return get_args(annotation)[1]
    if origin is Annotated or origin is Union or type(annotation).__name__ == "UnionType":
        for arg in get_args(annotation):
            found = _dict_values(arg)
            if found is not None:
                return found
    return None


def iter_param_specs(
    obj: Any, prefix: str = "", annotation: Any = None, metadata: tuple[Any, ...] = ()
) -> Iterator[tuple[str, Param, ParamSpec | None]]:
    """Yield ``(path, Param, ParamSpec)`` for every parameter of a validated model.

    The spec is the one declared on the field that holds the parameter, so a
    caller can check values against the bounds the schema promises.
    """
    if isinstance(obj, Param):
        yield prefix, obj, spec_in(annotation, metadata)
        return
    if isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            yield from iter_param_specs(
                getattr(obj, name), path, field.annotation, tuple(field.metadata)
            )
    elif isinstance(obj, dict):
        inner = _dict_values(annotation)
        for key, value in obj.items():
            yield from iter_param_specs(value, f"{prefix}.{key}", inner)


def unbounded_param_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Fields of ``model`` (and the models below it) that hold a Param without a spec."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        if mentions_param(field.annotation) and spec_in(field.annotation, field.metadata) is None:
            out.append(path)
        for sub in _models_in(field.annotation):
            out += unbounded_param_fields(sub, path + ".")
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [] if annotation is Param else [annotation]
    return [m for a in get_args(annotation) for m in _models_in(a)]


__all__ = [
    "ANY_UNIT",
    "Days",
    "Field",
    "FitNote",
    "Fraction",
    "Number",
    "P",
    "Param",
    "ParamSpec",
    "PositiveDays",
    "ScheduleDate",
    "constant",
    "iter_param_specs",
    "unbounded_param_fields",
]

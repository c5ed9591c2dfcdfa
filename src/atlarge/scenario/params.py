"""A parameter from the world, with its unit and provenance.

Every number a scenario takes from the world is a :class:`Param`: a value, a
unit, and either a source (publisher, document, date) or, for a behavioural
assumption, the flag ``assumption = true`` with a range and a one-line
rationale. A parameter may vary over time: ``schedule`` maps dates to the
value in force from that date on.

Each field of the scenario schema declares the unit it expects and the bounds
its values must respect (``ParamSpec``); a file that gives another unit or a
value out of bounds is rejected with the field's path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


class FitNote(BaseModel):
    """How a fitted value was obtained: method, and the figures it was fitted on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(min_length=1)
    fitted_on: list[str] = Field(min_length=1, description="Figures, e.g. 'arrests FY2024'.")
    statistic: str | None = None


class Param(BaseModel):
    """A quantity with unit and provenance; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    unit: str
    source: str | None = None
    assumption: bool = False
    rationale: str | None = None
    range: tuple[float, float] | None = None
    distribution: Literal["uniform", "triangular"] | None = None
    schedule: dict[dt.date, float] | None = None
    fitted: FitNote | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        if self.source is not None and not self.source.strip():
            raise ValueError("source is empty")
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


@dataclass(frozen=True)
class ParamSpec:
    """What a schema field expects of its parameter: unit and bounds."""

    unit: str
    ge: float | None = None
    le: float | None = None
    gt: float | None = None

    def __call__(self, param: Param) -> Param:
        if param.unit != self.unit:
            raise ValueError(f"unit is '{param.unit}', expected '{self.unit}'")
        bounds = [param.value, *(param.schedule or {}).values()]
        if param.range is not None:
            bounds += list(param.range)
        for v in bounds:
            if not np.isfinite(v):
                raise ValueError(f"value {v} is not a finite number")
            if self.ge is not None and v < self.ge:
                raise ValueError(f"value {v} is below the minimum {self.ge:g} ({self.unit})")
            if self.gt is not None and v <= self.gt:
                raise ValueError(f"value {v} must be above {self.gt:g} ({self.unit})")
            if self.le is not None and v > self.le:
                raise ValueError(f"value {v} is above the maximum {self.le:g} ({self.unit})")
        return param


def P(unit: str, *, ge: float | None = 0.0, le: float | None = None, gt: float | None = None):
    """Annotated ``Param`` type for a schema field expecting ``unit`` within bounds."""
    return Annotated[Param, AfterValidator(ParamSpec(unit, ge=ge, le=le, gt=gt))]


Fraction = P("fraction", ge=0.0, le=1.0)
Days = P("days", ge=0.0)
PositiveDays = P("days", gt=0.0)

__all__ = ["Days", "Field", "FitNote", "Fraction", "P", "Param", "ParamSpec", "PositiveDays"]

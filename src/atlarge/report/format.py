"""How numbers are written for people: KPI values in their registry format, parameters,
schedules and settings (terminal tables, the HTML report, the API's formatted values).

What a KPI is called and which format it takes is the registry's (analysis/kpis.py); how
each format is written is here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from atlarge.analysis.kpis import KPIS, Format


def _in_days(key: str) -> bool:
    """A count of days (a mean wait): shown to a tenth of a day, since whole days would
    write a wait of 0.4 days as '0', the same as no wait at all."""
    kpi = KPIS[key]
    return kpi.format == "count" and kpi.unit == "days"


def format_value(key: str, value: float | None) -> str:
    """A KPI value as people read it, in the KPI's format (analysis/kpis.py): '1,234',
    '44.2%', '$7.72bn', 'day 8', '2.6' (a count of days); a day that never came reads
    'never', else 'n/a'."""
    if value is not None and _in_days(key):
        return f"{value:,.1f}"
    return format_as(KPIS[key].format, value)


def format_as(fmt: Format, value: float | None) -> str:
    """A value in one of the registry's formats (see :func:`format_value`)."""
    if value is None:
        return "never" if fmt == "day" else "n/a"
    if fmt == "percent":
        return f"{value:.1%}"
    if fmt == "usd":
        if abs(value) >= 1e9:
            return f"${value / 1e9:,.2f}bn"
        if abs(value) >= 1e6:
            return f"${value / 1e6:,.1f}m"
        return f"${value:,.0f}"
    if fmt == "day":
        return f"day {value:,.0f}"
    return f"{value:,.0f}"


def format_difference(key: str, value: float | None) -> str:
    """A difference of two KPI values: '+1,234', '-$886.6m', '+2.5 pts', '+3 days'. One
    that rounds to nothing reads without a sign in every format ('0', '0.0 pts', '0 days',
    never '-0.0 pts' or '+0 days'): a sign says which way B moved, and it did not."""
    fmt = KPIS[key].format
    if value is None:
        return "n/a"
    if fmt == "percent":
        text = f"{100 * abs(value):.1f} pts"
    elif fmt == "day":
        text = f"{abs(value):.0f} days"
    elif _in_days(key):
        text = f"{abs(value):,.1f}"
    else:
        text = format_as(fmt, abs(value))
    if not any(c in "123456789" for c in text):
        return text  # rounds to nothing: '0', not '-0'
    if value > 0:
        return "+" + text
    return "-" + text if value < 0 else text


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 draw', '2 draws', '1,000 replications'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


SIGNIFICANT = 6
"""Significant digits of parameter values shown to people (summary.json keeps them all)."""


def plain_number(value: Any) -> str:
    """A number as people write it, never in exponent form: '6,400,000', '0.054', '152.5'.
    Whole numbers in full; others to six significant digits, but never fewer than the
    whole part (summary.json keeps every digit). Booleans read 'true'/'false'; anything
    else that is not a number is shown as it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return f"{int(value):,}"
    magnitude = math.floor(math.log10(abs(value))) + 1  # digits before the point
    text = f"{value:,.{max(SIGNIFICANT - magnitude, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity(value: float | int, unit: str) -> str:
    """A value with its unit: '6,400,000 persons', '152 USD/bed-day'."""
    return f"{plain_number(value)} {unit}".rstrip()


def param_value(
    value: float,
    schedule: dict[str, float] | None,
    unit: str = "",
    start: dt.date | str | None = None,
) -> str:
    """A parameter's value as run, a schedule as a schedule:
    '41,500 from 2025-06-01, 60,000 from 2025-09-01 beds'. Without ``start`` the base value
    reads 'X at first'. A scheduled date on or before the start replaces the base value."""
    if not schedule:
        return quantity(value, unit)
    start_s = str(start) if start is not None else None
    steps: list[tuple[str | None, float]] = [(start_s, value)]
    for when, v in sorted((str(d), x) for d, x in schedule.items()):
        if start_s is not None and when <= start_s:
            steps[0] = (start_s, v)
        else:
            steps.append((when, v))
    parts = [
        f"{plain_number(v)} {'at first' if when is None else 'from ' + when}" for when, v in steps
    ]
    return f"{', '.join(parts)} ({unit})" if unit else ", ".join(parts)


def setting_value(path: str, value: object) -> str:
    """A setting (not a parameter) as people read it: 'true', 'transfer', 'all field offices',
    'absent' for an optional part left out."""
    if value is None:
        return "all field offices" if path == "offices.include" else "absent (not in this run)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_number(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)

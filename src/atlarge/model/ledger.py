"""Outlays charged to budget lines, by fiscal year, and how long each line lasts.

The model knows what each purpose costs each day; a scenario's budget lines say
which purposes each line pays for, how much it holds and on which days it may be
spent. This module charges the costs to the lines:

Day by day, and within a day purpose by purpose in :data:`PURPOSES` order, each
purpose's cost of the day is charged to the lines that cover it and are open that
day, in the lines' order (the order the scenario lists them, which is the order
they are drawn on: regular appropriations before a multi-year act, say), each
line up to what is left in it. What no line can pay is *unfunded*: with
``on_exhausted = "overspend"`` it was spent anyway and is reported; with
``"stop"`` the engine has already cut the spending, so it is zero for covered
purposes. A purpose no line covers at all is "not against a line" and lands in
``unfunded`` too; the caller tells the two apart with ``covers``.

Invariants: charges are never negative; what a line has been charged never
exceeds its amount; for every purpose and day, the charges to all lines plus the
unfunded cost equal the day's cost (up to float rounding).

A line's *runway* is the day its cumulative charges reach its amount; a line with
amount 0 is spent on the first day. Fiscal years are US federal ones: FY2026 runs
from 1 October 2025 to 30 September 2026.

Everything is vectorised over replications (amounts may be drawn, so they differ
between replications); the loops are over days, purposes and lines only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlarge.scenario.budget import PURPOSES

__all__ = [
    "PURPOSES",
    "Ledger",
    "by_fiscal_year",
    "charge_in_order",
    "charge_lines",
    "fiscal_years",
    "runway",
    "spent_day",
]


@dataclass(frozen=True)
class Ledger:
    """Where each day's costs went: to which line, or unpaid by any line."""

    charged: np.ndarray  # (R, L, D) USD charged to each line each day
    unfunded: np.ndarray  # (R, P, D) USD of each purpose no line could pay that day


def _check_charge_inputs(
    daily: np.ndarray, amounts: np.ndarray, covers: np.ndarray, open_: np.ndarray
) -> None:
    """Raise ValueError on shapes that disagree or negative money, which would silently
    break the invariants rather than fail."""
    if daily.ndim != 3 or amounts.ndim != 2 or covers.ndim != 2 or open_.ndim != 2:
        raise ValueError("daily must be (R, P, D), amounts (R, L), covers (L, P), open_ (L, D)")
    reps, purposes, days = daily.shape
    lines = covers.shape[0]
    if amounts.shape != (reps, lines):
        raise ValueError(f"amounts has shape {amounts.shape}, expected {(reps, lines)}")
    if covers.shape != (lines, purposes):
        raise ValueError(f"covers has shape {covers.shape}, expected {(lines, purposes)}")
    if open_.shape != (lines, days):
        raise ValueError(f"open_ has shape {open_.shape}, expected {(lines, days)}")
    if not (np.all(np.isfinite(daily)) and np.all(daily >= 0)):
        raise ValueError("daily costs must be finite and >= 0")
    if not (np.all(np.isfinite(amounts)) and np.all(amounts >= 0)):
        raise ValueError("line amounts must be finite and >= 0")


def charge_lines(
    daily: np.ndarray, amounts: np.ndarray, covers: np.ndarray, open_: np.ndarray
) -> Ledger:
    """Charge each purpose's daily cost to the lines, as the module docstring says.

    ``daily`` is (R, P, D) USD per purpose per day, its purpose axis in
    :data:`PURPOSES` order (the axis order is the charging order); ``amounts``
    (R, L) USD in each line; ``covers`` (L, P) whether line l pays for purpose p;
    ``open_`` (L, D) whether line l may be spent on day d. Lines are drawn on in
    axis order.

    Each charge is ``min(need, left in line)``, so a line's balance never goes
    below zero and a purpose fully paid leaves exactly zero unfunded.
    """
    daily = np.asarray(daily, dtype=float)
    amounts = np.asarray(amounts, dtype=float)
    covers = np.asarray(covers, dtype=bool)
    open_ = np.asarray(open_, dtype=bool)
    _check_charge_inputs(daily, amounts, covers, open_)
    reps, purposes, days = daily.shape
    charged = np.zeros((reps, covers.shape[0], days))
    unfunded = np.zeros_like(daily)
    left = amounts.copy()
    for d in range(days):
        for p in range(purposes):
            need = daily[:, p, d]
            if not need.any():
                continue
            unfunded[:, p, d] = charge_in_order(
                need, left, charged[:, :, d], covers[:, p] & open_[:, d]
            )
    return Ledger(charged=charged, unfunded=unfunded)


def charge_in_order(
    need: np.ndarray, left: np.ndarray, charged_today: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Draw ``need`` (R,) on the eligible lines in order, updating ``left`` and
    ``charged_today`` (both (R, L)) in place; return what is still unpaid (R,). The one
    charging rule: the engine pays beds and seats under stop with it too."""
    for line in np.flatnonzero(eligible):
        take = np.minimum(need, left[:, line])
        charged_today[:, line] += take
        left[:, line] -= take
        need = need - take
    return need


def fiscal_years(dates: np.ndarray) -> np.ndarray:
    """US federal fiscal year of each date (FY2026 = 2025-10-01..2026-09-30): the
    calendar year, plus one from October on."""
    days = np.asarray(dates, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return (year + (month >= 10)).astype(np.int64)


def by_fiscal_year(dates: np.ndarray, daily_total: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Sum daily amounts ``(..., D)`` (per replication, and per purpose if given) into
    (fiscal year, ``(...)`` sum) pairs, in fiscal-year order.

    A fiscal year only partly inside the window sums only its days in the window:
    the result is what the simulation spent, not a year's full outlay.
    """
    daily_total = np.asarray(daily_total, dtype=float)
    fys = fiscal_years(dates)
    if daily_total.ndim < 2 or daily_total.shape[-1] != fys.shape[0]:
        raise ValueError(f"daily_total must be (R, ..., {fys.shape[0]}), got {daily_total.shape}")
    return [(int(fy), daily_total[..., fys == fy].sum(axis=-1)) for fy in np.unique(fys)]


def spent_day(charged: np.ndarray, amounts: np.ndarray, rel_tol: float = 1e-9) -> np.ndarray:
    """(R, L) index of the first day each replication's line is spent, -1 if never.

    A line counts as spent once its cumulative charges reach ``amount x (1 - rel_tol)``:
    charges are sums of floats, and a line drawn to the last cent should not
    miss its day by rounding. A line of amount 0 is spent on day 0.
    """
    charged = np.asarray(charged, dtype=float)
    amounts = np.asarray(amounts, dtype=float)
    if charged.ndim != 3 or amounts.shape != charged.shape[:2]:
        raise ValueError(
            f"charged must be (R, L, D) and amounts (R, L); got {charged.shape}, {amounts.shape}"
        )
    reached = np.cumsum(charged, axis=2) >= (amounts * (1.0 - rel_tol))[:, :, None]
    first = (
        np.argmax(reached, axis=2) if charged.shape[2] else np.zeros(amounts.shape, dtype=np.int64)
    )
    return np.where(reached.any(axis=2), first, -1).astype(np.int64)


def runway(
    charged: np.ndarray, amounts: np.ndarray, dates: np.ndarray, rel_tol: float = 1e-9
) -> tuple[list[str | None], np.ndarray]:
    """Per line, the median date it is spent (ISO) or None, and the share of
    replications in which it is not spent within the window.

    The median is over all replications, a line not spent in the window counting as
    spent after it; so it is a date in the window exactly when at least half the
    replications spend the line there, and None ("beyond horizon") otherwise. It is
    the lower median of the day indices, so it is a day that was simulated rather
    than a midpoint between two.
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    spent = spent_day(charged, amounts, rel_tol)
    if spent.shape[0] == 0:
        raise ValueError("runway needs at least one replication")
    if days.shape != (np.asarray(charged).shape[2],):
        raise ValueError(f"dates must have one date per day ({np.asarray(charged).shape[2]})")
    within = spent >= 0
    beyond_share = 1.0 - within.mean(axis=0)
    after_window = np.where(within, spent, days.shape[0])
    median = np.quantile(after_window, 0.5, axis=0, method="lower")
    dates_p50 = [str(days[int(m)]) if m < days.shape[0] else None for m in median]
    return dates_p50, beyond_share

"""Money to capacity: beds procured and officers hired from a line of funds.

Pure, deterministic functions of plain numbers and arrays, so that the scenario layer
decides what a funding line, a bed kind or a hiring plan is and this module only turns
them into capacity over the simulated window. Nothing here is random: the plan is what
the money buys, the same in every replication; randomness stays in the daily pipeline.

Days are counted from the scenario's start (day 0). Money may open before day 0 and
last beyond the window (the functions allow it; :mod:`atlarge.model.money` starts a plan
on day 0 with what is left of a line open before it): planning runs on the whole
calendar from the day the money opens, so beds ordered or officers hired before day 0
are online (or on duty) inside the window, and rounds after the window still use up
funds. Outputs cover only the window ``[0, days)``. A dated input given over the window
(``positions``) takes its day-0 value for days before the window and its last value for
days after it.

The model's rules (for docs/model.md):

**Procurement.** Beds are ordered in rounds every ``round_days`` days from the day the
money opens, while the round day is before the day it closes (``until_day``, exclusive).
In each round the bed kinds are taken in the scenario's order of preference; of each kind
the round orders ``n`` whole beds, the least of: the kind's maximum per round (rounded
down), the beds still wanted (``target_added`` less the beds already ordered, of every
kind, rounded down), and the beds the funds left can pay for,
``floor(funds_left / (cost_per_bed_day * funded_days))`` with ``funded_days = until_day -
(round_day + lead_days)``. A kind whose beds would come online only when the money has
closed (``funded_days <= 0``) is skipped. Beds ordered are online from ``round_day +
lead_days`` until ``until_day`` (exclusive), and each is paid for every day it is online
(contracts with guaranteed minimums), so the plan commits ``n * cost_per_bed_day *
funded_days`` when it orders and never commits more than the funds.

A consequence of planning round by round without looking ahead: more money can mean
fewer beds on some days. A round that can afford one early bed, paid for many days,
spends what would otherwise have bought several later beds paid for fewer days; and a
preferred kind with a long lead time can take the funds (or the target) that a later,
quicker kind would have used. With one kind in one round, more money never gives fewer
beds.

**Hiring.** Academy classes start every ``round_days`` days from the day the money opens,
while the class day is before ``until_day``. A class takes ``n`` whole hires, the least of
the academy seats, the applicants, the funded positions not yet filled (positions on the
class day less hires so far) and the hires the funds left can pay for,
``floor(funds_left / (cost_per_hire + cost_per_officer_day * (until_day - graduation)))``
with ``graduation = class_day + academy_days``: each hire is committed as the hiring cost
(which covers the academy) plus pay from graduation to the end of the money, as if nobody
left. Hires leave at a constant rate, ``lam =
-ln(1 - attrition_per_year) / 365`` per day, so a class of ``n`` keeps ``n * exp(-lam *
(t - class_day))`` on day ``t``; they are in the academy for ``academy_days`` days and on
duty from graduation, where a graduate counts as ``min(1, (t - graduation + 1) /
ramp_days)`` of an experienced officer (fully at once when ``ramp_days`` is 0). Graduates
stay on duty after the money closes: who pays them then is outside this plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class BedKind:
    """One kind of detention bed the money can buy (existing contract beds, new
    facilities, soft-sided sites): each differs in how soon, how dear and how fast."""

    lead_days: int
    """Days from order to beds online (>= 0)."""
    cost_per_bed_day: float
    """USD per bed-day for this kind (> 0)."""
    max_added_per_month: float
    """Beds of this kind that can be ordered in one round (>= 0; rounded down)."""


@dataclass(frozen=True)
class ProcuredBeds:
    """What a procurement plan puts online inside the window, and what it commits."""

    online: np.ndarray
    """(K, days) int64: beds of each kind online each day of the window."""
    ordered: np.ndarray
    """(K, days) int64: beds of each kind ordered each day of the window. Rounds before
    day 0 are not shown here (see ``ordered_before``) but their beds are in ``online``;
    rounds after the window are in neither but are in ``committed``."""
    committed: float
    """USD committed by the plan (all rounds, whole calendar)."""
    ordered_before: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """(K,) int64: beds of each kind ordered in rounds before day 0, so a caller can
    count every bed the money added, not only those ordered inside the window."""


@dataclass(frozen=True)
class Hiring:
    """What a hiring plan yields inside the window, and what it commits."""

    hired: np.ndarray
    """(days,) float: hires (academy entrants) each day of the window."""
    in_academy: np.ndarray
    """(days,) float: hires in the academy that day (survivors of attrition)."""
    on_duty: np.ndarray
    """(days,) float: graduates on duty that day (survivors of attrition)."""
    effective: np.ndarray
    """(days,) float: officer-equivalents, graduates weighted by the productivity ramp."""
    committed: float
    """USD committed (all classes, whole calendar)."""
    hired_before: float = 0.0
    """Hires in classes that started before day 0: they are not in ``hired`` but their
    survivors are in ``in_academy`` and ``on_duty``."""


def _round_days(open_day: int, until_day: int, round_days: int) -> np.ndarray:
    """Days of the ordering rounds (or academy classes): from the opening of the money,
    every ``round_days``, while before its close."""
    if round_days < 1:
        raise ValueError(f"round_days must be >= 1, got {round_days}")
    return np.arange(open_day, until_day, round_days, dtype=np.int64)


def _affordable(funds_left: float, unit_cost: float) -> float:
    """Whole units the funds left can pay for at ``unit_cost`` each (inf when free)."""
    if unit_cost <= 0.0:
        return math.inf
    units = funds_left / unit_cost
    return units if math.isinf(units) else float(math.floor(units))


def _order_size(*limits: float) -> int:
    """The least of the limits, rounded down to whole units and never negative: every
    round orders whole beds or hires whole persons."""
    least = min(limits)
    if math.isinf(least) and least > 0:
        raise ValueError("nothing limits the order: give finite funds, a target or a maximum")
    return max(math.floor(least), 0)


def _spend(n: int, unit_cost: float, funds_left: float) -> tuple[int, float]:
    """Order ``n`` at ``unit_cost``, backing off one unit if rounding in the division
    let the spend exceed the funds left, so the plan never commits more than it has."""
    while n > 0 and n * unit_cost > funds_left:
        n -= 1
    return n, n * unit_cost


@dataclass
class _Purse:
    """A plan's money as it orders: what is left and what it has committed. One place for
    the rule both plans follow: whole units, the least of the limits and of what the money
    left pays for, never a cent more than it has."""

    left: float
    committed: float = 0.0

    def buy(self, unit_cost: float, *limits: float) -> int:
        """Order the most whole units the limits and the money allow; commit their cost."""
        n = _order_size(*limits, _affordable(self.left, unit_cost))
        n, spent = _spend(n, unit_cost, self.left)
        self.left -= spent
        self.committed += spent
        return n


def _check_funds(funds: float, days: int) -> None:
    if not funds >= 0.0:
        raise ValueError(f"funds must be >= 0, got {funds}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")


def _check_kind(kind: BedKind) -> None:
    if kind.lead_days < 0:
        raise ValueError(f"lead_days must be >= 0, got {kind.lead_days}")
    if not kind.cost_per_bed_day > 0.0:
        raise ValueError(f"cost_per_bed_day must be > 0, got {kind.cost_per_bed_day}")
    if not kind.max_added_per_month >= 0.0:
        raise ValueError(f"max_added_per_month must be >= 0, got {kind.max_added_per_month}")


def procure_beds(
    kinds: Sequence[BedKind],
    funds: float,
    open_day: int,
    until_day: int,
    days: int,
    target_added: float = math.inf,
    round_days: int = 30,
) -> ProcuredBeds:
    """Turn a line of funds into beds online by kind, by the procurement rule in the
    module docstring (rounds from ``open_day`` while before ``until_day``, kinds in the
    order given, each bed paid for every day it is online until ``until_day``)."""
    _check_funds(funds, days)
    if not target_added >= 0.0:
        raise ValueError(f"target_added must be >= 0, got {target_added}")
    for kind in kinds:
        _check_kind(kind)
    n_kinds = len(kinds)
    ordered = np.zeros((n_kinds, days), dtype=np.int64)
    starts = np.zeros((n_kinds, days + 1), dtype=np.int64)
    ordered_before = np.zeros(n_kinds, dtype=np.int64)
    purse, added = _Purse(float(funds)), 0
    for day in _round_days(open_day, until_day, round_days).tolist():
        for k, kind in enumerate(kinds):
            funded_days = until_day - (day + kind.lead_days)
            if funded_days <= 0:
                continue
            per_bed = kind.cost_per_bed_day * funded_days
            n = purse.buy(per_bed, kind.max_added_per_month, target_added - added)
            if n == 0:
                continue
            added += n
            _record_order(ordered, ordered_before, k, day, n)
            starts[k, min(max(day + kind.lead_days, 0), days)] += n
    return ProcuredBeds(
        online=_online(starts, until_day, days),
        ordered=ordered,
        committed=purse.committed,
        ordered_before=ordered_before,
    )


def _record_order(
    ordered: np.ndarray, ordered_before: np.ndarray, k: int, day: int, n: int
) -> None:
    """Show an order on its day if inside the window; count it apart if before it."""
    if day < 0:
        ordered_before[k] += n
    elif day < ordered.shape[1]:
        ordered[k, day] += n


def _online(starts: np.ndarray, until_day: int, days: int) -> np.ndarray:
    """Beds online per day from the beds that come online each day (``starts``, with a
    last column for those after the window): every bed stays until the money closes."""
    online = np.cumsum(starts[:, :days], axis=1)
    online[:, max(until_day, 0) :] = 0
    return online


def _check_hiring(
    academy_seats_per_round: float,
    applicants_per_round: float,
    academy_days: int,
    attrition_per_year: float,
    ramp_days: float,
    cost_per_hire: float,
    cost_per_officer_day: float,
) -> None:
    if not 0.0 <= attrition_per_year < 1.0:
        raise ValueError(
            f"attrition_per_year must be in [0, 1), got {attrition_per_year} "
            "(1 would mean every hire leaves at once)"
        )
    for name, value in (
        ("academy_seats_per_round", academy_seats_per_round),
        ("applicants_per_round", applicants_per_round),
        ("academy_days", academy_days),
        ("ramp_days", ramp_days),
        ("cost_per_hire", cost_per_hire),
        ("cost_per_officer_day", cost_per_officer_day),
    ):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value}")


def _dated(values: np.ndarray, day: int) -> float:
    """A dated input over the window read on any calendar day: the day-0 value before
    the window, the last value after it."""
    return float(values[min(max(day, 0), values.shape[0] - 1)])


def _classes(
    funds: float,
    rounds: np.ndarray,
    until_day: int,
    positions: np.ndarray,
    seats: float,
    applicants: float,
    cost_per_hire: float,
    cost_per_officer_day: float,
    academy_days: int,
) -> tuple[list[tuple[int, int]], float]:
    """The academy classes the money pays for, as (class day, hires), and the USD
    committed, by the hiring rule in the module docstring."""
    classes: list[tuple[int, int]] = []
    purse, hired = _Purse(float(funds)), 0
    for day in rounds.tolist():
        paid_days = max(until_day - (day + academy_days), 0)
        per_hire = cost_per_hire + cost_per_officer_day * paid_days
        n = purse.buy(per_hire, seats, applicants, _dated(positions, day) - hired)
        if n == 0:
            continue
        hired += n
        classes.append((day, n))
    return classes, purse.committed


def hire_officers(
    funds: float,
    open_day: int,
    until_day: int,
    days: int,
    positions: np.ndarray,
    academy_seats_per_round: float,
    applicants_per_round: float,
    academy_days: int,
    attrition_per_year: float,
    ramp_days: float,
    cost_per_hire: float,
    cost_per_officer_day: float,
    round_days: int = 30,
) -> Hiring:
    """Turn a line of funds into officers over the window, by the hiring rule in the
    module docstring. ``positions`` is ``(days,)``: cumulative new positions funded by
    each day of the window, the cap on cumulative hires (its day-0 value holds before
    the window, its last value after)."""
    _check_funds(funds, days)
    _check_hiring(
        academy_seats_per_round,
        applicants_per_round,
        academy_days,
        attrition_per_year,
        ramp_days,
        cost_per_hire,
        cost_per_officer_day,
    )
    positions = np.asarray(positions, dtype=float)
    if positions.shape != (days,) or days == 0:
        raise ValueError(
            f"positions must have shape ({days},) with days >= 1, got {positions.shape}"
        )
    classes, committed = _classes(
        funds,
        _round_days(open_day, until_day, round_days),
        until_day,
        positions,
        academy_seats_per_round,
        applicants_per_round,
        cost_per_hire,
        cost_per_officer_day,
        academy_days,
    )
    lam = -math.log1p(-attrition_per_year) / _DAYS_PER_YEAR
    return _cohorts(classes, days, academy_days, lam, ramp_days, committed)


def _cohorts(
    classes: list[tuple[int, int]],
    days: int,
    academy_days: int,
    lam: float,
    ramp_days: float,
    committed: float,
) -> Hiring:
    """Follow each class through the academy, attrition and the productivity ramp,
    day by day over the window (one vector operation per class)."""
    t = np.arange(days, dtype=float)
    hired = np.zeros(days)
    in_academy = np.zeros(days)
    on_duty = np.zeros(days)
    effective = np.zeros(days)
    hired_before = 0.0
    for day, n in classes:
        if day < 0:
            hired_before += n
        elif day < days:
            hired[day] += n
        age = t - day
        alive = np.where(age >= 0, n * np.exp(-lam * np.maximum(age, 0.0)), 0.0)
        academy = age < academy_days
        in_academy += np.where(academy, alive, 0.0)
        duty = np.where(academy, 0.0, alive)
        on_duty += duty
        effective += duty * _ramp(age - academy_days, ramp_days)
    return Hiring(hired, in_academy, on_duty, effective, committed, hired_before)


def _ramp(days_since_graduation: np.ndarray, ramp_days: float) -> np.ndarray:
    """Share of an experienced officer's output a graduate gives: rising linearly over
    ``ramp_days`` from graduation day (full at once when ``ramp_days`` is 0)."""
    if ramp_days <= 0:
        return np.ones_like(days_since_graduation)
    return np.clip(days_since_graduation + 1.0, 0.0, ramp_days) / ramp_days

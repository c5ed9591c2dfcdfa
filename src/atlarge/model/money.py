"""A scenario's money, prepared for the daily steps: lines, bought capacity, planned cuts.

Three things come from ``[budget]``, ``[procurement]`` and ``[hiring]``
(:mod:`atlarge.scenario.budget`); all are deterministic given a parameter draw:

- what procurement adds to the beds, by kind, and the day's bed-day rate (the
  beds online weighted by their kind's cost: :func:`atlarge.model.capacity.blended_rate`);
- what hiring adds to one agency: graduates on duty and their officer-equivalents;
- under ``on_exhausted = "stop"``, the share of each day's agent-days and troop-days
  that the lines paying for people can pay (:func:`people_funded`): charged by the same
  rule as every outlay (:func:`atlarge.analysis.ledger.charge_lines`), so what the run
  spends on people is exactly what the lines pay.

Beds and seats under ``stop`` are held back day by day in the engine
(:mod:`atlarge.model.steps`), from the lines in :class:`MoneyInputs` (``held``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from atlarge.analysis.ledger import charge_lines
from atlarge.model.capacity import BedKind, Hiring, ProcuredBeds, blended_rate, hire_officers
from atlarge.model.capacity import procure_beds as _procure
from atlarge.scenario import Scenario
from atlarge.scenario.budget import HELD_PURPOSES, PEOPLE_PURPOSES, PURPOSES

TRANSPORT = PURPOSES.index("transport")
DETENTION = PURPOSES.index("detention")


@dataclass(frozen=True)
class MoneyInputs:
    """Money's arrays for one parameter draw. Axes: ``L`` lines, ``P`` purposes
    (:data:`~atlarge.scenario.budget.PURPOSES`), ``K`` kinds of bed, ``D`` days."""

    on: bool  # the scenario has a [budget]
    stop: bool  # on_exhausted = "stop"
    line_keys: tuple[str, ...]
    line_labels: tuple[str, ...]
    line_amount: np.ndarray  # (L,) USD
    line_covers: np.ndarray  # (L, P) bool
    line_open: np.ndarray  # (L, D) bool: the line may be spent that day
    held: np.ndarray  # (L,) bool: lines the engine draws on day by day (stop, beds/seats)
    bed_rate: np.ndarray  # (D,) USD per occupied bed-day (kinds' costs blended)
    removal_cost: float  # USD per removal (transport)
    kind_keys: tuple[str, ...]
    kind_labels: tuple[str, ...]
    beds_added: np.ndarray  # (K, D) int64 beds of each kind online, from procurement
    hires: np.ndarray  # (D,) hires entering the academy each day
    hired_on_duty: np.ndarray  # (D,) graduates on duty (after attrition)
    hired_effective: np.ndarray  # (D,) their officer-equivalents (productivity ramp)
    hire_cost: np.ndarray  # (D,) USD of the day's hires (cost_per_hire each)
    hire_agency: str | None  # the agency the hires join

    @property
    def holds_beds(self) -> bool:
        """The engine caps beds at what the detention lines can pay (stop)."""
        return bool((self.held & self.line_covers[:, DETENTION]).any())

    @property
    def holds_seats(self) -> bool:
        """The engine caps seats at what the transport lines can pay (stop)."""
        return bool((self.held & self.line_covers[:, TRANSPORT]).any())


def _day(start: dt.date, when: dt.date) -> int:
    return (when - start).days


def lines_of(
    sc: Scenario, dates: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Keys, amounts ``(L,)``, purposes covered ``(L, P)`` and open days ``(L, D)``."""
    budget = sc.budget
    if budget is None:
        return (), np.zeros(0), np.zeros((0, len(PURPOSES)), bool), np.zeros((0, dates.size), bool)
    keys = tuple(budget.lines)
    lines = list(budget.lines.values())
    amount = np.array([ln.amount.value for ln in lines], dtype=np.float64)
    covers = np.array([[p in ln.purposes for p in PURPOSES] for ln in lines], dtype=bool)
    open_ = np.array(
        [
            (dates >= np.datetime64(ln.available_from))
            & (dates <= np.datetime64(ln.available_until))
            for ln in lines
        ],
        dtype=bool,
    )
    return keys, amount, covers, open_


def procured(sc: Scenario, days: int) -> ProcuredBeds | None:
    """Beds bought by ``[procurement]`` from its funding line (None without it)."""
    proc = sc.procurement
    if proc is None:
        return None
    assert sc.budget is not None  # the schema requires the line
    line = sc.budget.lines[proc.funding_line]
    kinds = [
        BedKind(
            lead_days=round(k.lead_days.value),
            cost_per_bed_day=k.cost_per_bed_day.value,
            max_added_per_month=k.max_added_per_month.value,
        )
        for k in proc.kinds.values()
    ]
    target = proc.target_beds_added.value if proc.target_beds_added is not None else np.inf
    return _procure(
        kinds,
        funds=line.amount.value,
        open_day=_day(sc.start_date, line.available_from),
        until_day=_day(sc.start_date, line.available_until) + 1,
        days=days,
        target_added=target,
    )


def hired(sc: Scenario, days: int, work_share: float) -> Hiring | None:
    """Officers hired by ``[hiring]`` from its funding line (None without it)."""
    h = sc.hiring
    if h is None:
        return None
    assert sc.budget is not None  # the schema requires the line
    line = sc.budget.lines[h.funding_line]
    agency = sc.workforce.deployed()[h.agency]
    return hire_officers(
        funds=line.amount.value,
        open_day=_day(sc.start_date, line.available_from),
        until_day=_day(sc.start_date, line.available_until) + 1,
        days=days,
        positions=h.positions.daily(sc.start_date, days),
        academy_seats_per_round=h.academy_seats_per_month.value,
        applicants_per_round=h.applicants_per_month.value,
        academy_days=round(h.academy_days.value),
        attrition_per_year=h.attrition_per_year.value,
        ramp_days=h.ramp_days.value,
        cost_per_hire=h.cost_per_hire.value,
        cost_per_officer_day=agency.cost_per_agent_day.value * work_share,
    )


def people_funded(
    sc: Scenario,
    dates: np.ndarray,
    agent_cost: np.ndarray,
    diverted: np.ndarray,
    guard_cost: np.ndarray,
    hire_cost: np.ndarray,
    hire_diverted: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Under ``stop``: the share of each agency's ``(A, D)`` and the Guard's ``(D,)``
    agent-day (troop-day) costs the lines can pay each day (1 elsewhere). A day's hires
    are paid before its agent-days. The lines that pay for people pay for nothing else
    under stop (schema), so what the engine spends on beds and seats never touches them."""
    n_a, n_d = agent_cost.shape
    ones_a, ones_g = np.ones((n_a, n_d)), np.ones(n_d)
    budget = sc.budget
    if budget is None or budget.on_exhausted != "stop":
        return ones_a, ones_g
    _keys, amount, covers, open_ = lines_of(sc, dates)
    staff = agent_cost[~diverted].sum(axis=0)
    detailed = agent_cost[diverted].sum(axis=0)
    daily = np.zeros((1, len(PURPOSES), n_d))
    hire_to = "detailed_agents" if hire_diverted else "enforcement_staff"
    daily[0, PURPOSES.index("enforcement_staff")] = staff
    daily[0, PURPOSES.index("detailed_agents")] = detailed
    daily[0, PURPOSES.index(hire_to)] += hire_cost
    daily[0, PURPOSES.index("national_guard")] = guard_cost
    people = np.array([p in PEOPLE_PURPOSES for p in PURPOSES])
    covers = covers & people[None, :]  # only people are cut here (the others: the engine)
    ledger = charge_lines(daily, amount[None, :], covers, open_)
    funded = daily[0] - ledger.unfunded[0]
    covered = covers.any(axis=0)

    def share(paid: np.ndarray, cost: np.ndarray, p: str) -> np.ndarray:
        if not covered[PURPOSES.index(p)]:
            return np.ones(n_d)
        return np.clip(np.divide(paid, cost, out=np.ones(n_d), where=cost > 0), 0.0, 1.0)

    paid = {p: funded[PURPOSES.index(p)] for p in ("enforcement_staff", "detailed_agents")}
    paid[hire_to] = np.maximum(paid[hire_to] - hire_cost, 0.0)
    f_staff = share(paid["enforcement_staff"], staff, "enforcement_staff")
    f_detailed = share(paid["detailed_agents"], detailed, "detailed_agents")
    f_guard = share(funded[PURPOSES.index("national_guard")], guard_cost, "national_guard")
    f_agency = np.where(diverted[:, None], f_detailed[None, :], f_staff[None, :])
    return f_agency, f_guard


def build_money(
    sc: Scenario,
    dates: np.ndarray,
    base_beds: np.ndarray,
    beds: ProcuredBeds | None,
    hiring: Hiring | None,
) -> MoneyInputs:
    """The money arrays of a draw, once beds and hires are known (:func:`procured`,
    :func:`hired`); ``base_beds`` ``(D,)`` are the typed beds."""
    n_d = dates.size
    keys, amount, covers, open_ = lines_of(sc, dates)
    budget = sc.budget
    stop = budget is not None and budget.on_exhausted == "stop"
    held_purposes = np.array([p in HELD_PURPOSES for p in PURPOSES])
    held = (covers & held_purposes[None, :]).any(axis=1) & stop
    proc = sc.procurement
    if beds is not None and proc is not None:
        kind_keys = tuple(proc.kinds)
        kind_labels = tuple(k.label for k in proc.kinds.values())
        added = beds.online
        rates = np.array([k.cost_per_bed_day.value for k in proc.kinds.values()])
    else:
        kind_keys = kind_labels = ()
        added = np.zeros((0, n_d), dtype=np.int64)
        rates = np.zeros(0)
    bed_rate = blended_rate(base_beds, sc.detention.bed_day_cost.value, added, rates)
    if hiring is not None and sc.hiring is not None:
        hires, on_duty, effective = hiring.hired, hiring.on_duty, hiring.effective
        hire_cost = hires * sc.hiring.cost_per_hire.value
        agency: str | None = sc.hiring.agency
    else:
        hires = on_duty = effective = hire_cost = np.zeros(n_d)
        agency = None
    return MoneyInputs(
        on=budget is not None,
        stop=stop,
        line_keys=keys,
        line_labels=tuple(ln.label for ln in budget.lines.values()) if budget else (),
        line_amount=amount,
        line_covers=covers,
        line_open=open_,
        held=held,
        bed_rate=bed_rate,
        removal_cost=sc.transport.cost_per_removal.value,
        kind_keys=kind_keys,
        kind_labels=kind_labels,
        beds_added=added,
        hires=hires,
        hired_on_duty=on_duty,
        hired_effective=effective,
        hire_cost=hire_cost,
        hire_agency=agency,
    )

"""A scenario's money, prepared for the daily steps: lines, bought capacity, planned cuts.

From ``[budget]``, ``[procurement]`` and ``[hiring]`` (:mod:`atlarge.scenario.budget`),
all deterministic given a parameter draw (docs/model.md 3.13):

- **Plans.** Procurement turns its line into beds by kind (:func:`procured`), hiring turns
  its line into officers of one agency (:func:`hired`), each never committing more than
  the line holds (:mod:`atlarge.model.capacity`). What a plan committed is set aside in
  its line: the ledger keeps it as a line of its own, drawn on first and only by the
  plan's purpose (``beds_bought``, ``new_hires``), so the rest of the line pays the
  scenario's other spending and can never eat into what the plan needs.
- **Ledger lines** (:class:`LedgerLines`): the scenario's lines with those set-asides
  split off; every outlay is charged to them by one rule
  (:func:`atlarge.model.ledger.charge_lines`), after the run and, under
  ``on_exhausted = "stop"``, in the engine day by day for beds and seats.
- **People under stop** (:func:`people_funded`): the share of each day's agent-days and
  troop-days the lines can pay, by the same rule, so what the run spends on people is
  exactly what the lines pay.

Beds bought are paid as contracted (every bed online, every day: guaranteed minimums)
and filled first; the typed beds are paid as used, for those detained beyond the beds
bought. So without procurement detention costs exactly what it did before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from atlarge.model.capacity import BedKind, Hiring, ProcuredBeds, hire_officers
from atlarge.model.capacity import procure_beds as _procure
from atlarge.model.ledger import charge_lines
from atlarge.scenario import Scenario
from atlarge.scenario.budget import HELD_PURPOSES, PEOPLE_PURPOSES, PURPOSES, FundingLine

TRANSPORT = PURPOSES.index("transport")
DETENTION = PURPOSES.index("detention")
BEDS_BOUGHT = PURPOSES.index("beds_bought")
NEW_HIRES = PURPOSES.index("new_hires")


@dataclass(frozen=True)
class LedgerLines:
    """The lines money is charged to: the scenario's, with each plan's commitment split
    off as a line of its own (first in order). ``parent`` maps each to the scenario line
    it is part of. Axes: ``L`` ledger lines, ``P`` purposes, ``D`` days."""

    parent: np.ndarray  # (L,) int: index of the scenario line
    amount: np.ndarray  # (L,) USD
    covers: np.ndarray  # (L, P) bool
    open: np.ndarray  # (L, D) bool: the line may be spent that day


@dataclass(frozen=True)
class MoneyInputs:
    """Money's arrays for one parameter draw. Axes: ``L`` ledger lines, ``P`` purposes
    (:data:`~atlarge.scenario.budget.PURPOSES`), ``K`` kinds of bed, ``D`` days."""

    on: bool  # the scenario has a [budget]
    stop: bool  # on_exhausted = "stop"
    line_keys: tuple[str, ...]  # the scenario's lines
    ledger: LedgerLines
    held: np.ndarray  # (L,) bool: ledger lines the engine draws on day by day (stop)
    base_rate: float  # USD per occupied bed-day of the typed beds
    removal_cost: float  # USD per removal (transport)
    kind_keys: tuple[str, ...]
    kind_labels: tuple[str, ...]
    beds_added: np.ndarray  # (K, D) int64 beds of each kind online, from procurement
    beds_bought: np.ndarray  # (D,) int64 beds bought online (all kinds)
    contract_cost: np.ndarray  # (D,) USD a day for the beds bought (paid as contracted)
    hires: np.ndarray  # (D,) hires entering the academy each day
    hired_on_duty: np.ndarray  # (D,) graduates on duty (after attrition)
    hired_effective: np.ndarray  # (D,) their officer-equivalents (productivity ramp)
    hired_agent_days: np.ndarray  # (D,) agent-days the graduates work (after any cut)
    hire_cost: np.ndarray  # (D,) USD of the day's hires (cost_per_hire each)
    hire_agency: str | None  # the agency the hires join

    @cached_property
    def holds_beds(self) -> bool:
        """The engine caps beds at what the detention lines can pay (stop)."""
        return bool((self.held & self.ledger.covers[:, DETENTION]).any())

    @cached_property
    def holds_seats(self) -> bool:
        """The engine caps seats at what the transport lines can pay (stop)."""
        return bool((self.held & self.ledger.covers[:, TRANSPORT]).any())


def _day(start: dt.date, when: dt.date) -> int:
    return (when - start).days


def _left_at_start(start: dt.date, line: FundingLine) -> float:
    """Share of a line left on the start date: a line open before it is taken as spent
    evenly over its period of availability until then (FY2025's appropriation for a run
    from June 2025, say); 1 for a line that opens on or after it. A plan on such a line
    starts on the start date with what is left (what it bought before is in the typed
    beds and headcounts)."""
    if line.available_from >= start:
        return 1.0
    total = (line.available_until - line.available_from).days + 1
    remaining = (line.available_until - start).days + 1
    return min(max(remaining / total, 0.0), 1.0)


def procured(sc: Scenario, days: int) -> ProcuredBeds | None:
    """Beds bought by ``[procurement]`` from its funding line (None without it)."""
    proc = sc.beds_plan
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
        funds=line.amount.value * _left_at_start(sc.start_date, line),
        open_day=max(_day(sc.start_date, line.available_from), 0),
        until_day=_day(sc.start_date, line.available_until) + 1,
        days=days,
        target_added=target,
    )


def hired(sc: Scenario, days: int, work_share: float) -> Hiring | None:
    """Officers hired by ``[hiring]`` from its funding line (None without it)."""
    h = sc.hiring_plan
    if h is None:
        return None
    assert sc.budget is not None  # the schema requires the line
    line = sc.budget.lines[h.funding_line]
    agency = sc.workforce.deployed()[h.agency]
    return hire_officers(
        funds=line.amount.value * _left_at_start(sc.start_date, line),
        open_day=max(_day(sc.start_date, line.available_from), 0),
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


def ledger_lines(
    sc: Scenario, dates: np.ndarray, beds_committed: float, hires_committed: float
) -> LedgerLines:
    """The scenario's lines as the ledger charges them (see :class:`LedgerLines`)."""
    n_p = len(PURPOSES)
    budget = sc.budget
    if budget is None:
        return LedgerLines(
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros((0, n_p), bool),
            np.zeros((0, dates.size), bool),
        )
    keys = list(budget.lines)
    parent, amount, covers, open_ = [], [], [], []

    def add(i: int, usd: float, purposes: set[str]) -> None:
        line = budget.lines[keys[i]]
        parent.append(i)
        amount.append(usd)
        covers.append([p in purposes for p in PURPOSES])
        first, last = np.datetime64(line.available_from), np.datetime64(line.available_until)
        open_.append((dates >= first) & (dates <= last))

    left = [_left_at_start(sc.start_date, line) for line in budget.lines.values()]
    set_aside = dict.fromkeys(range(len(keys)), 0.0)
    plans = (
        (sc.beds_plan, beds_committed, "beds_bought"),
        (sc.hiring_plan, hires_committed, "new_hires"),
    )
    for plan, committed, purpose in plans:
        if plan is not None:
            i = keys.index(plan.funding_line)
            add(i, committed, {purpose})
            set_aside[i] += committed
    for i, line in enumerate(budget.lines.values()):
        purposes = set(line.purposes)
        if sc.hiring_plan is not None and "enforcement_staff" in purposes:
            # The hires' pay once the plan's money is spent (hires join the operation's own
            # staff: the schema refuses a detailed agency).
            purposes.add("new_hires")
        add(i, max(line.amount.value * left[i] - set_aside[i], 0.0), purposes)
    return LedgerLines(
        parent=np.array(parent, dtype=np.int64),
        amount=np.array(amount, dtype=np.float64),
        covers=np.array(covers, dtype=bool).reshape(-1, n_p),
        open=np.array(open_, dtype=bool).reshape(-1, dates.size),
    )


def people_funded(
    sc: Scenario,
    lines: LedgerLines,
    agent_cost: np.ndarray,
    diverted: np.ndarray,
    guard_cost: np.ndarray,
    hires_cost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Under ``stop``: the share of each agency's ``(A, D)`` agent-day cost (the hires
    left out), of the hires' ``(D,)`` cost and of the Guard's ``(D,)`` troop-day cost the
    lines can pay each day (1 everywhere otherwise). The lines that pay for people pay for
    nothing else under stop (schema), so what the engine spends on beds and seats never
    touches them."""
    n_a, n_d = agent_cost.shape
    budget = sc.budget
    if budget is None or budget.on_exhausted != "stop":
        return np.ones((n_a, n_d)), np.ones(n_d), np.ones(n_d)
    daily = np.zeros((1, len(PURPOSES), n_d))
    daily[0, PURPOSES.index("enforcement_staff")] = agent_cost[~diverted].sum(axis=0)
    daily[0, PURPOSES.index("detailed_agents")] = agent_cost[diverted].sum(axis=0)
    daily[0, PURPOSES.index("national_guard")] = guard_cost
    daily[0, NEW_HIRES] = hires_cost
    people = np.array([p in PEOPLE_PURPOSES for p in PURPOSES])
    covers = lines.covers & people[None, :]  # only people are cut here (the others: the engine)
    book = charge_lines(daily, lines.amount[None, :], covers, lines.open)
    paid = daily[0] - book.unfunded[0]
    covered = covers.any(axis=0)

    def share(p: int) -> np.ndarray:
        if not covered[p]:
            return np.ones(n_d)
        cost = daily[0, p]
        return np.clip(np.divide(paid[p], cost, out=np.ones(n_d), where=cost > 0), 0.0, 1.0)

    f_staff = share(PURPOSES.index("enforcement_staff"))
    f_detailed = share(PURPOSES.index("detailed_agents"))
    f_agency = np.where(diverted[:, None], f_detailed[None, :], f_staff[None, :])
    return f_agency, share(NEW_HIRES), share(PURPOSES.index("national_guard"))


def build_money(
    sc: Scenario,
    dates: np.ndarray,
    lines: LedgerLines,
    beds: ProcuredBeds | None,
    hiring: Hiring | None,
    hired_agent_days: np.ndarray,
    hire_cost: np.ndarray,
) -> MoneyInputs:
    """The money arrays of a draw, once the plans (:func:`procured`, :func:`hired`) and
    the agent-days the hires work are known."""
    n_d = dates.size
    budget = sc.budget
    stop = budget is not None and budget.on_exhausted == "stop"
    held_purposes = np.array([p in HELD_PURPOSES for p in PURPOSES])
    held = (lines.covers & held_purposes[None, :]).any(axis=1) & stop
    proc = sc.beds_plan
    if beds is not None and proc is not None:
        kind_keys = tuple(proc.kinds)
        kind_labels = tuple(k.label for k in proc.kinds.values())
        added = beds.online
        rates = np.array([k.cost_per_bed_day.value for k in proc.kinds.values()])
    else:
        kind_keys = kind_labels = ()
        added = np.zeros((0, n_d), dtype=np.int64)
        rates = np.zeros(0)
    if hiring is not None and sc.hiring_plan is not None:
        hires, on_duty, effective = hiring.hired, hiring.on_duty, hiring.effective
        agency: str | None = sc.hiring_plan.agency
    else:
        hires = on_duty = effective = np.zeros(n_d)
        agency = None
    return MoneyInputs(
        on=budget is not None,
        stop=stop,
        line_keys=tuple(budget.lines) if budget else (),
        ledger=lines,
        held=held,
        base_rate=sc.detention.bed_day_cost.value,
        removal_cost=sc.transport.cost_per_removal.value,
        kind_keys=kind_keys,
        kind_labels=kind_labels,
        beds_added=added,
        beds_bought=added.sum(axis=0).astype(np.int64),
        contract_cost=(added * rates[:, None]).sum(axis=0),
        hires=hires,
        hired_on_duty=on_duty,
        hired_effective=effective,
        hired_agent_days=hired_agent_days,
        hire_cost=hire_cost,
        hire_agency=agency,
    )

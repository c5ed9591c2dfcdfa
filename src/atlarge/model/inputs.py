"""Turn a validated scenario into the daily, per-office arrays the model steps through.

Everything here is deterministic and shared by all replications: the
workforce on duty each day (with ramp-up), effort per office, capacities,
the target and its office shares, pools, delay chains, and every setting a
daily step needs. The steps (:mod:`atlarge.model.steps`) read only these
fields, never the scenario, so each scenario value is read and converted once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np

from atlarge.engine.allocation import largest_remainder
from atlarge.engine.delays import PhaseChains
from atlarge.model import money
from atlarge.model.money import MoneyInputs
from atlarge.model.outcomes import Outcome
from atlarge.scenario import AGENCY_LABELS, Param, Scenario
from atlarge.scenario.offices import Offices


@dataclass(frozen=True)
class ModelInputs:
    """A scenario's deterministic arrays and settings, shaped for the daily steps.

    Axes: ``D`` days, ``O`` offices, ``G`` priority groups, ``A`` agencies,
    ``C`` detention paths (chains), ``S`` phase slots of all chains.
    """

    scenario: Scenario
    offices: Offices
    dates: np.ndarray  # (D,) datetime64[D]
    group_keys: tuple[str, ...]
    group_labels: tuple[str, ...]
    agency_keys: tuple[str, ...]
    agency_labels: tuple[str, ...]
    agency_diverted: np.ndarray  # (A,) bool
    agent_days: np.ndarray  # (A, D) agent-days worked per calendar day, national
    agency_cost_per_day: np.ndarray  # (A,)
    effort: np.ndarray  # (D, O) officer-equivalent days of at-large arrest effort
    effort_custodial: np.ndarray  # (D, O) officer-equivalent days in the custodial channel
    guard_troops: np.ndarray  # (D,) troops on duty (after ramp-up)
    target_national: np.ndarray  # (D,)
    target_office: np.ndarray  # (D, O)
    pool0: np.ndarray  # (O, G) initial pools
    replenish: np.ndarray  # (D, O, G) expected persons per day
    yield_per_agent_day: np.ndarray  # (G,)
    effort_share: np.ndarray  # (G,)
    priority: np.ndarray  # (D, G) share of each group's pool policy makes eligible (1: all)
    custodial_on: bool  # the custodial channel is in the scenario
    custodial_offered: np.ndarray  # (D, O) removable bookings in reach, expected per day
    custodial_weights: np.ndarray  # (D, G) group mix times priority: split of handovers
    custodial_yield: float  # custodial transfers per officer-equivalent day
    collateral_on: bool  # collateral arrests are in the scenario
    collateral: np.ndarray  # (D,) collateral arrests per at-large arrest
    departures_on: bool  # departures from the pools are in the scenario
    departure_rate: np.ndarray  # (D,) daily hazard of leaving a pool, -ln(1 - share)/365
    departures_per_arrest: np.ndarray  # (D,) departures prompted per arrest at full pool
    processing_capacity: np.ndarray  # (D, O) integer book-ins per day
    border_inflow: np.ndarray  # (D, O) expected persons per day
    beds: np.ndarray  # (D, O) integer
    beds_national: np.ndarray  # (D,) integer
    seats: np.ndarray  # (D,) integer, national
    chains: PhaseChains
    chain_exit_p: np.ndarray  # (S,) daily probability of leaving each phase slot
    chain_outcome: tuple[Outcome, ...]  # (C,) how each path ends
    chains_ending_in: dict[Outcome, np.ndarray]  # outcome -> (C,) bool, paths ending so
    chain_share: np.ndarray  # (C,) path shares as in the scenario
    path_share: np.ndarray  # (D, C) the day's path shares (mandatory detention applied)
    chain_cost: np.ndarray  # (C,) USD per case
    initial_detained: np.ndarray  # (O, S) integer
    overflow_transfer: bool  # overflow goes to offices with free beds (else released)
    overflow_hold: bool  # overflow waits in holding; arrests wait when that is full
    holding: np.ndarray  # (D, O) integer persons of short-term holding (0 unless hold)
    limit_days: int  # post-order detention limit L in days (0: no limited countries)
    limited_share: np.ndarray  # (D,) share of removal-path finishers whose country limits
    limited_accepted: np.ndarray  # (D,) integer removals a day limiting countries accept
    courts_on: bool  # the immigration courts are in the scenario
    court_capacity: np.ndarray  # (D,) integer decisions judges can make a day, national
    court_detained_cap: np.ndarray  # (D,) integer most of that the detained docket may use
    court_paths: np.ndarray  # (C,) bool: paths ending in a decision on the detained docket
    pending_paths: np.ndarray  # (C,) bool: release paths whose case goes on (non-detained)
    court_receipts: np.ndarray  # (D, O) expected new non-detained cases from outside
    court_backlog0: np.ndarray  # (O,) integer non-detained cases pending on day 0
    in_absentia: np.ndarray  # (D,) share of non-detained completions ordered in absentia
    orders_present: np.ndarray  # (D,) share of the rest ordered removed with the person present
    pending_group: int  # group index people with a pending case are counted in
    orders_group: int  # group index people ordered removed join
    court_cost: float  # USD per case the operation puts before a judge (0 without courts)
    atd_exit_p: float
    atd_enrol: float
    pressure_shift: float  # share of effort moved to the quickest group at full pressure
    pressure_window: int  # days of arrests averaged to measure the shortfall
    pressure_all: float  # pressure the regime puts on every office (0 when it is off)
    pressure_replaced: float  # extra pressure on an office whose leadership was replaced
    month_ends: np.ndarray  # (D,) bool: rank offices at the end of this day
    regime_bottom: int  # offices replaced at each ranking (0 when the regime is off)
    regime_ranking: Literal["absolute", "share_of_target"]  # arrests, or over the target
    dip: float  # share of effort lost while a new leadership settles in
    dip_days: int  # days the dip lasts
    money: MoneyInputs  # funding lines, bought beds and hires (model.money)

    @property
    def days(self) -> int:
        return int(self.dates.size)

    @property
    def n_offices(self) -> int:
        return self.offices.n

    @property
    def n_groups(self) -> int:
        return len(self.group_keys)


def ramped(headcount: np.ndarray, ramp_days: float) -> np.ndarray:
    """Headcount on duty when every increase phases in linearly over ``ramp_days``.

    Decreases take effect at once. With ``ramp_days = 0`` this is ``headcount``.
    """
    steps = np.diff(headcount, prepend=0.0)
    if ramp_days <= 0:
        return headcount.copy()
    kernel = np.minimum(1.0, np.arange(1, headcount.size + 1) / ramp_days)
    up = np.convolve(np.maximum(steps, 0.0), kernel)[: headcount.size]
    down = np.cumsum(np.minimum(steps, 0.0))
    return np.maximum(up + down, 0.0)


def _whole(x: np.ndarray | float) -> np.ndarray:
    """Whole counts from expected values, rounded down; the 1e-9 keeps a value computed as
    2.9999999999 (a product of floats) at 3."""
    return np.floor(np.asarray(x, dtype=np.float64) + 1e-9).astype(np.int64)


def _spread(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Whole counts per office for each day's national integer total."""
    return largest_remainder(
        _whole(total),
        np.broadcast_to(weights, (total.size, weights.size)),
    )


def month_end_flags(start: dt.date, days: int, min_period: int = 28) -> np.ndarray:
    """Days that close a ranking period: calendar month ends, first period >= ``min_period``."""
    dates = np.arange(np.datetime64(start), np.datetime64(start) + days)
    nxt = dates + 1
    ends = nxt.astype("datetime64[M]") != dates.astype("datetime64[M]")
    flags = ends.copy()
    idx = np.flatnonzero(ends)
    if idx.size and idx[0] + 1 < min_period:
        flags[idx[0]] = False
    return flags


def daily_path_shares(
    share: np.ndarray,
    discretionary: np.ndarray,
    mandatory: np.ndarray | None,
    days: int,
    expedited: np.ndarray | None = None,
    expedited_share: np.ndarray | None = None,
) -> np.ndarray:
    """``(days, C)`` path shares under the expedited-removal scope and mandatory detention
    (docs/model.md 3.7). First the scope ``e(t)``: expedited paths ``E`` take ``e(t)`` in
    proportion to their shares, the others ``1 - e(t)``:

        sigma'_c(t) = e(t) sigma_c / S_E  (c in E),   (1 - e(t)) sigma_c / (1 - S_E)  (else)

    then mandatory detention on ``sigma'``:

        sigma_c(t) = (1 - m(t)) sigma'_c + m(t) sigma'_c [c not discretionary] / S'_nd

    with ``S'_nd`` the sum of the non-discretionary shares: a share ``m(t)`` of admissions
    is held, so takes no discretionary path. Without ``e`` and ``m``, ``sigma`` on every day
    (the same numbers, so the same draws)."""
    if expedited_share is None or expedited is None:
        base = np.broadcast_to(share, (days, share.size))
    else:
        fast = np.where(expedited, share, 0.0)
        slow = share - fast
        s_fast, s_slow = fast.sum(), slow.sum()  # the schema makes s_fast > 0
        e = expedited_share[:, None]
        base = e * (fast / s_fast)[None, :]
        if s_slow > 0:
            base = base + (1.0 - e) * (slow / s_slow)[None, :]
    if mandatory is None:
        return base
    kept = np.where(discretionary[None, :], 0.0, base)
    total = kept.sum(axis=-1, keepdims=True)
    held = np.divide(kept, total, out=np.zeros_like(kept), where=total > 0)
    m = mandatory[:, None]
    shares = (1.0 - m) * base + m * held
    # The schema leaves every day a path for everyone (a row short of 1 would put the rest
    # on the last path in the multinomial draw).
    assert np.allclose(shares.sum(axis=-1), 1.0), "path shares of a day do not sum to 1"
    return shares


def build_inputs(scenario: Scenario) -> ModelInputs:
    sc = scenario
    offices = sc.offices.spread()  # the scenario's offices.weights, renormalised to include
    days = sc.days
    start = sc.start_date
    dates = np.arange(np.datetime64(start), np.datetime64(start) + days)

    def daily(p: Param) -> np.ndarray:
        return p.daily(start, days)

    pop_w = offices.population_weight
    target = daily(sc.target.arrests_per_day)
    target_office = target[:, None] * pop_w[None, :]

    work_share = sc.workforce.working_days_per_week.value / 7.0
    deployed = sc.workforce.deployed()
    agency_keys = tuple(deployed)
    # Money to capacity (docs/model.md 3.13): the plans, and the lines with what the plans
    # committed set aside.
    hiring = money.hired(sc, days, work_share)
    bought = money.procured(sc, days)
    lines = money.ledger_lines(
        sc,
        dates,
        bought.committed if bought is not None else 0.0,
        hiring.committed if hiring is not None else 0.0,
    )
    agent_days = np.zeros((len(agency_keys), days))
    worked = np.zeros((len(agency_keys), days))
    for i, ag in enumerate(deployed.values()):
        agent_days[i] = ramped(daily(ag.headcount), ag.ramp_days.value) * work_share
        worked[i] = agent_days[i] * ag.relative_productivity.value
    cost_per_day = np.array([deployed[k].cost_per_agent_day.value for k in agency_keys])
    diverted = np.array([deployed[k].diverted for k in agency_keys], dtype=bool)
    hired_days = hired_worked = hire_cost = np.zeros(days)
    hire_at = None
    if hiring is not None and sc.hiring_plan is not None:
        # Graduates join the agency: on duty after the academy, at full effort after their
        # own ramp (capacity.hire_officers).
        hire_at = agency_keys.index(sc.hiring_plan.agency)
        productivity = deployed[sc.hiring_plan.agency].relative_productivity.value
        hired_days = hiring.on_duty * work_share
        hired_worked = hiring.effective * work_share * productivity
        hire_cost = hiring.hired * sc.hiring_plan.cost_per_hire.value

    guard = sc.support.national_guard
    troops = ramped(daily(guard.headcount), guard.ramp_days.value) if guard else np.zeros(days)
    guard_cost = troops * guard.cost_per_troop_day.value if guard else np.zeros(days)
    # Under on_exhausted = "stop", the agent-days and troop-days the lines cannot pay are
    # not worked (1 everywhere otherwise).
    hire_day_cost = cost_per_day[hire_at] if hire_at is not None else 0.0
    paid_agency, paid_hires, paid_guard = money.people_funded(
        sc,
        lines,
        agent_days * cost_per_day[:, None],
        diverted,
        guard_cost,
        hired_days * hire_day_cost + hire_cost,
    )
    agent_days = agent_days * paid_agency
    worked = worked * paid_agency
    hired_days = hired_days * paid_hires
    hire_cost = hire_cost * paid_hires
    if hire_at is not None:
        agent_days[hire_at] += hired_days
        worked[hire_at] += hired_worked * paid_hires
    troops = troops * paid_guard
    effort = np.zeros((days, offices.n))
    effort_custodial = np.zeros((days, offices.n))
    for i, ag in enumerate(deployed.values()):
        # Agents are spread over offices like the target, by population weight.
        if ag.custodial_share is None:
            effort += worked[i][:, None] * pop_w[None, :]
        else:  # the custodial share of the effort works in jails, the rest at large
            custodial = daily(ag.custodial_share)
            effort += (worked[i] * (1.0 - custodial))[:, None] * pop_w[None, :]
            effort_custodial += (worked[i] * custodial)[:, None] * pop_w[None, :]

    if guard is not None:
        extra_processing = troops * guard.processing_per_troop_day.value
        extra_seats = troops * guard.transport_seats_per_troop_day.value
    else:
        extra_processing = np.zeros(days)
        extra_seats = np.zeros(days)

    groups = sc.groups
    group_keys = tuple(groups)
    pool0 = np.stack([np.floor(g.initial_pool.value * pop_w) for g in groups.values()], axis=-1)
    replenish = np.stack(
        [daily(g.replenishment_per_day)[:, None] * pop_w[None, :] for g in groups.values()],
        axis=-1,
    )

    priority = np.stack(
        [
            daily(sc.policy.priority[k]) if k in sc.policy.priority else np.ones(days)
            for k in group_keys
        ],
        axis=-1,
    )
    cust = sc.custodial
    if cust is not None:
        mix = np.array(
            [cust.group_mix[k].value if k in cust.group_mix else 0.0 for k in group_keys]
        )
        custodial_weights = mix[None, :] * priority
        in_reach = daily(cust.removable_bookings_per_day) * daily(cust.detainer_share)
        custodial_offered = (in_reach * custodial_weights.sum(axis=-1))[:, None] * pop_w[None, :]
        custodial_yield = cust.arrests_per_agent_day.value
    else:
        custodial_weights = np.zeros((days, len(group_keys)))
        custodial_offered = np.zeros((days, offices.n))
        custodial_yield = 0.0
    coll = sc.collateral
    collateral = daily(coll.per_at_large_arrest) if coll is not None else np.zeros(days)
    dep = sc.departures
    if dep is not None:
        with np.errstate(divide="ignore"):  # a share of 1: everyone leaves (rate infinite)
            departure_rate = -np.log1p(-daily(dep.share_per_year)) / 365.0
        departures_per_arrest = daily(dep.per_arrest)
    else:
        departure_rate = np.zeros(days)
        departures_per_arrest = np.zeros(days)

    processing = _spread(daily(sc.processing.capacity_per_day) + extra_processing, pop_w)
    base_beds = _whole(daily(sc.detention.beds))
    beds = _spread(base_beds.astype(np.float64), offices.bed_weight)
    beds_national = base_beds
    if bought is not None and sc.beds_plan is not None:
        # Beds bought go where the scenario places them: like the population, or like the
        # existing beds (facilities in Texas and Louisiana).
        added = bought.online.sum(axis=0)
        where = (
            offices.population_weight
            if sc.beds_plan.placement == "population"
            else offices.bed_weight
        )
        beds = beds + _spread(added.astype(np.float64), where)
        beds_national = base_beds + added
    money_inputs = money.build_money(sc, dates, lines, bought, hiring, hired_days, hire_cost)
    seats = _whole(sc.transport.seats_total(start, days) + extra_seats)
    border = daily(sc.inflow.border_transfers_per_day)[:, None] * offices.bed_weight[None, :]

    disp = sc.dispositions
    outcomes = tuple(Outcome(d.outcome) for d in disp.values())
    chains = PhaseChains(
        means=tuple(d.mean_days.value for d in disp.values()),
        phases=tuple(d.phases for d in disp.values()),
    )
    share = np.array([d.share.value for d in disp.values()])
    pol = sc.policy
    path_share = daily_path_shares(
        share,
        np.array([d.discretionary for d in disp.values()], dtype=bool),
        None if pol.mandatory_detention_share is None else daily(pol.mandatory_detention_share),
        days,
        np.array([d.expedited for d in disp.values()], dtype=bool),
        None if pol.expedited_removal_share is None else daily(pol.expedited_removal_share),
    )
    initial_office = largest_remainder(
        np.array(int(sc.detention.initial_population.value)), offices.bed_weight
    )
    initial = largest_remainder(
        initial_office,
        np.broadcast_to(chains.steady_state_split(share), (offices.n, chains.n_slots)),
    )
    hold_cap = sc.detention.holding_capacity
    if hold_cap is not None and sc.detention.overflow == "hold":
        # Hold rooms are where arrests are booked in: spread like agents and arrests.
        holding = _spread(daily(hold_cap), offices.population_weight)
    else:
        holding = np.zeros((days, offices.n), dtype=np.int64)
    limited = sc.transport.limited_countries
    if limited is not None:
        limit_days = limited.limit_days
        limited_share = daily(limited.share)
        limited_accepted = _whole(daily(limited.accepted_per_day))
    else:
        limit_days = 0
        limited_share = np.zeros(days)
        limited_accepted = np.zeros(days, dtype=np.int64)
    courts = sc.courts
    court_paths = np.array(
        [courts is not None and d.court == "detained" for d in disp.values()], dtype=bool
    )
    pending_paths = np.array(
        [courts is not None and d.court == "pending" for d in disp.values()], dtype=bool
    )
    chain_cost = np.array(
        [d.cost_per_case.value if d.cost_per_case else 0.0 for d in disp.values()]
    )
    if courts is not None:
        court_capacity = _whole(daily(courts.judges) * daily(courts.completions_per_judge_day))
        if courts.docket_priority == "share":
            assert courts.detained_share is not None  # the schema requires it
            court_detained_cap = _whole(court_capacity * daily(courts.detained_share))
        else:
            court_detained_cap = court_capacity
        court_receipts = daily(courts.receipts_per_day)[:, None] * pop_w[None, :]
        court_backlog0 = largest_remainder(_whole(courts.initial_backlog.value), pop_w)
        in_absentia = daily(courts.in_absentia_share)
        present = daily(courts.removal_order_share)
        rest = 1.0 - in_absentia
        orders_present = np.clip(
            np.divide(present, rest, out=np.zeros(days), where=rest > 0), 0.0, 1.0
        )
        pending_group = group_keys.index(courts.pending_group)
        orders_group = group_keys.index(courts.orders_group)
        court_cost = courts.cost_per_completion.value
        # Each case the operation puts before a judge is charged once, on entry to its path:
        # the decision replaces a detained-docket path's cost_per_case, a release whose case
        # goes on adds it (releases for lack of beds are charged in ModelOutput.costs).
        chain_cost = np.where(court_paths, court_cost, chain_cost)
        chain_cost = np.where(pending_paths, chain_cost + court_cost, chain_cost)
    else:
        court_capacity = np.zeros(days, dtype=np.int64)
        court_detained_cap = np.zeros(days, dtype=np.int64)
        court_receipts = np.zeros((days, offices.n))
        court_backlog0 = np.zeros(offices.n, dtype=np.int64)
        in_absentia = np.zeros(days)
        orders_present = np.zeros(days)
        pending_group = orders_group = 0
        court_cost = 0.0
    regime = sc.regime
    return ModelInputs(
        scenario=sc,
        offices=offices,
        dates=dates,
        group_keys=group_keys,
        group_labels=tuple(g.label for g in groups.values()),
        agency_keys=agency_keys,
        agency_labels=tuple(AGENCY_LABELS[k] for k in agency_keys),
        agency_diverted=diverted,
        agent_days=agent_days,
        agency_cost_per_day=cost_per_day,
        effort=effort,
        effort_custodial=effort_custodial,
        guard_troops=troops,
        target_national=target,
        target_office=target_office,
        pool0=pool0,
        replenish=replenish,
        yield_per_agent_day=np.array([g.arrests_per_agent_day.value for g in groups.values()]),
        effort_share=np.array([g.effort_share.value for g in groups.values()]),
        priority=priority,
        custodial_on=cust is not None,
        custodial_offered=custodial_offered,
        custodial_weights=custodial_weights,
        custodial_yield=custodial_yield,
        collateral_on=coll is not None,
        collateral=collateral,
        departures_on=dep is not None,
        departure_rate=departure_rate,
        departures_per_arrest=departures_per_arrest,
        processing_capacity=processing,
        border_inflow=border,
        beds=beds,
        beds_national=beds_national,
        seats=seats,
        chains=chains,
        chain_exit_p=chains.exit_probability(),
        chain_outcome=outcomes,
        chains_ending_in={k: np.array([o == k for o in outcomes], dtype=bool) for k in Outcome},
        chain_share=share,
        path_share=path_share,
        chain_cost=chain_cost,
        initial_detained=initial,
        overflow_transfer=sc.detention.overflow == "transfer",
        overflow_hold=sc.detention.overflow == "hold",
        holding=holding,
        limit_days=limit_days,
        limited_share=limited_share,
        limited_accepted=limited_accepted,
        courts_on=courts is not None,
        court_capacity=court_capacity,
        court_detained_cap=court_detained_cap,
        court_paths=court_paths,
        pending_paths=pending_paths,
        court_receipts=court_receipts,
        court_backlog0=court_backlog0,
        in_absentia=in_absentia,
        orders_present=orders_present,
        pending_group=pending_group,
        orders_group=orders_group,
        court_cost=court_cost,
        atd_exit_p=1.0 / sc.atd.mean_days.value,
        atd_enrol=sc.atd.enrolment_share.value,
        pressure_shift=sc.targeting.pressure_shift.value,
        pressure_window=round(sc.targeting.pressure_window_days.value),
        pressure_all=regime.pressure_all.value if regime.enabled else 0.0,
        pressure_replaced=regime.pressure_replaced.value,
        month_ends=month_end_flags(start, days),
        regime_bottom=(
            int(np.floor(regime.bottom_fraction.value * offices.n + 1e-9)) if regime.enabled else 0
        ),
        regime_ranking=regime.ranking,
        dip=regime.productivity_dip.value,
        dip_days=round(regime.dip_days.value),
        money=money_inputs,
    )

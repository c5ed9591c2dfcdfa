"""An entity-level discrete-event version of the model, written with SimPy.

Each arrested or transferred case is a SimPy process that waits for a book-in
slot, is admitted to a bed (or transferred, or released for lack of one, or held
until a bed frees up under ``overflow = "hold"``, before newer cases, when no office
has a free bed for it), picks
its disposition path (with the day's path shares: mandatory detention
applied), spends a geometric number of days in each phase of the path, and
then waits for a removal seat, is released, or departs. At the end of a
removal path a case whose country limits removals (probability ``share``)
first waits in its office's first-in-first-out line for the country: each day
a case still waiting ``L`` days after it joined is released (the post-order
limit), then the day's national quota of acceptances is shared over the
offices' lines in proportion to their length (never more than a line holds, as
seats over queues) and taken from the front of each line into the removal
queue. Book-in slots, beds and seats are SimPy containers. Under ``hold`` an
office refuses arrests (they stay in the pools) and border transfers beyond the
room it has: free beds plus free holding places, less those already waiting.

With immigration courts (``[courts]``), a case at the end of a ``court =
"detained"`` path waits, still holding its bed, in its office's detained docket
(a first-in-first-out line per path). Each day judges decide up to the day's
national capacity: after the day's new non-detained cases, the detained docket
takes up to its cap (all of it, or the kept share, plus what the non-detained
docket cannot use), shared over the lines of every office and path in proportion to
their length (as seats over queues; the engine's rule: by path, not by arrival
over paths, so that the mix of outcomes decided is the mix waiting), each line
served from the front; each decided case then ends as its path's outcome. The
non-detained docket is a count per office (cases there are not people in this
model either): receipts from outside (rounded at random), releases at the end of
``court = "pending"`` paths and releases for lack of beds join it; what judges
have left completes cases in proportion to each office's pending count, each
completion an order in absentia, an order with the person present, or neither;
the ordered move from the pending group's pool to the orders group's, never more
than the pool holds.

Money under ``budget.on_exhausted = "stop"`` (docs/model.md 3.13) is kept here in its
own plain-Python accounting: what is left in each funding line, charged day by day to
the open lines that pay for a purpose, in the scenario's order, each up to what is left.
Seats are no more than the open transport lines can pay at ``cost_per_removal``, and the
removals are paid at once. Beds are no more than the open detention lines can pay for a
day at ``bed_day_cost`` (cut over offices like the beds), for admissions and, under
hold, the room. After the day's admissions, if more are detained than the detention
lines can pay for, the excess is released: shared over each office's compartments (a
phase of a path, a line on the detained docket, the removal queue, a day's entries into
the line for a country) in proportion to the cases there, and drawn at random within
each; each such case is interrupted wherever it waits and released (counted in
``released_funds``, not in ``released_capacity``; with courts a case on a court path or
the detained docket goes on, one with an order does not). Then the day's detention is
paid. (Under hold the engine also releases, for lack of money, what holding cannot take
when the day's removals spent money arrests counted on for beds; the agreement case runs
under release, where this cannot happen.) There are no set-asides: procurement and hiring under stop
are not modelled here.

It shares with the engine only the scenario and the deterministic parameter
arrays (:class:`~atlarge.model.inputs.ModelInputs`): every random draw here is
made per case or per office with NumPy's ``Generator`` (not the engine's
counter-based streams or samplers), and the allocation rules are written again
in plain Python. So the agreement tests compare two independent
implementations of the same semantics.

Timing. The model is a daily model; within day ``t`` the steps run at fixed
fractions of the day, in the engine's order:

    t+0.0  arrests                    t+0.5  removals (limit releases,
    t+0.1  book-in                           country acceptances, then seats)
    t+0.4  phase exits                t+0.6  admissions
    t+0.45 courts (the detained       t+0.7  path entry
           docket, then the other)    t+0.75 money (stop: releases, then
                                             detention paid)
                                      t+0.8  ATD
                                      t+0.9  records, monthly ranking

A case entering a phase on day ``s`` draws ``d ~ Geometric(k/m)`` (d >= 1) and
leaves it at ``s + d + 0.4``; the initial population is present before day 0
and can leave on day 0. These are the engine's semantics (a count entering a
phase faces the daily exit probability from the next day on).

Meant for small scenarios: a few offices and up to a few thousand arrests a
day. It is slow by design (one process per case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from atlarge.model.inputs import ModelInputs
from atlarge.model.measures import OFFICE_MEASURES
from atlarge.model.outcomes import Outcome
from atlarge.runs.executors import LocalPool

ARREST, BOOKIN, EXITS, COURTS, REMOVALS, ADMIT, ENTRY, FUNDS, ATD, RECORD = (
    0.0, 0.1, 0.4, 0.45, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9,
)  # fmt: skip
DETENTION, TRANSPORT = "detention", "transport"  # the purposes money holds back under stop


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Whole shares of ``total`` proportional to ``weights``; ties to the lower index."""
    wsum = sum(weights)
    if wsum <= 0 or total <= 0:
        return [0] * len(weights)
    exact = [(w / wsum) * total for w in weights]
    out = [math.floor(e) for e in exact]
    short = total - sum(out)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[:short]:
        out[i] += 1
    return out


def _place(total: int, room: list[int]) -> list[int]:
    """Place up to ``total`` over units in proportion to their room, never past it."""
    room = [max(r, 0) for r in room]
    return _largest_remainder(min(total, sum(room)), [float(r) for r in room])


def _affordable(money: float, unit: float) -> int:
    """Whole units ``money`` pays for at ``unit`` each, never one more than it pays for
    whatever the float rounding (no limit when the unit is free)."""
    if unit <= 0:
        return 10**15
    n = math.floor(money / unit)
    if n * unit > money:
        n -= 1
    return max(n, 0)


@dataclass
class _Line:
    """A funding line: what is left in it, what it pays for and its open days (inclusive)."""

    purposes: frozenset[str]
    left: float
    first: int
    last: int

    def pays(self, purpose: str, t: int) -> bool:
        return purpose in self.purposes and self.first <= t <= self.last


@dataclass(eq=False)  # cases are told apart by identity: two may hold the same fields
class Case:
    office: int
    decision: simpy.Event | None = None
    removed: simpy.Event | None = None
    limit: simpy.Event | None = None  # waiting for a country: True when released at the limit
    court: simpy.Event | None = None  # waiting for a judge on the detained docket
    bed_office: int = -1
    path: int = -1  # the disposition path it is on (once admitted)
    phase: int = -1  # the phase of the path it is in (while in one)
    proc: simpy.Process | None = None  # its process, interrupted if released for lack of money


@dataclass
class _Office:
    slots: simpy.Container
    beds: simpy.Container
    backlog: int = 0
    wanting: list[Case] = field(default_factory=list)
    held: list[Case] = field(default_factory=list)  # overflow = hold: waiting for a bed
    queue: list[Case] = field(default_factory=list)
    limited: list[tuple[int, Case]] = field(default_factory=list)  # (day joined, case), FIFO
    docket: list[list[Case]] = field(default_factory=list)  # detained docket: per path, FIFO
    pending: int = 0  # cases on the non-detained docket (a count, not people)


class ReferenceRun:
    """One replication of the reference model."""

    def __init__(self, inputs: ModelInputs, seed: int, rep: int) -> None:
        if np.any(np.diff(inputs.beds, axis=0) < 0):
            raise NotImplementedError("the reference model needs beds that never decrease")
        self.inp = inputs
        ss = np.random.SeedSequence(seed, spawn_key=(rep, 0xEF))  # not the engine's stream
        self.rng = np.random.default_rng(ss)
        self.env = simpy.Environment()
        sc = inputs.scenario
        n_o, n_g, n_d = inputs.n_offices, inputs.n_groups, inputs.days
        self.n_o, self.n_g, self.n_d = n_o, n_g, n_d
        beds0 = inputs.beds[0]
        initial = inputs.initial_detained.sum(axis=1)
        cap = int(inputs.beds.max()) + 1
        self.offices = [
            _Office(
                slots=simpy.Container(self.env, capacity=10**12, init=0),
                beds=simpy.Container(self.env, capacity=cap, init=int(beds0[o] - initial[o])),
            )
            for o in range(n_o)
        ]
        self.pool = inputs.pool0.astype(np.int64).copy()  # (O, G)
        self.rec = {m: np.zeros((n_o, n_d), dtype=np.int64) for m in OFFICE_MEASURES}
        self.rec_group = np.zeros((n_o, n_g, n_d), dtype=np.int64)
        self.rec_pool = np.zeros((n_o, n_g, n_d), dtype=np.int64)
        self.rec_entries = np.zeros((inputs.chains.n_chains, n_d), dtype=np.int64)
        self.atd = [0] * n_o
        self.detained = [int(x) for x in initial]
        self.regime = sc.regime
        self.window = round(sc.targeting.pressure_window_days.value)
        self.recent = np.zeros((self.window, n_o))
        self.dip_until = np.zeros(n_o)
        self.replaced = np.zeros(n_o, dtype=bool)
        self.period_arrests = np.zeros(n_o)
        self.period_target = np.zeros(n_o)
        self.share = inputs.path_share  # (days, paths): the day's shares
        self.hold = inputs.scenario.detention.overflow == "hold"
        self.means = inputs.chains.means
        # Channel and departure parameters read from the scenario, not from ModelInputs'
        # prepared arrays, so a slip in preparing them shows as a disagreement.
        start, keys = sc.start_date, inputs.group_keys
        self.pop_weight = inputs.offices.population_weight
        prio = sc.policy.priority
        self.priority = [prio[k].daily(start, n_d) if k in prio else np.ones(n_d) for k in keys]
        cust = sc.custodial
        self.custodial = None
        if cust is not None:
            mix = [cust.group_mix[k].value if k in cust.group_mix else 0.0 for k in keys]
            self.custodial = (
                cust.removable_bookings_per_day.daily(start, n_d),
                cust.detainer_share.daily(start, n_d),
                mix,
                cust.arrests_per_agent_day.value,
            )
        coll = sc.collateral
        self.collateral = None if coll is None else coll.per_at_large_arrest.daily(start, n_d)
        dep = sc.departures
        self.departures = None
        if dep is not None:
            self.departures = (
                dep.share_per_year.daily(start, n_d),
                dep.per_arrest.daily(start, n_d),
            )
        self._court_settings()
        self._money_settings()
        self.phases = inputs.chains.phases
        self.on_path: list[dict[Case, None]] = [{} for _ in range(n_o)]  # in a phase (ordered)
        for o in range(n_o):
            slot = 0
            for c in range(inputs.chains.n_chains):
                for k in range(self.phases[c]):
                    for _ in range(int(inputs.initial_detained[o, slot])):
                        case = Case(o, bed_office=o)
                        case.proc = self.env.process(self._detained(case, c, k, start=-1))
                    slot += 1
        self.env.process(self._day_controller())

    def _court_settings(self) -> None:
        """Court parameters read from the scenario (not from ModelInputs' court arrays), so
        that a slip in preparing those shows as a disagreement."""
        sc, n_d = self.inp.scenario, self.n_d
        courts, start = sc.courts, sc.start_date
        self.courts = courts
        paths = list(sc.dispositions.values())
        self.court_paths = [courts is not None and d.court == "detained" for d in paths]
        self.pending_paths = [courts is not None and d.court == "pending" for d in paths]
        for off in self.offices:
            off.docket = [[] for _ in paths]
        if courts is None:
            return
        rate = courts.judges.daily(start, n_d) * courts.completions_per_judge_day.daily(start, n_d)
        self.judge_cap = [math.floor(x + 1e-9) for x in rate]  # decisions a day, national
        if courts.docket_priority == "share":
            assert courts.detained_share is not None  # the schema requires it
            kept = courts.detained_share.daily(start, n_d)
            self.detained_cap = [
                math.floor(k * s + 1e-9) for k, s in zip(self.judge_cap, kept, strict=True)
            ]
        else:
            self.detained_cap = list(self.judge_cap)
        self.receipts = courts.receipts_per_day.daily(start, n_d)  # national, expected
        self.absentia = courts.in_absentia_share.daily(start, n_d)
        self.present = courts.removal_order_share.daily(start, n_d)  # share of all completions
        keys = self.inp.group_keys
        self.pending_group = keys.index(courts.pending_group)
        self.orders_group = keys.index(courts.orders_group)
        backlog = math.floor(courts.initial_backlog.value + 1e-9)
        spread = _largest_remainder(backlog, [float(w) for w in self.pop_weight])
        for off, n in zip(self.offices, spread, strict=True):
            off.pending = n

    def _money_settings(self) -> None:
        """Funding lines read from the scenario (not from the engine's prepared ledger), so
        that a slip in preparing those shows as a disagreement. Only under stop."""
        sc = self.inp.scenario
        budget = sc.budget
        self.lines: list[_Line] = []
        if budget is not None and budget.on_exhausted == "stop":
            if sc.beds_plan is not None or sc.hiring_plan is not None:
                raise NotImplementedError("the reference model has no procurement or hiring")
            start = sc.start_date
            self.lines = [
                _Line(
                    purposes=frozenset(line.purposes),
                    left=float(line.amount.value),
                    first=(line.available_from - start).days,
                    last=(line.available_until - start).days,
                )
                for line in budget.lines.values()
            ]
        self.hold_beds = any(DETENTION in line.purposes for line in self.lines)
        self.hold_seats = any(TRANSPORT in line.purposes for line in self.lines)
        self.bed_rate = sc.detention.bed_day_cost.value
        self.removal_cost = sc.transport.cost_per_removal.value
        self.charged = np.zeros((len(self.lines), self.n_d))  # USD charged to each line a day

    def _money(self, t: int, purpose: str) -> float:
        """USD left today in the open lines that pay for ``purpose``."""
        return sum(line.left for line in self.lines if line.pays(purpose, t))

    def _charge(self, t: int, purpose: str, cost: float) -> None:
        """Charge ``cost`` to the open lines for ``purpose`` in order, each up to its rest."""
        for i, line in enumerate(self.lines):
            if line.pays(purpose, t):
                take = min(cost, line.left)
                line.left -= take
                self.charged[i, t] += take
                cost -= take

    def _beds(self, t: int) -> list[int]:
        """Beds each office may fill today: the beds, cut (like the beds, largest remainder)
        to those the open detention lines can pay for a day when they pay for fewer."""
        beds = [int(b) for b in self.inp.beds[t]]
        if not self.hold_beds:
            return beds
        paid = _affordable(self._money(t, DETENTION), self.bed_rate)
        if paid >= sum(beds):
            return beds
        return _largest_remainder(paid, [float(b) for b in beds])

    # ------------------------------------------------------------------ cases
    def _at(self, day: int, frac: float):
        return self.env.timeout(max(day + frac - self.env.now, 0.0))

    def _arrested(self, case: Case):
        off = self.offices[case.office]
        off.backlog += 1
        yield off.slots.get(1)  # a book-in slot (FIFO)
        off.backlog -= 1
        t = int(self.env.now)
        self.rec["booked"][case.office, t] += 1
        yield from self._wants_bed(case)

    def _border(self, case: Case):
        self.rec["border_admissions"][case.office, int(self.env.now)] += 1
        yield from self._wants_bed(case)

    def _wants_bed(self, case: Case):
        case.decision = self.env.event()
        self.offices[case.office].wanting.append(case)
        outcome = yield case.decision
        if outcome is None:  # released for lack of beds
            yield from self._released(case.office)
            return
        case.bed_office = outcome
        yield self.offices[outcome].beds.get(1)
        t = int(self.env.now)
        yield self._at(t, ENTRY)
        path = int(self.rng.choice(self.share.shape[1], p=self.share[t]))
        self.rec_entries[path, t] += 1
        yield from self._detained(case, path, 0, start=t)

    def _detained(self, case: Case, path: int, first_phase: int, start: int):
        try:
            yield from self._in_detention(case, path, first_phase, start)
        except simpy.Interrupt:  # released for lack of money (the controller kept the books)
            yield from self._released(case.bed_office)

    def _in_detention(self, case: Case, path: int, first_phase: int, start: int):
        day = start
        case.path = path
        o = case.bed_office
        q = self.phases[path] / self.means[path]
        self.on_path[o][case] = None
        for k in range(first_phase, self.phases[path]):
            case.phase = k
            day += int(self.rng.geometric(q))
            yield self._at(day, EXITS)
        del self.on_path[o][case]
        if self.court_paths[path]:  # wait for a judge, still holding the bed
            case.court = self.env.event()
            self.offices[o].docket[path].append(case)
            yield case.court
            day = int(self.env.now)
        outcome = self.inp.chain_outcome[path]
        if outcome == Outcome.REMOVAL:  # wait for a seat, still holding the bed
            if self.inp.limit_days and self.rng.random() < self.inp.limited_share[day]:
                # The country limits removals: wait for it (still holding the bed).
                case.limit = self.env.event()
                self.offices[o].limited.append((day, case))
                if (yield case.limit):  # released at the post-order limit
                    yield from self._released(o)
                    return
                yield case.removed  # accepted: queued for a seat by the controller
                return
            case.removed = self.env.event()
            self.offices[o].queue.append(case)
            yield case.removed
            return
        self.detained[o] -= 1
        yield self.offices[o].beds.put(1)
        if outcome == Outcome.RELEASE:
            if self.pending_paths[path]:  # the case goes on, on the non-detained docket
                self.offices[o].pending += 1
                self.rec["court_receipts"][o, day] += 1
            yield from self._released(o)
        else:  # Outcome.DEPARTURE
            self.rec["departed"][o, day] += 1

    def _released(self, office: int):
        t = int(self.env.now)
        self.rec["released"][office, t] += 1
        yield self._at(t, ATD)
        if self.rng.random() < self.inp.atd_enrol:
            self.atd[office] += 1
            stay = int(self.rng.geometric(self.inp.atd_exit_p))
            yield self._at(t + stay, ATD)
            self.atd[office] -= 1

    # ------------------------------------------------------------- the day
    def _day_controller(self):
        inp = self.inp
        for t in range(self.n_d):
            yield self._at(t, ARREST)
            self._arrests(t)
            yield self._at(t, BOOKIN)
            caps = [int(inp.processing_capacity[t, o]) for o in range(self.n_o)]
            borders = []
            for o in range(self.n_o):
                expected = inp.border_inflow[t, o]
                borders.append(math.floor(expected) + (self.rng.random() < expected % 1.0))
            if self.hold:  # book-ins, then border transfers, up to the room left nationally
                room = self._room(t)
                booked = [min(c, off.backlog) for c, off in zip(caps, self.offices, strict=True)]
                if sum(booked) > room:
                    booked = _largest_remainder(room, [float(b) for b in booked])
                caps = booked
                left = room - sum(booked)
                taken = borders
                if sum(borders) > left:
                    taken = _largest_remainder(left, [float(b) for b in borders])
                for o in range(self.n_o):
                    self.rec["border_refused"][o, t] = borders[o] - taken[o]
                borders = taken
            for o, off in enumerate(self.offices):
                if caps[o]:
                    yield off.slots.put(caps[o])
                for _ in range(borders[o]):
                    case = Case(o)
                    case.proc = self.env.process(self._border(case))
            yield self.env.timeout(0.05)  # unused slots do not carry over
            for off in self.offices:
                if off.slots.level:
                    yield off.slots.get(off.slots.level)
            yield self._at(t, COURTS)
            if self.courts is not None:
                self._courts(t)
            yield self._at(t, REMOVALS)
            self._removals(t)
            yield self._at(t, ADMIT)
            self._admissions(t)
            yield self._at(t, FUNDS)
            if self.hold_beds:
                self._funding(t)
            yield self._at(t, RECORD)
            self._record(t)

    def _arrests(self, t: int) -> None:
        """Per office: custodial handovers, then at-large arrests on what is left, then
        collateral arrests; under hold all three cut to the room; then departures from the
        pools and replenishment (docs/model.md 3.3)."""
        inp, sc = self.inp, self.inp.scenario
        y = inp.yield_per_agent_day
        w0 = inp.effort_share
        shift = sc.targeting.pressure_shift.value
        regime = self.regime
        base = regime.pressure_all.value if regime.enabled else 0.0
        seen = min(t, self.window)
        prio = [float(self.priority[g][t]) for g in range(self.n_g)]
        drawn = []
        for o in range(self.n_o):
            settled = 1.0 - regime.productivity_dip.value if self.dip_until[o] > t else 1.0
            effort = inp.effort[t, o] * settled
            shortfall = 0.0
            tgt = inp.target_office[t, o]
            if seen and tgt > 0:
                shortfall = 1.0 - self.recent[:, o].sum() / seen / tgt
            pressure = min(
                max(
                    min(max(shortfall, 0.0), 1.0)
                    + base
                    + regime.pressure_replaced.value * self.replaced[o],
                    0.0,
                ),
                1.0,
            )
            pool0 = inp.pool0[o]
            yields = [
                y[g] * self.pool[o, g] / pool0[g] if pool0[g] > 0 else 0.0 for g in range(self.n_g)
            ]
            best = int(np.argmax(yields))
            custodial = self._custodial(t, o, inp.effort_custodial[t, o] * settled, prio)
            left = [int(self.pool[o, g]) - custodial[g] for g in range(self.n_g)]
            at_large = []
            for g in range(self.n_g):
                alloc = (1 - shift * pressure) * w0[g] + shift * pressure * (g == best)
                hazard = y[g] * prio[g] * effort * alloc / pool0[g] if pool0[g] > 0 else 0.0
                p = 1.0 - math.exp(-hazard)
                at_large.append(int(self.rng.binomial(left[g], p)) if left[g] else 0)
            left = [left[g] - at_large[g] for g in range(self.n_g)]
            collateral = [0] * self.n_g
            if self.collateral is not None and sum(at_large):
                n_col = int(self.rng.binomial(sum(at_large), self.collateral[t]))
                split = _largest_remainder(n_col, [left[g] * prio[g] for g in range(self.n_g)])
                collateral = [min(split[g], left[g]) for g in range(self.n_g)]
            drawn.append([at_large, custodial, collateral])  # the engine's order for the cut
        if self.hold:  # no room nationally to book them in: those arrests wait, in their pools
            wanted = [sum(map(sum, ch)) for ch in drawn]
            room = max(self._room(t) - sum(off.backlog for off in self.offices), 0)
            if sum(wanted) > room:
                allowed = _largest_remainder(room, [float(w) for w in wanted])
                for o, channels in enumerate(drawn):
                    if wanted[o] > allowed[o]:
                        flat = [float(a) for ch in channels for a in ch]
                        kept = _largest_remainder(allowed[o], flat)
                        drawn[o] = [kept[i * self.n_g : (i + 1) * self.n_g] for i in range(3)]
                        self.rec["arrests_forgone_capacity"][o, t] = wanted[o] - allowed[o]
        for o, channels in enumerate(drawn):
            made = [sum(ch[g] for ch in channels) for g in range(self.n_g)]
            for key, ch in zip(("at_large", "custodial", "collateral"), channels, strict=True):
                self.rec[f"arrests_{key}"][o, t] = sum(ch)
            total = 0
            for g, a in enumerate(made):
                self.pool[o, g] -= a
                self.rec_group[o, g, t] = a
                total += a
                for _ in range(a):
                    case = Case(o)
                    case.proc = self.env.process(self._arrested(case))
            self._departures(t, o, total)
            for g in range(self.n_g):
                add = inp.replenish[t, o, g]
                self.pool[o, g] += math.floor(add) + (self.rng.random() < add % 1.0)
            self.rec["arrests"][o, t] = total
            self.recent[t % self.window, o] = total
            self.period_arrests[o] += total
            self.period_target[o] += inp.target_office[t, o]

    def _custodial(self, t: int, o: int, effort: float, prio: list[float]) -> list[int]:
        """Custodial handovers by group: removable bookings in reach, taken at the rate the
        custodial effort allows, split by group mix times priority, capped at the pools."""
        if self.custodial is None:
            return [0] * self.n_g
        bookings, detainer, mix, yld = self.custodial
        weights = [mix[g] * prio[g] for g in range(self.n_g)]
        offered = bookings[t] * detainer[t] * self.pop_weight[o] * sum(weights)
        if offered <= 0:
            return [0] * self.n_g
        n = math.floor(offered) + (self.rng.random() < offered % 1.0)
        taken = int(self.rng.binomial(n, 1.0 - math.exp(-effort * yld / offered)))
        split = _largest_remainder(taken, weights)
        return [min(split[g], int(self.pool[o, g])) for g in range(self.n_g)]

    def _departures(self, t: int, o: int, arrests: int) -> None:
        """Departures from each pool of office ``o``: a yearly share as a daily hazard plus
        departures prompted per arrest (at full pool)."""
        if self.departures is None:
            return
        share, per_arrest = self.departures
        pool0 = float(self.inp.pool0[o].sum())
        rate = -math.log(1.0 - share[t]) / 365.0 if share[t] < 1.0 else math.inf
        if pool0 > 0:
            rate += per_arrest[t] * arrests / pool0
        p = 1.0 - math.exp(-rate)
        gone = 0
        for g in range(self.n_g):
            d = int(self.rng.binomial(self.pool[o, g], p)) if self.pool[o, g] else 0
            self.pool[o, g] -= d
            gone += d
        self.rec["pool_departures"][o, t] = gone

    def _room(self, t: int) -> int:
        """Under hold: persons the offices can still take in, nationally (free beds and
        free holding places, less those already waiting), as the engine's room."""
        room = 0
        beds = self._beds(t)
        for o, off in enumerate(self.offices):
            free = max(beds[o] - self.detained[o], 0)
            room += max(int(self.inp.holding[t, o]) + free - len(off.held), 0)
        return room

    def _limited(self, t: int) -> None:
        """Cases waiting for a country: those waiting ``L`` days are released, then the
        day's national quota is shared over the offices' lines in proportion to their
        length (never more than a line holds) and taken from the front into the queue."""
        limit = self.inp.limit_days
        for o, off in enumerate(self.offices):
            released = 0
            while off.limited and t - off.limited[0][0] >= limit:
                _, case = off.limited.pop(0)
                self.detained[o] -= 1
                off.beds.put(1)
                case.limit.succeed(True)
                released += 1
            self.rec["releases_post_order_limit"][o, t] = released
        quota = int(self.inp.limited_accepted[t])
        accepted = _place(quota, [len(off.limited) for off in self.offices])
        for o, off in enumerate(self.offices):
            for _ in range(accepted[o]):
                _, case = off.limited.pop(0)
                case.removed = self.env.event()
                off.queue.append(case)
                case.limit.succeed(False)

    def _courts(self, t: int) -> None:
        """Judges' decisions of the day. New non-detained cases from outside first (rounded
        at random per office); then the detained docket takes up to its cap (all of the
        capacity, or the kept share) plus what the non-detained docket cannot use, shared
        over the lines of every office and path by length, each from the front, each
        decided case then ending as its path's outcome in its own process; then the
        non-detained docket with what is left."""
        for o, off in enumerate(self.offices):
            expected = self.receipts[t] * self.pop_weight[o]
            new = math.floor(expected) + (self.rng.random() < expected % 1.0)
            off.pending += new
            self.rec["court_receipts"][o, t] += new
        pending = sum(off.pending for off in self.offices)
        unused = max(self.judge_cap[t] - self.detained_cap[t] - pending, 0)
        lines = [(o, line) for o, off in enumerate(self.offices) for line in off.docket]
        decided = _place(self.detained_cap[t] + unused, [len(line) for _, line in lines])
        for (o, line), n in zip(lines, decided, strict=True):
            for case in line[:n]:
                self.rec["removal_orders"][o, t] += (
                    self.inp.chain_outcome[case.path] == Outcome.REMOVAL
                )
                case.court.succeed()
            del line[:n]
            self.rec["court_detained_decisions"][o, t] += n
        self._non_detained(t, self.judge_cap[t] - sum(decided))

    def _non_detained(self, t: int, capacity: int) -> None:
        """``capacity`` completions shared over offices by pending count; each completion
        is an order in absentia, an order with the person present, or neither (one uniform
        draw each); the ordered move between the pools, never more than the pending group
        holds."""
        done = _place(capacity, [off.pending for off in self.offices])
        a, r = self.absentia[t], self.present[t]
        for o, off in enumerate(self.offices):
            off.pending -= done[o]
            u = self.rng.random(done[o])
            absentia = int((u < a).sum())
            ordered = absentia + int(((u >= a) & (u < a + r)).sum())
            moved = 0
            if self.pending_group != self.orders_group:
                moved = min(ordered, int(self.pool[o, self.pending_group]))
                self.pool[o, self.pending_group] -= moved
                self.pool[o, self.orders_group] += moved
            self.rec["court_completions"][o, t] = (
                self.rec["court_detained_decisions"][o, t] + done[o]
            )
            self.rec["in_absentia_orders"][o, t] = absentia
            self.rec["removal_orders"][o, t] += ordered
            self.rec["orders_to_pool"][o, t] = moved

    def _removals(self, t: int) -> None:
        if self.inp.limit_days:
            self._limited(t)
        seats = int(self.inp.seats[t])
        if self.hold_seats:  # no more than the open transport lines can pay for
            seats = min(seats, _affordable(self._money(t, TRANSPORT), self.removal_cost))
        take = _place(seats, [len(off.queue) for off in self.offices])
        for o, off in enumerate(self.offices):
            for _ in range(take[o]):
                case = off.queue.pop(0)
                self.detained[o] -= 1
                off.beds.put(1)
                case.removed.succeed()
            self.rec["removed"][o, t] = take[o]
        if self.hold_seats:
            self._charge(t, TRANSPORT, sum(take) * self.removal_cost)

    def _admissions(self, t: int) -> None:
        overflow_cases: list[list[Case]] = []
        room = []
        beds = self._beds(t)
        for o, off in enumerate(self.offices):
            free = max(beds[o] - self.detained[o], 0)
            wanting, off.wanting = off.held + off.wanting, []  # those held go first
            admit = wanting[:free]
            for case in admit:
                case.decision.succeed(o)
            self.detained[o] += len(admit)
            overflow_cases.append(wanting[free:])
            room.append(free - len(admit))
        overflow = [len(c) for c in overflow_cases]
        if self.inp.scenario.detention.overflow in ("transfer", "hold"):
            # Overflow goes to offices with free beds; the rest is released or held.
            moved_in = _place(sum(overflow), room)
            unplaced = sum(overflow) - sum(moved_in)
            if self.hold:  # what no bed can take waits in holding, by holding capacity
                stays = _place(unplaced, [int(h) for h in self.inp.holding[t]])
            else:
                stays = _largest_remainder(unplaced, [float(x) for x in overflow])
        else:
            moved_in = [0] * self.n_o
            stays = overflow
        movers: list[Case] = []
        if self.hold:  # those no bed takes wait in the holding places the engine gives
            waiting = [c for cases in overflow_cases for c in cases]
            for o, off in enumerate(self.offices):
                off.held, waiting = waiting[: stays[o]], waiting[stays[o] :]
                assert len(off.held) <= self.inp.holding[t, o], "holding over capacity"
            movers = waiting
            for o in range(self.n_o):  # to another office's beds or holding, as the engine
                self.rec["transferred_out"][o, t] = max(overflow[o] - stays[o], 0)
                self.rec["transferred_in"][o, t] += max(stays[o] - overflow[o], 0)
        for o, cases in enumerate(overflow_cases):
            if self.hold:
                break
            n_move = overflow[o] - stays[o]
            movers += cases[:n_move]  # the earliest arrivals are placed first
            for case in cases[n_move:]:
                case.decision.succeed(None)
            self.rec["released_capacity"][o, t] = stays[o]
            if self.courts is not None:  # released for lack of beds: a case before the court
                self.offices[o].pending += stays[o]
                self.rec["court_receipts"][o, t] += stays[o]
            self.rec["transferred_out"][o, t] = n_move
        for o in range(self.n_o):
            for _ in range(moved_in[o]):
                movers.pop(0).decision.succeed(o)
            self.detained[o] += moved_in[o]
            self.rec["transferred_in"][o, t] += moved_in[o]

    def _funding(self, t: int) -> None:
        """Those detained beyond what the open detention lines can pay for a day are
        released (see the module docstring), then the day's detention is paid."""
        paid = _affordable(self._money(t, DETENTION), self.bed_rate)
        excess = sum(self.detained) - paid
        if excess > 0:
            self._release_unpaid(t, excess)
        self._charge(t, DETENTION, sum(self.detained) * self.bed_rate)

    def _compartments(self) -> list[tuple[int, list[Case], bool]]:
        """(office, cases, has a case before a judge) of every place a detained case can
        be, office by office: each phase of each path, the detained docket's lines (with
        courts), the removal queue, and the line for a country by entry day modulo the
        limit (the engine's slots). A case on a court path or on the docket is before a
        judge; one with an order (queue, country) is not."""
        out: list[tuple[int, list[Case], bool]] = []
        n_c, limit = len(self.phases), self.inp.limit_days
        before_judge = [a or b for a, b in zip(self.court_paths, self.pending_paths, strict=True)]
        for o, off in enumerate(self.offices):
            phase: dict[tuple[int, int], list[Case]] = {}
            for case in self.on_path[o]:
                phase.setdefault((case.path, case.phase), []).append(case)
            out += [
                (o, phase.get((c, k), []), before_judge[c])
                for c in range(n_c)
                for k in range(self.phases[c])
            ]
            if self.courts is not None:
                out += [(o, line, True) for line in off.docket]
            out.append((o, off.queue, False))
            slots: list[list[Case]] = [[] for _ in range(limit)]
            for joined, case in off.limited:
                slots[joined % limit].append(case)
            out += [(o, s, False) for s in slots]
        return out

    def _release_unpaid(self, t: int, excess: int) -> None:
        """Release ``excess`` detained cases, shared over the compartments in proportion to
        the cases in each (largest remainder), drawn at random within each; with courts a
        case before a judge goes on (it was charged when it began)."""
        places = self._compartments()
        assert sum(len(c) for _, c, _ in places) == sum(self.detained), "lost track of a case"
        counts = _place(excess, [len(cases) for _, cases, _ in places])
        gone: set[Case] = set()
        for (o, cases, goes_on), n in zip(places, counts, strict=True):
            if not n:
                continue
            for i in self.rng.choice(len(cases), size=n, replace=False):
                case = cases[int(i)]
                gone.add(case)
                self.on_path[o].pop(case, None)
                self.detained[o] -= 1
                self.offices[o].beds.put(1)
                self.rec["released_funds"][o, t] += 1
                if self.courts is not None and goes_on:
                    self.offices[o].pending += 1
                    self.rec["court_receipts"][o, t] += 1
                assert case.proc is not None
                case.proc.interrupt("no money for the bed")
        for off in self.offices:
            off.queue[:] = [c for c in off.queue if c not in gone]
            off.limited[:] = [(d, c) for d, c in off.limited if c not in gone]
            for line in off.docket:
                line[:] = [c for c in line if c not in gone]

    def _record(self, t: int) -> None:
        for o, off in enumerate(self.offices):
            self.rec["processing_backlog"][o, t] = off.backlog
            self.rec["held"][o, t] = len(off.held)
            self.rec["detained"][o, t] = self.detained[o]
            self.rec["removal_queue"][o, t] = len(off.queue)
            self.rec["limited_queue"][o, t] = len(off.limited)
            self.rec["atd_population"][o, t] = self.atd[o]
            self.rec["court_backlog"][o, t] = off.pending
            self.rec["court_detained_waiting"][o, t] = sum(map(len, off.docket))
        self.rec_pool[:, :, t] = self.pool
        if self.inp.month_ends[t]:
            n_bottom = (
                math.floor(self.regime.bottom_fraction.value * self.n_o + 1e-9)
                if self.regime.enabled
                else 0
            )
            if n_bottom:
                if self.regime.ranking == "share_of_target":
                    score = self.period_arrests / np.where(
                        self.period_target > 0, self.period_target, 1.0
                    )
                else:
                    score = self.period_arrests.copy()
                ties = self.rng.random(self.n_o)
                bottom = sorted(range(self.n_o), key=lambda o: (score[o], ties[o]))[:n_bottom]
                for o in bottom:
                    self.rec["replacements"][o, t] = 1
                    self.dip_until[o] = t + 1 + self.regime.dip_days.value
                    self.replaced[o] = True
            self.period_arrests[:] = 0
            self.period_target[:] = 0

    def run(self) -> dict[str, np.ndarray]:
        self.env.run(until=self.n_d)
        out = {m: a[None] for m, a in self.rec.items()}
        out["arrests_by_group"] = self.rec_group[None]
        out["pool"] = self.rec_pool[None]
        out["path_entries"] = self.rec_entries[None]
        out["line_charged"] = self.charged[None]  # (1, lines, days) USD; no lines unless stop
        return out


def _one(args: tuple[ModelInputs, int, int]) -> dict[str, np.ndarray]:
    inputs, seed, rep = args
    return ReferenceRun(inputs, seed, rep).run()


def run_reference(
    inputs: ModelInputs, seed: int, reps: int, workers: int = 1
) -> dict[str, np.ndarray]:
    """Run ``reps`` replications; series shaped like the engine's.

    Replication ``r`` uses its own seed, so ``workers`` changes only speed.
    """
    jobs = [(r, ((inputs, seed, r),)) for r in range(reps)]
    done = dict(LocalPool(workers).map(_one, jobs))  # the package's one way to use processes
    parts = [done[r] for r in range(reps)]
    return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}

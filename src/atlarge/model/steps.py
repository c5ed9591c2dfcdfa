"""The daily steps of the enforcement pipeline, one function per step of docs/model.md §3.

Every step has the same signature, ``step(inputs, state, day)``: it reads the
prepared inputs (:class:`~atlarge.model.inputs.ModelInputs`, never the
scenario), updates the stocks in ``state`` in place and writes its flows to
``day``. :data:`DAILY_STEPS` lists them in the order they run each day; all
work over every replication and office at once.

Each kind of random draw has its own stream (:class:`Stream`). A draw is
addressed by (replication, element, day, stream), not by its place in a
sequence, so a new draw with a new stream number never changes another.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

import numpy as np

from atlarge.engine.allocation import fill_up_to, largest_remainder, stochastic_round, take_oldest
from atlarge.engine.samplers import binomial, multinomial
from atlarge.model.inputs import ModelInputs
from atlarge.model.ledger import charge_in_order
from atlarge.model.money import DETENTION, TRANSPORT
from atlarge.model.outcomes import Outcome
from atlarge.model.state import Day, PipelineState


class Stream(IntEnum):
    """Random stream of each kind of draw (a new draw takes a new number)."""

    ARRESTS = 1
    REPLENISH = 2
    BORDER = 3
    EXITS = 4
    PATHS = 5
    ATD_EXIT = 6
    ATD_ENROL = 7
    TIES = 8
    # Arrest channels and pool departures (issue 12): numbered from 20, apart from any
    # other new draws, so that two sets of new streams can never share a number.
    CUSTODIAL_OFFERED = 20
    CUSTODIAL = 21
    COLLATERAL = 22
    DEPARTURES = 23
    # Immigration courts (issue 13): from 30.
    COURT_RECEIPTS = 30
    COURT_LIMITED = 31
    IN_ABSENTIA = 32
    ORDERS_PRESENT = 33
    LIMITED = 9
    # 10 was LIMITED_CLEAR (a binomial draw of acceptances); acceptances are now a national
    # quota shared like seats, with no draw. The number stays unused: no renumbering.


def effort(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.1: officer-equivalent effort at large and in the custodial channel (§3.3.1), less
    the dip while a new leadership settles in."""
    t = day.t
    settled = np.where(state.dip_until > t, 1.0 - inp.dip, 1.0)
    day.effort = inp.effort[t] * settled
    day.effort_custodial = inp.effort_custodial[t] * settled


def pressure(inp: ModelInputs, state: PipelineState, t: int) -> np.ndarray:
    """§3.2: ``(R, O)`` pressure in [0, 1]: recent shortfall against the target, plus the
    regime's pressure on every office and on offices whose leadership was replaced."""
    n_r, n_o = state.backlog.shape
    if t:  # the window is at least a day
        # A batch of parameter points (model.batch) has a window per row, (R,).
        seen = np.minimum(t, inp.pressure_window)
        avg = state.recent.sum(axis=0) / np.reshape(seen, (-1, 1))
        tgt = inp.target_office[t]
        shortfall = np.where(tgt > 0, 1.0 - avg / np.where(tgt > 0, tgt, 1.0), 0.0)
    else:
        shortfall = np.zeros((n_r, n_o))
    return np.clip(
        np.clip(shortfall, 0.0, 1.0) + inp.pressure_all + inp.pressure_replaced * state.replaced,
        0.0,
        1.0,
    )


def allocation(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.2: effort shares over groups; under pressure a share moves to the group with
    the highest current yield per agent-day (which falls as its pool is depleted)."""
    pool0 = inp.pool0
    yld = inp.yield_per_agent_day * state.pool / _safe(pool0) * (pool0 > 0)
    quickest = np.argmax(yld, axis=-1)[..., None] == np.arange(yld.shape[-1])
    moved = (inp.pressure_shift * pressure(inp, state, day.t))[..., None]
    day.allocation = (1.0 - moved) * inp.effort_share + moved * quickest


def arrests(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.3: the day's arrests in three channels, in order: custodial handovers
    (:func:`custodial_arrests`), at large ``Binomial(pool, 1 - exp(-y prio E alpha /
    pool0))`` per group on what custodial left (random-search form), and collateral arrests
    (:func:`collateral_arrests`). Pools are depleted by the arrests made; the pressure
    window is updated. Under ``overflow = "hold"`` all channels together are cut to the
    room in holding and beds less the book-in backlog (split over channel and group by
    largest remainder); the rest are forgone and stay in their pools."""
    t, streams = day.t, day.streams
    pool0 = inp.pool0
    zero = np.zeros_like(state.pool)
    custodial_g = custodial_arrests(inp, state, day) if inp.custodial_on else zero
    left = state.pool - custodial_g if inp.custodial_on else state.pool
    yld = inp.yield_per_agent_day * inp.priority[t]
    hazard = yld * day.effort[..., None] * day.allocation / _safe(pool0)
    p_arrest = np.where(pool0 > 0, -np.expm1(-hazard), 0.0)
    at_large_g = binomial(streams, left, p_arrest, t, Stream.ARRESTS)
    if inp.collateral_on:
        collateral_g = collateral_arrests(inp, left - at_large_g, at_large_g, day)
    else:
        collateral_g = zero
    # Channel axis: at large first, so that with the other channels off the cut under
    # hold ranks (and breaks ties) exactly as the one-channel cut did.
    channels = np.stack([at_large_g, custodial_g, collateral_g], axis=-2)  # (R, O, 3, G)
    if inp.overflow_hold:
        # Teams book in only whom holding or a bed can take: the rest stay in their pools.
        # The room is national (overflow is transferred to any office with a free bed or
        # holding place); when the day's arrests exceed it they are cut in proportion.
        wanted = channels.sum(axis=(-2, -1))
        day.room = holding_room(inp, state, t).sum(axis=-1)  # (R,): book_in reads it
        allowed = np.maximum(day.room - state.backlog.sum(axis=-1), 0)
        made = _within(allowed, wanted)
        short = (wanted > made)[..., None, None]
        flat = channels.reshape(*channels.shape[:-2], -1)
        cut = largest_remainder(made, flat).reshape(channels.shape)
        channels = np.where(short, cut, channels)
        day.arrests_forgone = wanted - made
    else:
        day.arrests_forgone = np.zeros_like(state.backlog)
    arrests_g = channels.sum(axis=-2)
    state.pool -= arrests_g
    day.arrests_by_group = arrests_g
    day.arrests = arrests_g.sum(axis=-1)
    by_channel = channels.sum(axis=-1)  # (R, O, 3)
    day.arrests_at_large = by_channel[..., 0]
    day.arrests_custodial = by_channel[..., 1]
    day.arrests_collateral = by_channel[..., 2]
    state.recent[t % inp.pressure_window, np.arange(day.arrests.shape[0])] = day.arrests


def custodial_arrests(inp: ModelInputs, state: PipelineState, day: Day) -> np.ndarray:
    """§3.3.1: ``(R, O, G)`` custodial handovers. Removable bookings in reach ``U`` (expected,
    per office) are rounded to whole persons ``n``; the custodial effort takes
    ``Binomial(n, 1 - exp(-E_c y_c / U))`` of them, split over groups by group mix times
    priority (largest remainder) and capped at each pool (the cap's excess is not arrested)."""
    t, streams = day.t, day.streams
    offered = inp.custodial_offered[t]  # (O,)
    n_r, n_o = state.backlog.shape
    n = stochastic_round(
        np.broadcast_to(offered, (n_r, n_o)),
        streams.uniform((n_o,), t, Stream.CUSTODIAL_OFFERED),
    )
    capacity = day.effort_custodial * inp.custodial_yield
    reach = np.where(offered > 0, offered, 1.0)
    p_taken = np.where(offered > 0, -np.expm1(-capacity / reach), 0.0)
    taken = binomial(streams, n, p_taken, t, Stream.CUSTODIAL)
    split = largest_remainder(taken, np.broadcast_to(inp.custodial_weights[t], state.pool.shape))
    return np.minimum(split, state.pool)


def collateral_arrests(
    inp: ModelInputs, left: np.ndarray, at_large_g: np.ndarray, day: Day
) -> np.ndarray:
    """§3.3.2: ``(R, O, G)`` collateral arrests, ``Binomial(A_L, k)`` per office on the day's
    at-large arrests ``A_L``, split over groups by what is left of each pool times its
    priority (largest remainder) and capped at the pool."""
    t = day.t
    n = binomial(day.streams, at_large_g.sum(axis=-1), inp.collateral[t], t, Stream.COLLATERAL)
    split = largest_remainder(n, left * inp.priority[t])
    return np.minimum(split, left)


def departures(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.3.3: people leave each pool on their own, ``Binomial(N, 1 - exp(-(h + d A / N0)))``
    with the yearly share's daily hazard ``h``, departures per arrest ``d``, the office's
    arrests of the day ``A`` (all channels) and its initial pools ``N0`` (all groups)."""
    if not inp.departures_on:
        day.pool_departures = np.zeros_like(state.backlog)
        return
    t = day.t
    pool0 = inp.pool0.sum(axis=-1)  # (O,)
    prompted = inp.departures_per_arrest[t] * day.arrests / np.where(pool0 > 0, pool0, 1.0)
    rate = inp.departure_rate[t] + np.where(pool0 > 0, prompted, 0.0)
    p_leave = np.broadcast_to(-np.expm1(-rate)[..., None], state.pool.shape)
    gone = binomial(day.streams, state.pool, p_leave, t, Stream.DEPARTURES)
    state.pool -= gone
    day.pool_departures = gone.sum(axis=-1)


def replenishment(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.3: pools grow by the expected inflow per day, rounded to whole persons at random."""
    t = day.t
    state.pool += stochastic_round(
        np.broadcast_to(inp.replenish[t], state.pool.shape),
        day.streams.uniform(state.pool.shape[1:], t, Stream.REPLENISH),
    )


def book_in(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.4: book-ins up to the office's daily capacity, the rest wait in the backlog;
    border transfers arrive outside that capacity. Under ``overflow = "hold"`` both are
    limited to the room in holding and beds; border transfers beyond it are refused."""
    t = day.t
    state.backlog += day.arrests
    day.booked = np.minimum(state.backlog, inp.processing_capacity[t])
    n_o = state.backlog.shape[1]
    border = stochastic_round(
        np.broadcast_to(inp.border_inflow[t], state.backlog.shape),
        day.streams.uniform((n_o,), t, Stream.BORDER),
    )
    if inp.overflow_hold:
        # Book-ins, then border transfers, only up to the room left nationally in holding
        # and beds (as arrests found it: nothing since has freed or filled a place).
        room = day.room
        day.booked = _within(room, day.booked)
        day.border_admissions = _within(room - day.booked.sum(axis=-1), border)
    else:
        day.border_admissions = border
    day.border_refused = border - day.border_admissions
    state.backlog -= day.booked


def delays(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.5: every phase of every detention path passes on ``Binomial(X, k/m)``; counts
    finishing a removal path join the removal queue (with countries that limit removals,
    ``Binomial(done, share)`` of them wait for their country instead: ``day.limited_in``),
    the others are released or depart. With courts (§3.12), those finishing a
    ``court = "detained"`` path join the detained docket instead (``steps.courts`` decides
    them), and releases from ``court = "pending"`` paths are the day's first new cases on
    the non-detained docket."""
    done = inp.chains.step(state.stock, inp.chain_exit_p, day.streams, day.t, Stream.EXITS)
    if inp.courts_on:
        state.docket += np.where(inp.court_paths, done, 0)
        done = np.where(inp.court_paths, 0, done)
        day.court_receipts = done[..., inp.pending_paths].sum(axis=-1)
    day.limited_in, day.released_on_exit, day.departed = _route(
        inp, state, day, done, Stream.LIMITED
    )


def _route(
    inp: ModelInputs, state: PipelineState, day: Day, done: np.ndarray, stream: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts ending their paths ``done`` ``(R, O, C)``, by the path's outcome: removals
    join the removal queue (with limiting countries ``Binomial(removals, lambda(t))`` on
    ``stream`` wait for their country instead). Returns ``(limited_in, released,
    departed)``, each ``(R, O)`` (``limited_in`` zero without limiting countries)."""
    ends = inp.chains_ending_in
    to_removal = done[..., ends[Outcome.REMOVAL]].sum(axis=-1)
    if inp.limit_days:
        t = day.t
        limited_in = binomial(day.streams, to_removal, inp.limited_share[t], t, stream)
        to_removal -= limited_in
    else:
        limited_in = np.zeros_like(to_removal)
    state.queue += to_removal
    released = done[..., ends[Outcome.RELEASE]].sum(axis=-1)
    departed = done[..., ends[Outcome.DEPARTURE]].sum(axis=-1)
    return limited_in, released, departed


def courts(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.12: the day's new non-detained cases join that docket first: from outside
    (expected per day, rounded at random) and the day's releases whose case goes on. Then
    the day's judge capacity ``K(t)`` decides cases on the detained docket, up to ``Kd(t)``
    (all of ``K`` under detained_first, a kept share under share) plus whatever part of the
    rest the non-detained docket cannot use (judges are never idle while a docket waits),
    shared over offices and paths in proportion to those waiting, never more than wait;
    each decision ends its path (removal order, relief, departure). What is left completes
    non-detained cases, shared over offices in proportion to their pending cases:
    ``Binomial`` in absentia orders, then orders with the person present; the ordered move
    from the pending group's pool into the orders group's (never more than the pool holds)."""
    zero = np.zeros_like(state.queue)
    if not inp.courts_on:
        day.court_decided = day.court_completed = zero
        day.removal_orders = day.in_absentia = day.orders_to_pool = zero
        day.court_receipts = zero
        return
    t, streams = day.t, day.streams
    n_r, n_o, n_c = state.docket.shape
    outside = stochastic_round(
        np.broadcast_to(inp.court_receipts[t], state.pending.shape),
        streams.uniform((n_o,), t, Stream.COURT_RECEIPTS),
    )
    day.court_receipts = day.court_receipts + outside
    state.pending += day.court_receipts
    capacity = inp.court_capacity[t]
    kept = inp.court_detained_cap[t]
    unused = np.maximum(capacity - kept - state.pending.sum(axis=-1), 0)  # (R,)
    waiting = state.docket.reshape(n_r, n_o * n_c)
    detained_cap = np.minimum(waiting.sum(axis=-1), kept + unused)
    decided = fill_up_to(detained_cap, waiting).reshape(state.docket.shape)
    state.docket -= decided
    day.court_decided = decided.sum(axis=-1)
    limited_in, released, departed = _route(inp, state, day, decided, Stream.COURT_LIMITED)
    day.limited_in = day.limited_in + limited_in
    day.released_on_exit = day.released_on_exit + released
    day.departed = day.departed + departed
    completed = fill_up_to(capacity - day.court_decided.sum(axis=-1), state.pending)
    state.pending -= completed
    day.court_completed = completed
    absentia = binomial(streams, completed, inp.in_absentia[t], t, Stream.IN_ABSENTIA)
    present = binomial(
        streams, completed - absentia, inp.orders_present[t], t, Stream.ORDERS_PRESENT
    )
    ordered = absentia + present
    day.in_absentia = absentia
    day.removal_orders = ordered + decided[..., inp.chains_ending_in[Outcome.REMOVAL]].sum(axis=-1)
    if inp.pending_group != inp.orders_group:
        moved = np.minimum(ordered, state.pool[..., inp.pending_group])
        state.pool[..., inp.pending_group] -= moved
        state.pool[..., inp.orders_group] += moved
    else:
        moved = zero
    day.orders_to_pool = moved


def transport(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.6: with countries that limit removals, first those waiting ``L`` days are
    released (post-order limit), the day's ``limited_in`` join at age 0, and the day's
    national quota of acceptances is shared over the offices' waiting lines like seats
    (in proportion to their length, never more than a line holds), each taken oldest
    first into the removal queue. Then the day's national seats are shared over the
    office queues in proportion to their length, never more than a queue holds."""
    t = day.t
    n_r = state.queue.shape[0]
    if inp.limit_days:
        limit = inp.limit_days
        today = t % limit  # age L today (entered L days ago); from now on age 0
        day.released_post_order_limit = state.limited[..., today].copy()
        state.limited[..., today] = day.limited_in
        waiting = state.limited.sum(axis=-1)
        cleared = fill_up_to(np.full(n_r, inp.limited_accepted[t]), waiting)
        take_oldest(state.limited, cleared, (t + 1) % limit)  # slots of ages L-1, ..., 0
        state.queue += cleared
    else:
        day.released_post_order_limit = np.zeros_like(state.queue)
    seats = np.full(n_r, inp.seats[t])
    if inp.money.holds_seats:  # stop: only the seats the transport lines can pay
        unit = inp.money.removal_cost
        seats = np.minimum(seats, _units_paid(_money_left(inp, state, t, TRANSPORT), unit))
    day.removed = fill_up_to(seats, state.queue)
    state.queue -= day.removed
    if inp.money.holds_seats:
        _pay(inp, state, t, TRANSPORT, day.removed.sum(axis=-1) * inp.money.removal_cost)


def admissions(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.7: book-ins and border transfers admitted up to free beds; overflow goes to
    offices with free beds and what none can take is released (``overflow = "transfer"``)
    or waits in holding, admitted before the day's book-ins (``"hold"``); with
    ``"release"`` all overflow is released. Admissions are
    split over paths by ``Multinomial(admit, sigma(t))`` (the day's shares: mandatory
    detention applied) into each path's first phase."""
    day.released_funds = np.zeros_like(state.queue)
    free = np.maximum(beds_today(inp, state, day.t) - state.detained, 0)
    wanting = day.booked + day.border_admissions
    if inp.overflow_hold:
        wanting = wanting + state.held  # those held are admitted first (order of arrival)
    admit = np.minimum(wanting, free)
    overflow = wanting - admit
    if inp.overflow_transfer or inp.overflow_hold:
        # Overflow goes to offices with beds still free; what none can take is released
        # ("transfer") or waits in holding ("hold").
        overflow_total = overflow.sum(axis=-1)
        to_beds = fill_up_to(overflow_total, free - admit)
        moved_in = to_beds
        unplaced = overflow_total - to_beds.sum(axis=-1)
        if inp.overflow_hold:
            # What no bed takes waits in holding, placed by holding capacity (the room of
            # arrests and book_in was national, so it fits); an office holding others'
            # overflow has them transferred in.
            stays = fill_up_to(unplaced, np.broadcast_to(inp.holding[day.t], admit.shape))
            state.held = stays
            moved_out = np.maximum(overflow - stays, 0)
            moved_in = to_beds + np.maximum(stays - overflow, 0)
            released_cap = np.zeros_like(admit)
            # Only under stop can more be left than holding takes: the day's removals were
            # paid from a line that also pays for beds, after arrests counted on those
            # beds. Those no bed is paid for are released for lack of money (3.13).
            unpaid = unplaced - stays.sum(axis=-1)
            if unpaid.any():
                released = fill_up_to(unpaid, moved_out)
                moved_out = moved_out - released
                day.released_funds = day.released_funds + released
        else:
            released_cap = largest_remainder(unplaced, overflow)
            moved_out = overflow - released_cap
    else:
        to_beds = moved_in = np.zeros_like(admit)
        moved_out = np.zeros_like(admit)
        released_cap = overflow
    if inp.courts_on:  # those released for lack of beds have a case before the court
        state.pending += released_cap
        day.court_receipts = day.court_receipts + released_cap
    entries = multinomial(day.streams, admit + to_beds, inp.path_share[day.t], day.t, Stream.PATHS)
    state.stock[..., inp.chains.first] += entries
    day.entries = entries
    day.transferred_in = moved_in
    day.transferred_out = moved_out
    day.released_capacity = released_cap


def alternatives(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.8: participants leave ATD with daily probability ``1 / mean_days``; the day's
    releases enrol at the stated share."""
    t, streams = day.t, day.streams
    state.atd -= binomial(streams, state.atd, inp.atd_exit_p, t, Stream.ATD_EXIT)
    state.atd += binomial(streams, day.released, inp.atd_enrol, t, Stream.ATD_ENROL)


def regime(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.9: at the end of each ranking period the bottom offices (random tie-break)
    have their leadership replaced: pressure on them rises and their effort dips."""
    t = day.t
    state.period_arrests += day.arrests
    state.period_target += inp.target_office[t]
    replaced_today = np.zeros(state.replaced.shape, dtype=bool)
    if inp.month_ends[t]:
        if np.any(inp.regime_bottom):
            period_target = state.period_target
            if inp.regime_ranking == "share_of_target":
                score = state.period_arrests / np.where(period_target > 0, period_target, 1.0)
            else:
                score = state.period_arrests.astype(np.float64)
            ties = day.streams.uniform(state.period_arrests.shape[1:], t, Stream.TIES)
            order = np.lexsort((ties, score), axis=-1)
            # The bottom offices are those ranked below regime_bottom: by rank rather than by
            # slicing the order, so a batch of parameter points may have a count per row.
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(order.shape[-1]), axis=-1)
            replaced_today = rank < inp.regime_bottom
            np.copyto(state.dip_until, t + 1 + inp.dip_days, where=replaced_today)
            state.replaced |= replaced_today
        state.period_arrests[:] = 0
        state.period_target[:] = 0.0
    day.replacements = replaced_today


def holding_room(inp: ModelInputs, state: PipelineState, t: int) -> np.ndarray:
    """``(R, O)`` under ``overflow = "hold"``: persons the office can still take in today,
    free beds at the start of the day plus holding not yet used (never negative)."""
    free = np.maximum(beds_today(inp, state, t) - state.detained, 0)
    return np.maximum(inp.holding[t] + free - state.held, 0)


def beds_today(inp: ModelInputs, state: PipelineState, t: int) -> np.ndarray:
    """``(R, O)`` (or ``(1, O)``) beds the office may fill today: the beds, and under
    ``on_exhausted = "stop"`` no more nationally than the beds bought (paid as contracted,
    from what procurement set aside) plus the typed beds the detention lines can pay for a
    day (cut over offices like the beds, largest remainder)."""
    beds = np.atleast_2d(inp.beds[t])  # (R, O) in a batch of parameter points
    if not inp.money.holds_beds:
        return beds
    paid = _beds_paid(inp, state, t)
    short = paid < inp.beds_national[t]
    if not short.any():
        return beds
    whole = np.broadcast_to(beds, (paid.size, beds.shape[1]))
    cut = largest_remainder(np.minimum(paid, whole.sum(axis=-1)), whole)
    return np.where(short[:, None], cut, whole)


def funding(inp: ModelInputs, state: PipelineState, day: Day) -> None:
    """§3.13: under ``on_exhausted = "stop"``, the day's detention beyond the beds bought
    (those are paid as contracted) is paid from the detention lines, in their order; when
    they cannot pay for everyone detained, those they cannot pay for are released (from
    paths, the detained docket and the removal queues, in proportion to their counts:
    ``released_funds``). With courts, a case already before a judge goes on (the detained
    docket, a ``court`` path); the others have none. Elsewhere nothing happens: spending is
    charged after the run (``analysis.budget``)."""
    if not inp.money.holds_beds:
        return
    t, m = day.t, inp.money
    excess = np.maximum(state.detained.sum(axis=-1) - _beds_paid(inp, state, t), 0)
    if excess.any():
        parts = [state.stock, state.docket, state.queue[..., None], state.limited]
        room = np.concatenate(parts, axis=-1)
        n_r, n_o, n_k = room.shape
        out = fill_up_to(excess, room.reshape(n_r, n_o * n_k)).reshape(room.shape)
        stock, docket, queue, limited = np.split(
            out, np.cumsum([p.shape[-1] for p in parts])[:-1], axis=-1
        )
        state.stock -= stock
        state.docket -= docket
        state.queue -= queue[..., 0]
        state.limited -= limited
        released = out.sum(axis=-1)
        day.released_funds = day.released_funds + released
        if inp.courts_on:  # a case before a judge goes on; it was charged when it began
            has_case = np.repeat(inp.court_paths | inp.pending_paths, inp.chains.phases)
            going_on = stock[..., has_case].sum(axis=-1) + docket.sum(axis=-1)
            state.pending += going_on
            day.court_receipts = day.court_receipts + going_on
    used = np.maximum(state.detained.sum(axis=-1) - m.beds_bought[t], 0)
    _pay(inp, state, t, DETENTION, used * m.base_rate)


def _beds_paid(inp: ModelInputs, state: PipelineState, t: int) -> np.ndarray:
    """``(R,)`` beds paid for today under stop: the beds bought (paid as contracted) and the
    typed beds the money left in the detention lines pays for a day."""
    m = inp.money
    return m.beds_bought[t] + _units_paid(_money_left(inp, state, t, DETENTION), m.base_rate)


def _drawn_on(inp: ModelInputs, t: int, purpose: int) -> np.ndarray:
    """``(L,)`` bool: the lines the engine draws on for ``purpose`` today (held and open)."""
    m = inp.money
    return m.held & m.ledger.covers[:, purpose] & m.ledger.open[:, t]


def _money_left(inp: ModelInputs, state: PipelineState, t: int, purpose: int) -> np.ndarray:
    """``(R,)`` USD left today in the lines the engine draws on for ``purpose``."""
    return state.funds[:, _drawn_on(inp, t, purpose)].sum(axis=-1)


def _pay(inp: ModelInputs, state: PipelineState, t: int, purpose: int, cost: np.ndarray) -> None:
    """Charge ``cost`` ``(R,)`` to the open lines for ``purpose`` in their order, each up to
    what is left in it (``ledger.charge_in_order``, the rule the ledger charges by)."""
    charge_in_order(
        cost.astype(np.float64),
        state.funds,
        np.zeros_like(state.funds),
        _drawn_on(inp, t, purpose),
    )


def _units_paid(money: np.ndarray, unit: float) -> np.ndarray:
    """``(R,)`` whole units ``money`` pays for at ``unit`` USD each (no limit when free).
    ``unit`` is a number, or ``(R,)`` in a batch of parameter points."""
    free = np.asarray(unit) <= 0
    unit = np.where(free, 1.0, unit)
    n = np.floor(money / unit)
    n = n - (n * unit > money)  # never a unit more than the money pays, whatever the rounding
    return np.where(free, np.iinfo(np.int64).max // 4, np.maximum(n, 0).astype(np.int64))


def _within(cap: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``(R, O)`` counts cut to the national ``(R,)`` cap where their sum exceeds it, in
    proportion (largest remainder); as they are elsewhere. The cut is computed only on
    days some replication needs it (the daily loop runs this under hold every day)."""
    total = counts.sum(axis=-1)
    over = total > cap
    if not over.any():
        return counts
    return np.where(over[:, None], largest_remainder(np.minimum(cap, total), counts), counts)


def _safe(pool0: np.ndarray) -> np.ndarray:
    """Initial pools as divisors: an empty pool divides by 1 (its yield is masked to 0)."""
    return np.where(pool0 > 0, pool0, 1.0)


Step = Callable[[ModelInputs, PipelineState, Day], None]

DAILY_STEPS: tuple[Step, ...] = (
    effort,
    allocation,
    arrests,
    departures,
    replenishment,
    book_in,
    delays,
    courts,
    transport,
    admissions,
    funding,
    alternatives,
    regime,
)
"""The steps in the order they run each day (docs/model.md §1, "Process order")."""

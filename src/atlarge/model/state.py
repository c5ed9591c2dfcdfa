"""What the daily steps work on: the pipeline's stocks and one day's flows.

:class:`PipelineState` holds every stock that carries over from one day to the
next, for all replications of a chunk at once. :class:`Day` holds what moves
on one day: each step of :mod:`atlarge.model.steps` reads the flows of the
steps before it and writes its own, and the recorder
(:mod:`atlarge.model.recording`) reads both at the end of the day.

Axes: ``R`` replications of the chunk, ``O`` offices, ``G`` priority groups,
``C`` detention paths, ``S`` phase slots of all paths, ``W`` days of the
pressure window. Counts are ``int64`` and never negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import ModelInputs


@dataclass(slots=True)
class PipelineState:
    """The stocks of the pipeline at the start (or end) of a day."""

    pool: np.ndarray
    """``(R, O, G)``: people in each priority group not yet arrested (``N`` in docs/model.md)."""
    backlog: np.ndarray
    """``(R, O)``: arrested and waiting for book-in (``B``)."""
    held: np.ndarray
    """``(R, O)``: booked in (or transferred) and waiting in holding for a bed (``H``);
    always 0 unless ``detention.overflow = "hold"``."""
    stock: np.ndarray
    """``(R, O, S)``: detained on each path, by phase of its delay (``X[c, k]``)."""
    queue: np.ndarray
    """``(R, O)``: detained with a removal order, waiting for a seat (``Q``)."""
    limited: np.ndarray
    """``(R, O, L)``: detained after a removal order, waiting for a country that limits
    removals to accept them (``Y``), by age in days: age ``a`` on day ``t`` is slot
    ``(t - a) % L``, ``L`` the post-order limit (``L = 0``: no such countries)."""
    docket: np.ndarray
    """``(R, O, C)``: detained and ready for a judge's decision on the detained docket, by
    path (``W[c]``; only ``court = "detained"`` paths hold any). ``C = 0`` without courts."""
    pending: np.ndarray
    """``(R, O)``: cases pending on the non-detained docket (``P``; 0 without courts)."""
    atd: np.ndarray
    """``(R, O)``: released people enrolled in alternatives to detention (``T``)."""
    recent: np.ndarray
    """``(W, R, O)``: arrests of the last ``W`` days; day ``t`` is row ``t % W``."""
    replaced: np.ndarray
    """``(R, O)`` bool: the office's leadership has been replaced at least once."""
    dip_until: np.ndarray
    """``(R, O)``: first day the office's effort is back to full after a replacement."""
    period_arrests: np.ndarray
    """``(R, O)``: arrests since the last ranking."""
    period_target: np.ndarray
    """``(O,)`` float: each office's share of the target since the last ranking (``(R, O)``
    in a batch of parameter points whose targets differ)."""
    funds: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """``(R, L)`` float: USD left in each funding line the engine draws on (under
    ``on_exhausted = "stop"``, lines for beds and seats; the others are never touched)."""

    @classmethod
    def initial(cls, inputs: ModelInputs, n_reps: int) -> PipelineState:
        """The state before day 0: full pools, the initial population, nothing else.

        ``inputs`` may be a batch of parameter points (:mod:`atlarge.model.batch`): a field
        that differs by point already has its replication axis, and broadcasts the same."""
        n_o = inputs.n_offices
        ro = (n_reps, n_o)
        return cls(
            pool=np.broadcast_to(inputs.pool0, (*ro, inputs.n_groups)).astype(np.int64),
            backlog=np.zeros(ro, dtype=np.int64),
            held=np.zeros(ro, dtype=np.int64),
            stock=np.broadcast_to(inputs.initial_detained, (*ro, inputs.chains.n_slots)).astype(
                np.int64
            ),
            queue=np.zeros(ro, dtype=np.int64),
            limited=np.zeros((*ro, inputs.limit_days), dtype=np.int64),
            docket=np.zeros((*ro, inputs.chains.n_chains if inputs.courts_on else 0), np.int64),
            pending=np.broadcast_to(inputs.court_backlog0, ro).astype(np.int64),
            atd=np.zeros(ro, dtype=np.int64),
            # A batch may have a window per row: the longest sizes the array.
            recent=np.zeros((int(np.max(inputs.pressure_window)), *ro), dtype=np.int64),
            replaced=np.zeros(ro, dtype=bool),
            dip_until=np.zeros(ro, dtype=np.int64),
            period_arrests=np.zeros(ro, dtype=np.int64),
            period_target=np.zeros(inputs.target_office.shape[1:]),
            funds=np.broadcast_to(
                inputs.money.ledger.amount, (n_reps, inputs.money.ledger.amount.shape[-1])
            ).astype(np.float64),
        )

    @property
    def detained(self) -> np.ndarray:
        """``(R, O)``: people holding a bed (on a path, waiting for a judge, in the removal
        queue or waiting for a country that limits removals), ``D``."""
        detained = self.stock.sum(axis=-1) + self.queue
        if self.limited.shape[-1]:
            detained += self.limited.sum(axis=-1)
        if self.docket.shape[-1]:
            detained += self.docket.sum(axis=-1)
        return detained


@dataclass(slots=True)
class Day:
    """One day: its index, the chunk's random streams, and the flows of each step.

    A flow is set by the step named in its docstring and read by later steps
    and the recorder; reading one before its step ran raises ``AttributeError``.
    """

    t: int
    """Day index from the scenario's start date."""
    streams: RandomStreams
    """Counter-addressed random streams of the chunk's replications."""
    effort: np.ndarray = field(init=False, repr=False)
    """``(R, O)`` float: officer-equivalent agent-days of at-large arrest effort (``effort``)."""
    effort_custodial: np.ndarray = field(init=False, repr=False)
    """``(R, O)`` float: officer-equivalent agent-days in the custodial channel (``effort``)."""
    allocation: np.ndarray = field(init=False, repr=False)
    """``(R, O, G)`` float: share of each office's effort spent on each group (``allocation``)."""
    arrests_by_group: np.ndarray = field(init=False, repr=False)
    """``(R, O, G)``: arrests by priority group (``arrests``)."""
    arrests: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: arrests, all groups and channels (``arrests``)."""
    arrests_custodial: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: arrests in the custodial channel, from jails and prisons (``arrests``)."""
    arrests_at_large: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: arrests at large, by search (``arrests``)."""
    arrests_collateral: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: collateral arrests during at-large operations (``arrests``)."""
    pool_departures: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: people who left the pools on their own (``departures``)."""
    arrests_forgone: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: arrests not made for lack of room under ``hold`` (``arrests``)."""
    room: np.ndarray = field(init=False, repr=False)
    """``(R,)``: under ``hold``, places in holding and beds at the start of the day,
    nationally (``arrests``; read by ``book_in``)."""
    booked: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: book-ins, within the day's processing capacity (``book_in``)."""
    border_admissions: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: border transfers seeking a bed, outside book-in capacity (``book_in``)."""
    border_refused: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: border transfers refused for lack of room under ``hold`` (``book_in``)."""
    released_on_exit: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: releases at the end of a path (``delays``)."""
    departed: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: departures at the end of a path (``delays``)."""
    limited_in: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: finishers of a removal path whose country limits removals; they join
    the limited buffer at age 0 in ``transport`` (``delays``, only with such countries)."""
    court_decided: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: decisions on the detained docket (``courts``)."""
    court_completed: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: completions on the non-detained docket (``courts``)."""
    removal_orders: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: removal orders, both dockets, in absentia included (``courts``)."""
    in_absentia: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: removal orders in absentia, non-detained docket (``courts``)."""
    orders_to_pool: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: persons moved from the pending group's pool to the orders group's
    (``courts``)."""
    court_receipts: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: new cases on the non-detained docket: from outside, releases whose case
    goes on (``courts``) and releases for lack of beds (added in ``admissions``)."""
    released_post_order_limit: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: releases at the post-order detention limit (``transport``)."""
    removed: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: removals, within the day's national seats (``transport``)."""
    entries: np.ndarray = field(init=False, repr=False)
    """``(R, O, C)``: admissions to each path's first phase (``admissions``)."""
    transferred_in: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: overflow from other offices admitted here (``admissions``)."""
    transferred_out: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: overflow sent to other offices (``admissions``)."""
    released_capacity: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: releases for lack of beds (``admissions``)."""
    released_funds: np.ndarray = field(init=False, repr=False)
    """``(R, O)``: releases because no funding line could pay their bed under
    ``on_exhausted = "stop"`` (``admissions`` under hold, ``funding``; 0 otherwise)."""
    replacements: np.ndarray = field(init=False, repr=False)
    """``(R, O)`` bool: the office's leadership was replaced today (``regime``)."""

    @property
    def released(self) -> np.ndarray:
        """``(R, O)``: all releases: at the end of a path, for lack of beds or of money, or
        at the post-order detention limit."""
        return (
            self.released_on_exit
            + self.released_capacity
            + self.released_funds
            + self.released_post_order_limit
        )

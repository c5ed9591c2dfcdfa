"""Several parameter points in one array of replications: a batch.

Sweeps, sensitivity designs (Morris: hundreds of points of a few tens of replications
each) and calibration evaluate many parameter points of one scenario. Run one model
chunk per point and the daily loop's Python overhead (a few dozen array operations per
step and day) is paid once per point; stack the points into one chunk and it is paid
once, over arrays ``len(points) * reps_each`` rows long.

Rows: point ``j`` owns rows ``j * reps_each`` to ``(j + 1) * reps_each - 1``, and its
replication ``i`` draws from replication ``i``'s stream (:func:`run_batch` keys the rows
by ``np.tile(np.arange(reps_each), len(points))``): the common random numbers sweeps and
sensitivity already use, and exactly the draws of ``run_chunk(point, seed,
np.arange(reps_each))``. Every step works row by row, so each point's series are bit for
bit those of its own chunk (tests/test_batch.py checks it on every shipped scenario).

How each :class:`~atlarge.model.inputs.ModelInputs` field is stacked (:data:`LAYOUT`),
decided by how the daily steps (:mod:`atlarge.model.steps`, ``PipelineState.initial``,
``PhaseChains.step``) read it. A field equal in every point is kept as it is, shared.
Otherwise (``R`` rows, ``O`` offices, ``G`` groups, ``C`` paths, ``S`` phase slots, ``L``
ledger lines):

- ``(D, O)`` -> day ``(R, O)``: effort, effort_custodial, target_office,
  custodial_offered, processing_capacity, border_inflow, beds, holding, court_receipts;
  ``(D, O, G)`` -> day ``(R, O, G)``: replenish.
- ``(D, G)`` -> day ``(R, 1, G)``: priority, custodial_weights; ``(D, C)`` -> day
  ``(R, 1, C)``: path_share.
- ``(D,)`` -> day ``(R, 1)`` (against ``(R, O)``): collateral, departure_rate,
  departures_per_arrest, limited_share, in_absentia, orders_present.
- ``(D,)`` -> day ``(R,)`` (national, per replication): beds_national, seats,
  limited_accepted, court_capacity, court_detained_cap, money.beds_bought.
- ``(O, ...)`` -> ``(R, O, ...)``: pool0, initial_detained, court_backlog0.
- ``(G,)`` / ``(S,)`` -> ``(R, 1, G)`` / ``(R, 1, S)``: yield_per_agent_day, effort_share,
  chain_exit_p.
- a number -> ``(R, 1)``: custodial_yield, atd_exit_p, atd_enrol, pressure_shift,
  pressure_all, pressure_replaced, dip, dip_days, regime_bottom (the steps rank offices
  and date the dip row by row).
- a number -> ``(R,)``: pressure_window (indexes ``recent`` row by row), money.base_rate,
  money.removal_cost; ``(L,)`` -> ``(R, L)``: money.ledger.amount (each row's funds).

Day-indexed fields (``D`` first) are kept as :class:`DayRows`: indexing day ``t`` gives
the batch column above, built that day (the whole ``(D, R, ...)`` would be as large as
the recorded series). Pressure windows of different lengths share one ``recent`` array
as long as the longest (a row writes only its own slots).

**Structural** fields size arrays, loops or axes, or switch a mechanism: the dates, the
offices, groups and agencies (their keys), each path's outcome, phases and docket
(``chains`` by its phases: the means are read only when the inputs are built),
``custodial_on``, ``collateral_on``, ``departures_on``, ``courts_on``, the overflow rule,
``limit_days``, ``pending_group``/``orders_group``, ``month_ends``, ``regime_ranking``,
and the money's structure (lines, what they cover and when, which the engine holds
under stop). Points must agree on them: :func:`batch_key` is their signature (group
points by it) and :func:`stack_inputs` raises ``ValueError`` naming the first that
differs. **Unread** fields (labels, costs, agent-days, the scenario itself: read after
the run, never by the steps) keep the first point's value: a batch's inputs serve only
its run, never ``ModelOutput``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import ModelInputs
from atlarge.model.simulate import run_rows


@dataclass(frozen=True)
class Rows:
    """A field that may differ by point, stacked with the row axis at ``axis`` and
    ``pad`` axes of length 1 after it (so it broadcasts against ``(R, O, ...)`` state).
    ``by_day``: the field's first axis is days, kept as :class:`DayRows`."""

    axis: int = 0
    pad: int = 0
    by_day: bool = False

    def stack(self, values: Sequence[Any], reps_each: int) -> Any:
        points = np.stack([np.asarray(v) for v in values], axis=self.axis)
        shape = points.shape
        cut = self.axis + 1
        points = points.reshape(*shape[:cut], *(1,) * self.pad, *shape[cut:])
        if self.by_day:
            return DayRows(points, reps_each)
        return np.repeat(points, reps_each, axis=self.axis)


@dataclass(frozen=True)
class Structural:
    """A field every point of a batch must share; ``key`` is the part the steps read."""

    key: Callable[[Any], Any] = lambda value: value


UNREAD = "unread"
"""A field the daily loop never reads: a batch keeps the first point's."""

Layout = Rows | Structural | str | dict


@dataclass(frozen=True)
class DayRows:
    """A day-indexed field that differs by point, ``(D, P, 1.., ...)``: day ``t`` is its
    rows, each point's repeated ``reps_each`` times (one day built at a time)."""

    by_point: np.ndarray
    reps_each: int

    def __getitem__(self, t: int) -> np.ndarray:
        return np.repeat(self.by_point[t], self.reps_each, axis=0)

    @property
    def shape(self) -> tuple[int, ...]:
        d, p, *rest = self.by_point.shape
        return (d, p * self.reps_each, *rest)


_DAY_OFFICE = Rows(axis=1, by_day=True)  # (D, O) -> day (R, O)
_DAY_PER_ROW = Rows(axis=1, pad=1, by_day=True)  # (D, X) -> day (R, 1, X); (D,) -> (R, 1)
_DAY_NATIONAL = Rows(axis=1, by_day=True)  # (D,) -> day (R,)
_PER_OFFICE = Rows()  # (O, ...) -> (R, O, ...)
_PER_ROW = Rows(pad=1)  # (X,) -> (R, 1, X); a number -> (R, 1)
_NATIONAL = Rows()  # a number -> (R,)
_SAME = Structural()

LEDGER_LAYOUT: dict[str, Layout] = {
    "parent": _SAME,
    "amount": _NATIONAL,  # (L,) -> (R, L): the funds each row starts with
    "covers": _SAME,
    "open": _SAME,
}

MONEY_LAYOUT: dict[str, Layout] = {
    "on": _SAME,
    "stop": _SAME,
    "line_keys": _SAME,
    "ledger": LEDGER_LAYOUT,
    "held": _SAME,
    "base_rate": _NATIONAL,
    "removal_cost": _NATIONAL,
    "kind_keys": UNREAD,
    "kind_labels": UNREAD,
    "beds_added": UNREAD,
    "beds_bought": _DAY_NATIONAL,
    "contract_cost": UNREAD,
    "hires": UNREAD,
    "hired_on_duty": UNREAD,
    "hired_effective": UNREAD,
    "hired_agent_days": UNREAD,
    "hire_cost": UNREAD,
    "hire_agency": UNREAD,
}

LAYOUT: dict[str, Layout] = {
    "scenario": UNREAD,
    "offices": Structural(lambda offices: offices.codes),  # weights are read when built
    "dates": _SAME,
    "group_keys": _SAME,
    "group_labels": UNREAD,
    "agency_keys": _SAME,
    "agency_labels": UNREAD,
    "agency_diverted": UNREAD,
    "agent_days": UNREAD,
    "agency_cost_per_day": UNREAD,
    "effort": _DAY_OFFICE,
    "effort_custodial": _DAY_OFFICE,
    "guard_troops": UNREAD,
    "target_national": UNREAD,
    "target_office": _DAY_OFFICE,
    "pool0": _PER_OFFICE,
    "replenish": _DAY_OFFICE,
    "yield_per_agent_day": _PER_ROW,
    "effort_share": _PER_ROW,
    "priority": _DAY_PER_ROW,
    "custodial_on": _SAME,
    "custodial_offered": _DAY_OFFICE,
    "custodial_weights": _DAY_PER_ROW,
    "custodial_yield": _PER_ROW,
    "collateral_on": _SAME,
    "collateral": _DAY_PER_ROW,
    "departures_on": _SAME,
    "departure_rate": _DAY_PER_ROW,
    "departures_per_arrest": _DAY_PER_ROW,
    "processing_capacity": _DAY_OFFICE,
    "border_inflow": _DAY_OFFICE,
    "beds": _DAY_OFFICE,
    "beds_national": _DAY_NATIONAL,
    "seats": _DAY_NATIONAL,
    "chains": Structural(lambda chains: chains.phases),  # means are read when built
    "chain_exit_p": _PER_ROW,
    "chain_outcome": _SAME,
    "chains_ending_in": _SAME,
    "chain_share": UNREAD,
    "path_share": _DAY_PER_ROW,
    "chain_cost": UNREAD,
    "initial_detained": _PER_OFFICE,
    "overflow_transfer": _SAME,
    "overflow_hold": _SAME,
    "holding": _DAY_OFFICE,
    "limit_days": _SAME,
    "limited_share": _DAY_PER_ROW,
    "limited_accepted": _DAY_NATIONAL,
    "courts_on": _SAME,
    "court_capacity": _DAY_NATIONAL,
    "court_detained_cap": _DAY_NATIONAL,
    "court_paths": _SAME,
    "pending_paths": _SAME,
    "court_receipts": _DAY_OFFICE,
    "court_backlog0": _PER_OFFICE,
    "in_absentia": _DAY_PER_ROW,
    "orders_present": _DAY_PER_ROW,
    "pending_group": _SAME,
    "orders_group": _SAME,
    "court_cost": UNREAD,
    "atd_exit_p": _PER_ROW,
    "atd_enrol": _PER_ROW,
    "pressure_shift": _PER_ROW,
    "pressure_window": _NATIONAL,
    "pressure_all": _PER_ROW,
    "pressure_replaced": _PER_ROW,
    "month_ends": _SAME,
    "regime_bottom": _PER_ROW,
    "regime_ranking": _SAME,
    "dip": _PER_ROW,
    "dip_days": _PER_ROW,
    "money": MONEY_LAYOUT,
}
"""How a batch stacks each field of ModelInputs (nested: MoneyInputs, LedgerLines)."""


def batch_key(inputs: ModelInputs) -> tuple:
    """A hashable signature of what a batch's points must share: points with equal keys
    stack (group a design's points by it); see the module docstring for the fields."""
    return _key(inputs, LAYOUT)


def stack_inputs(points: Sequence[ModelInputs], reps_each: int) -> ModelInputs:
    """One ModelInputs for ``len(points) * reps_each`` rows, point ``j`` owning rows
    ``j * reps_each`` to ``(j + 1) * reps_each - 1`` (layouts: :data:`LAYOUT`).

    Raises ``ValueError`` naming the first structural field the points differ in."""
    if not points:
        raise ValueError("a batch needs at least one parameter point")
    if reps_each < 1:
        raise ValueError(f"reps_each must be at least 1, got {reps_each}")
    return _stack(list(points), LAYOUT, reps_each, "")


def run_batch(
    points: Sequence[ModelInputs],
    seed: int,
    reps_each: int,
    *,
    reps: Sequence[Sequence[int] | np.ndarray] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Run every point's replications ``0 .. reps_each - 1`` as one chunk; return, per
    point, exactly what ``run_chunk(point, seed, np.arange(reps_each))`` returns (views
    of the batch's series, split by rows).

    ``reps`` gives each point other replication indices (``reps_each`` of them), e.g.
    ``k * J .. (k + 1) * J - 1`` for parameter draw ``k`` of an uncertainty run: point
    ``j`` then returns ``run_chunk(points[j], seed, reps[j])``."""
    if reps is None:
        rows = np.tile(np.arange(reps_each, dtype=np.int64), len(points))
    else:
        own = [np.asarray(r, dtype=np.int64) for r in reps]
        if len(own) != len(points) or any(r.shape != (reps_each,) for r in own):
            raise ValueError(f"reps must give {reps_each} replication indices for each point")
        rows = np.concatenate(own) if own else np.zeros(0, dtype=np.int64)
    batch = stack_inputs(points, reps_each)
    series = run_rows(batch, RandomStreams.for_replications(seed, rows))
    return [
        {name: s[j * reps_each : (j + 1) * reps_each] for name, s in series.items()}
        for j in range(len(points))
    ]


def _stack(values: list[Any], layout: dict[str, Layout], reps_each: int, prefix: str) -> Any:
    """``values`` (dataclasses of one type) stacked field by field as ``layout`` says."""
    first = values[0]
    changed = {}
    for f in dataclasses.fields(first):
        path = prefix + f.name
        spec = layout[f.name]
        column = [getattr(v, f.name) for v in values]
        if isinstance(spec, dict):
            nested = _stack(column, spec, reps_each, path + ".")
            if nested is not column[0]:
                changed[f.name] = nested
        elif isinstance(spec, Structural):
            key = _frozen(spec.key(column[0]))
            if any(_frozen(spec.key(v)) != key for v in column[1:]):
                raise ValueError(
                    f"the parameter points differ in {path}, which a batch's points must "
                    "share (it sizes arrays or switches a mechanism): run them in "
                    "separate batches (group points by batch_key)"
                )
        elif isinstance(spec, Rows) and not all(_equal(column[0], v) for v in column[1:]):
            if len({np.shape(v) for v in column}) > 1:
                raise ValueError(f"the parameter points' {path} differ in shape")
            changed[f.name] = spec.stack(column, reps_each)
    return dataclasses.replace(first, **changed) if changed else first


def _key(value: Any, layout: dict[str, Layout]) -> tuple:
    parts = []
    for name, spec in layout.items():
        field_value = getattr(value, name)
        if isinstance(spec, dict):
            parts.append((name, _key(field_value, spec)))
        elif isinstance(spec, Structural):
            parts.append((name, _frozen(spec.key(field_value))))
    return tuple(parts)


def _equal(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


def _frozen(value: Any) -> Any:
    """A hashable, comparable stand-in for ``value`` (arrays by dtype, shape and bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, tuple | list):
        return tuple(_frozen(v) for v in value)
    return value

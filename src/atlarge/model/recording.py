"""What a model run records each day, kept apart from what the steps compute.

The :class:`Recorder` reads the state and the day's flows after the last step
and writes them into day-major ``int32`` arrays (one row per day is one
contiguous write); :meth:`Recorder.series` returns them replication-major.
:mod:`atlarge.model.memory` counts these arrays' bytes: keep the two in step.
"""

from __future__ import annotations

import numpy as np

from atlarge.model.inputs import ModelInputs
from atlarge.model.measures import OFFICE_MEASURES
from atlarge.model.state import Day, PipelineState

DTYPE = np.int32


class Recorder:
    """Daily series of one chunk of replications, filled one day at a time."""

    def __init__(self, inputs: ModelInputs, n_reps: int) -> None:
        n_d, n_o, n_g = inputs.days, inputs.n_offices, inputs.n_groups
        self.office = {m: np.zeros((n_d, n_reps, n_o), dtype=DTYPE) for m in OFFICE_MEASURES}
        self.arrests_by_group = np.zeros((n_d, n_reps, n_o, n_g), dtype=DTYPE)
        self.pool = np.zeros((n_d, n_reps, n_o, n_g), dtype=DTYPE)
        self.path_entries = np.zeros((n_d, n_reps, inputs.chains.n_chains), dtype=DTYPE)

    def record(self, state: PipelineState, day: Day) -> None:
        """Store the end-of-day stocks and the day's flows as day ``day.t``."""
        t, r = day.t, self.office
        r["arrests"][t] = day.arrests
        r["arrests_custodial"][t] = day.arrests_custodial
        r["arrests_at_large"][t] = day.arrests_at_large
        r["arrests_collateral"][t] = day.arrests_collateral
        r["arrests_forgone_capacity"][t] = day.arrests_forgone
        r["booked"][t] = day.booked
        r["border_admissions"][t] = day.border_admissions
        r["border_refused"][t] = day.border_refused
        r["processing_backlog"][t] = state.backlog
        r["held"][t] = state.held
        r["detained"][t] = state.detained
        r["removal_queue"][t] = state.queue
        r["limited_queue"][t] = state.limited.sum(axis=-1)
        r["releases_post_order_limit"][t] = day.released_post_order_limit
        r["removed"][t] = day.removed
        r["released"][t] = day.released
        r["released_capacity"][t] = day.released_capacity
        r["released_funds"][t] = day.released_funds
        r["departed"][t] = day.departed
        r["transferred_in"][t] = day.transferred_in
        r["transferred_out"][t] = day.transferred_out
        r["pool_departures"][t] = day.pool_departures
        r["court_backlog"][t] = state.pending
        r["court_detained_waiting"][t] = state.docket.sum(axis=-1)
        r["court_completions"][t] = day.court_decided + day.court_completed
        r["court_detained_decisions"][t] = day.court_decided
        r["court_receipts"][t] = day.court_receipts
        r["removal_orders"][t] = day.removal_orders
        r["in_absentia_orders"][t] = day.in_absentia
        r["orders_to_pool"][t] = day.orders_to_pool
        r["atd_population"][t] = state.atd
        r["replacements"][t] = day.replacements
        self.arrests_by_group[t] = day.arrests_by_group
        self.pool[t] = state.pool
        self.path_entries[t] = day.entries.sum(axis=1)

    def series(self) -> dict[str, np.ndarray]:
        """The recorded series, replication first: office measures ``(R, O, D)``,
        ``arrests_by_group`` and ``pool`` ``(R, O, G, D)``, ``path_entries`` ``(R, C, D)``."""
        arrays = {
            **self.office,
            "arrests_by_group": self.arrests_by_group,
            "pool": self.pool,
            "path_entries": self.path_entries,
        }
        return {k: np.ascontiguousarray(np.moveaxis(a, 0, -1)) for k, a in arrays.items()}

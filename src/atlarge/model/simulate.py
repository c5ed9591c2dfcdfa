"""The enforcement pipeline, stepped one day at a time over all replications at once.

:func:`run_chunk` builds the state before day 0 (:class:`~atlarge.model.state.
PipelineState`: arrays shaped ``(reps, offices, ...)``), runs the named steps of
:data:`atlarge.model.steps.DAILY_STEPS` in order each day, and hands the state
and the day's flows to the recorder (:mod:`atlarge.model.recording`). Each day:

1. ``steps.effort``: officer-equivalent agent-days per office.
2. ``steps.allocation``: effort over priority groups; under pressure a share
   moves to the group with the highest current yield per agent-day.
3. ``steps.arrests``: arrests from finite pools in three channels (custodial
   handovers, at large by random search, collateral); pools are depleted.
4. ``steps.departures``: people leave the pools on their own.
5. ``steps.replenishment``: pools are replenished.
6. ``steps.book_in``: book-ins up to the office's capacity; border transfers.
7. ``steps.delays``: detention paths advance; finished counts join the
   removal queue, are released, or depart.
8. ``steps.courts``: judges decide cases on the detained docket first, then complete
   non-detained cases; orders on the non-detained docket move people into the pool of
   those with final orders (without ``[courts]``: nothing).
9. ``steps.transport``: with countries that limit removals, releases at the
   post-order limit and acceptances into the queue; national seats shared over
   office queues.
10. ``steps.admissions``: admissions up to free beds; overflow transferred,
   released or held (``overflow = "hold"``); admissions split over paths.
11. ``steps.alternatives``: releases enrol in alternatives to detention.
12. ``steps.regime``: at the end of each ranking period, the bottom offices'
    leadership is replaced.

Adding a mechanism means: its scenario values prepared once as fields of
:class:`~atlarge.model.inputs.ModelInputs` (in ``build_inputs``), any stock it
carries as a field of ``PipelineState`` and its flows as fields of ``Day``,
one step function ``step(inputs, state, day)`` in :mod:`atlarge.model.steps`
placed in ``DAILY_STEPS`` (with a new ``Stream`` number for any new kind of
draw), and its measures in the recorder. The loop below does not change.
Running many chunks (in processes, on Ray) is :mod:`atlarge.runs.replications`'s
job: the model simulates one chunk. Many parameter points can run as one chunk
(:mod:`atlarge.model.batch`), bit-identical to a chunk per point.

See docs/model.md for the equations and their sources.
"""

from __future__ import annotations

import numpy as np

from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import ModelInputs
from atlarge.model.recording import Recorder
from atlarge.model.state import Day, PipelineState
from atlarge.model.steps import DAILY_STEPS


def run_chunk(inputs: ModelInputs, seed: int, reps: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate the replications ``reps`` (global indices); return daily series.

    Office measures come back shaped ``(reps, offices, days)``; per-group
    arrests and pools ``(reps, offices, groups, days)``; path entries
    ``(reps, chains, days)`` (see :meth:`Recorder.series`).
    """
    return run_rows(inputs, RandomStreams.for_replications(seed, reps))


def run_rows(inputs: ModelInputs, streams: RandomStreams) -> dict[str, np.ndarray]:
    """The day loop over one array of rows, each drawing from its own replication's stream.

    The one place the days are stepped: :func:`run_chunk` (rows are replications of one
    scenario) and :func:`atlarge.model.batch.run_batch` (rows of several parameter points
    at once, ``inputs`` stacked by :func:`~atlarge.model.batch.stack_inputs`) both call it.
    """
    n_rows = streams.n_reps
    state = PipelineState.initial(inputs, n_rows)
    recorder = Recorder(inputs, n_rows)
    for t in range(inputs.days):
        day = Day(t, streams)
        for step in DAILY_STEPS:
            step(inputs, state, day)
        recorder.record(state, day)
    return recorder.series()

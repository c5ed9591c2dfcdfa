"""The enforcement pipeline, stepped one day at a time over all replications at once.

:func:`run_chunk` builds the state before day 0 (:class:`~atlarge.model.state.
PipelineState`: arrays shaped ``(reps, offices, ...)``), runs the named steps of
:data:`atlarge.model.steps.DAILY_STEPS` in order each day, and hands the state
and the day's flows to the recorder (:mod:`atlarge.model.recording`). Each day:

1. ``steps.effort``: officer-equivalent agent-days per office.
2. ``steps.allocation``: effort over priority groups; under pressure a share
   moves to the group with the highest current yield per agent-day.
3. ``steps.arrests``: arrests from finite pools (random-search form); pools
   are depleted and replenished.
4. ``steps.book_in``: book-ins up to the office's capacity; border transfers.
5. ``steps.delays``: detention paths advance; finished counts join the
   removal queue, are released, or depart.
6. ``steps.transport``: national seats shared over office queues.
7. ``steps.admissions``: admissions up to free beds; overflow transferred or
   released; admissions split over paths.
8. ``steps.alternatives``: releases enrol in alternatives to detention.
9. ``steps.regime``: at the end of each ranking period, the bottom offices'
   leadership is replaced.

Adding a mechanism means: its scenario values prepared once as fields of
:class:`~atlarge.model.inputs.ModelInputs` (in ``build_inputs``), any stock it
carries as a field of ``PipelineState`` and its flows as fields of ``Day``,
one step function ``step(inputs, state, day)`` in :mod:`atlarge.model.steps`
placed in ``DAILY_STEPS`` (with a new ``Stream`` number for any new kind of
draw), and its measures in the recorder. The loop below does not change.

See docs/model.md for the equations and their sources.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable

import numpy as np

from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import ModelInputs
from atlarge.model.recording import Recorder
from atlarge.model.state import Day, PipelineState
from atlarge.model.steps import DAILY_STEPS
from atlarge.pools import worker_pool


def run_chunk(inputs: ModelInputs, seed: int, reps: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate the replications ``reps`` (global indices); return daily series.

    Office measures come back shaped ``(reps, offices, days)``; per-group
    arrests and pools ``(reps, offices, groups, days)``; path entries
    ``(reps, chains, days)`` (see :meth:`Recorder.series`).
    """
    streams = RandomStreams.for_replications(seed, reps)
    state = PipelineState.initial(inputs, len(reps))
    recorder = Recorder(inputs, len(reps))
    for t in range(inputs.days):
        day = Day(t, streams)
        for step in DAILY_STEPS:
            step(inputs, state, day)
        recorder.record(state, day)
    return recorder.series()


def run_replications(
    inputs: ModelInputs,
    seed: int,
    reps: int,
    *,
    chunk_size: int = 100,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run replications ``0..reps-1`` in chunks; results do not depend on chunking.

    ``progress`` is called with the number of replications finished after
    each chunk. ``workers > 1`` runs chunks in separate processes.
    """
    if reps < 1:
        raise ValueError("reps must be at least 1")
    return run_jobs(
        [(inputs, 0, reps)], seed, chunk_size=chunk_size, workers=workers, progress=progress
    )


def run_jobs(
    jobs: list[tuple[ModelInputs, int, int]],
    seed: int,
    *,
    chunk_size: int = 100,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run replications ``a..b-1`` with each job's inputs, concatenated in job order.

    Replication ``i`` always draws from its own stream, so how jobs are cut
    into chunks and spread over processes never changes the numbers.

    Memory: each finished chunk is copied into the run's arrays and dropped, and
    a pool has at most two chunks per worker submitted ahead, so the run holds
    its own arrays plus a few chunks (see :mod:`atlarge.model.memory`). On
    Ctrl-C or any error the pool's workers are stopped at once
    (:func:`atlarge.pools.worker_pool`).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    chunks = [
        (inputs, np.arange(lo, min(lo + chunk_size, b)))
        for inputs, a, b in jobs
        for lo in range(a, b, chunk_size)
    ]
    if len(chunks) == 1:
        inputs, reps = chunks[0]
        part = run_chunk(inputs, seed, reps)
        if progress:
            progress(reps.size)
        return part
    total = sum(reps.size for _, reps in chunks)
    out: dict[str, np.ndarray] = {}
    filled = 0

    def take(part: dict[str, np.ndarray]) -> None:
        nonlocal filled
        n = part["arrests"].shape[0]
        for k, a in part.items():
            if k not in out:
                out[k] = np.empty((total, *a.shape[1:]), dtype=a.dtype)
            out[k][filled : filled + n] = a
        filled += n
        if progress:
            progress(n)

    if workers > 1:
        with worker_pool(min(workers, len(chunks))) as pool:
            todo = iter(chunks)
            ahead = deque(
                pool.submit(run_chunk, inputs, seed, reps)
                for inputs, reps in itertools.islice(todo, 2 * workers)
            )
            while ahead:
                part = ahead.popleft().result()
                for inputs, reps in itertools.islice(todo, 1):
                    ahead.append(pool.submit(run_chunk, inputs, seed, reps))
                take(part)
                del part
    else:
        for inputs, reps in chunks:
            take(run_chunk(inputs, seed, reps))
    return out

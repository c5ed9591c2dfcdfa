"""Running replications: a scenario's replications cut into chunks, run by an executor.

``model/`` simulates one chunk (:func:`atlarge.model.simulate.run_chunk`: given
replication indices, all of them at once); here those chunks are cut, sent to
an executor (:mod:`atlarge.runs.executors`: this process, a local pool or
Ray) and put together. Replication ``i`` always draws from its own stream, so
how replications are cut into chunks and spread over processes never changes
the numbers.

Memory: each chunk is reduced where it ran (:func:`run_kept_chunk`: national
totals, office totals and maxima, groups summed over offices; the full
per-office series only with ``timeseries = "full"``), so workers send back
little; each finished chunk is copied into the run's arrays and dropped, and a
pool has at most two chunks per worker submitted ahead, so the run holds its
own arrays plus a few chunks (see :mod:`atlarge.model.memory`). On Ctrl-C or
any error the pool's workers are stopped at once (:mod:`atlarge.runs.pools`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from atlarge.model import ModelOutput
from atlarge.model.inputs import ModelInputs, build_inputs
from atlarge.model.output import TIMESERIES, reduce_series
from atlarge.model.simulate import run_chunk
from atlarge.runs.config import DEFAULT_CHUNK
from atlarge.runs.executors import Executor, InProcess
from atlarge.scenario import Scenario
from atlarge.scenario.uncertainty import drawn_scenario, has_parameter_draws

CHUNKS_AHEAD = 2
"""Chunks submitted per pool worker and not yet taken back (see model/memory.py)."""

OnChunk = Callable[[int, dict[str, np.ndarray]], None]
"""Told after each chunk: ``n`` and the run's arrays, whose first ``n`` rows are final."""


def run_kept_chunk(
    inputs: ModelInputs, seed: int, reps: np.ndarray, timeseries: str
) -> dict[str, np.ndarray]:
    """:func:`run_chunk`, reduced in the process that ran it: the reduced arrays
    (keys ``kind/measure``, see :func:`~atlarge.model.output.reduce_series`) and, with
    ``timeseries = "full"``, the full series too (keys as ``run_chunk``'s)."""
    series = run_chunk(inputs, seed, reps)
    kept = reduce_series(series)
    return kept | series if timeseries == "full" else kept


def run_jobs(
    jobs: Sequence[tuple[ModelInputs, int, int]],
    seed: int,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    timeseries: str | None = None,
    on_chunk: OnChunk | None = None,
) -> dict[str, np.ndarray]:
    """Run replications ``a..b-1`` with each job's inputs, concatenated in job order.

    With ``timeseries`` (one of :data:`~atlarge.model.output.TIMESERIES`) each chunk is
    reduced where it ran (:func:`run_kept_chunk`); without, the full series as
    ``run_chunk`` returns them. ``progress`` is called with the number of replications
    finished after each chunk. ``on_chunk`` (before ``progress``) gets the run's arrays
    and how many leading rows are final: a pool may finish chunks out of order, so only
    the contiguous prefix counts; the arrays are not copied, and rows already final are
    never written again, so a reader in another thread may slice them while the run goes on.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if timeseries is not None and timeseries not in TIMESERIES:
        raise ValueError(f"timeseries must be one of {TIMESERIES}, got {timeseries!r}")
    extra = () if timeseries is None else (timeseries,)
    chunks = [
        (lo - a + start, (inputs, seed, np.arange(lo, min(lo + chunk_size, b)), *extra))
        for start, (inputs, a, b) in zip(_starts(jobs), jobs, strict=True)
        for lo in range(a, b, chunk_size)
    ]
    fn = run_chunk if timeseries is None else run_kept_chunk
    results = (executor or InProcess()).map(fn, chunks, ahead=CHUNKS_AHEAD)
    if len(chunks) == 1:
        [(_, part)] = list(results)
        if on_chunk:
            on_chunk(chunks[0][1][2].size, part)
        if progress:
            progress(chunks[0][1][2].size)
        return part
    total = sum(args[2].size for _, args in chunks)
    out: dict[str, np.ndarray] = {}
    finished: dict[int, int] = {}  # start -> rows, of chunks past the contiguous prefix
    prefix = 0
    for at, part in results:
        n = next(iter(part.values())).shape[0]
        for k, a in part.items():
            if k not in out:
                out[k] = np.empty((total, *a.shape[1:]), dtype=a.dtype)
            out[k][at : at + n] = a
        del part
        if on_chunk:
            finished[at] = n
            grown = prefix
            while grown in finished:
                grown += finished.pop(grown)
            if grown > prefix:
                prefix = grown
                on_chunk(prefix, out)
        if progress:
            progress(n)
    return out


def _starts(jobs: Sequence[tuple[ModelInputs, int, int]]) -> list[int]:
    """Where each job's replications start in the run's arrays."""
    starts, at = [], 0
    for _, a, b in jobs:
        starts.append(at)
        at += b - a
    return starts


def run_replications(
    inputs: ModelInputs,
    seed: int,
    reps: int,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    timeseries: str | None = None,
    on_chunk: OnChunk | None = None,
) -> dict[str, np.ndarray]:
    """Run replications ``0..reps-1`` of ``inputs``; results do not depend on chunking.

    ``timeseries`` and ``on_chunk`` as :func:`run_jobs` (None: the full series only)."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    return run_jobs(
        [(inputs, 0, reps)],
        seed,
        chunk_size=chunk_size,
        executor=executor,
        progress=progress,
        timeseries=timeseries,
        on_chunk=on_chunk,
    )


def _first(parts: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The first ``n`` replications of a run's arrays (views: nothing is copied)."""
    return {k: a[:n] for k, a in parts.items()}


def _output(
    inputs: ModelInputs,
    seed: int,
    reps: int,
    parts: dict[str, np.ndarray],
    timeseries: str,
    **draws: Any,
) -> ModelOutput:
    """The run's output from the arrays ``run_jobs`` put together (reduced and full)."""
    reduced = {k: a for k, a in parts.items() if "/" in k}
    full = {k: a for k, a in parts.items() if "/" not in k}
    return ModelOutput(
        inputs=inputs,
        seed=seed,
        reps=reps,
        series=full,
        reduced=reduced,
        timeseries=timeseries,
        **draws,
    )


def run_model(
    scenario: Scenario,
    reps: int,
    seed: int,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    uncertainty_inner: int | None = None,
    timeseries: str = "national",
    on_chunk: Callable[[ModelOutput], None] | None = None,
) -> ModelOutput:
    """Simulate ``reps`` replications of ``scenario`` with ``seed`` (in this process unless
    an ``executor`` is given).

    ``timeseries`` says what is kept of the daily series (see
    :data:`~atlarge.model.output.TIMESERIES`): the full ``(reps, offices, days)``
    arrays only with ``"full"``; the analysis reads the reduced arrays in every mode,
    so its results do not depend on it.

    With ``uncertainty_inner = J``, replication ``i`` runs parameter draw
    ``i // J`` (see :mod:`atlarge.scenario.uncertainty`): outer draws of every
    ranged parameter times ``J`` stochastic replications each.

    ``on_chunk``, when given, is called as replications finish with the output of the
    first ``n`` of them (whole parameter draws only): arrays are views, nothing is
    computed until the caller asks, so a run watched this way is as fast as one not
    watched. Replications do not depend on each other, so it is what a run of ``n``
    replications gives.
    """
    inputs = build_inputs(scenario)
    run: dict[str, Any] = {
        "chunk_size": chunk_size,
        "executor": executor,
        "progress": progress,
        "timeseries": timeseries,
    }
    if not uncertainty_inner:
        if on_chunk:
            run["on_chunk"] = lambda n, parts: on_chunk(
                _output(inputs, seed, n, _first(parts, n), timeseries)
            )
        series = run_replications(inputs, seed, reps, **run)
        return _output(inputs, seed, reps, series, timeseries)
    if uncertainty_inner < 1:
        raise ValueError("uncertainty_inner must be at least 1")
    if not has_parameter_draws(scenario):
        raise ValueError("the scenario has no ranged parameter to draw")
    n_draws = -(-reps // uncertainty_inner)
    draws, values, jobs = [], [], []
    for k in range(n_draws):
        sc_k, drawn = drawn_scenario(scenario, seed, k)
        inputs_k = build_inputs(sc_k)
        draws.append(inputs_k)
        values.append(drawn)
        jobs.append((inputs_k, k * uncertainty_inner, min((k + 1) * uncertainty_inner, reps)))
    if on_chunk:
        told = [0]  # replications last reported: a chunk may end inside a draw

        def partial(n: int, parts: dict[str, np.ndarray]) -> None:
            whole = reps if n == reps else n - n % uncertainty_inner
            if whole > told[0]:
                told[0] = whole
                k = -(-whole // uncertainty_inner)
                on_chunk(
                    _output(
                        inputs,
                        seed,
                        whole,
                        _first(parts, whole),
                        timeseries,
                        draws=tuple(draws[:k]),
                        draw_of_rep=np.arange(whole) // uncertainty_inner,
                        drawn_values=tuple(values[:k]),
                    )
                )

        run["on_chunk"] = partial
    series = run_jobs(jobs, seed, **run)
    return _output(
        inputs,
        seed,
        reps,
        series,
        timeseries,
        draws=tuple(draws),
        draw_of_rep=np.arange(reps) // uncertainty_inner,
        drawn_values=tuple(values),
    )

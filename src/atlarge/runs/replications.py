"""Running replications: a scenario's replications cut into chunks, run by an executor.

``model/`` simulates one chunk (:func:`atlarge.model.simulate.run_chunk`: given
replication indices, all of them at once); here those chunks are cut, sent to
an executor (:mod:`atlarge.runs.executors`: this process, a local pool or
Ray) and put together. Replication ``i`` always draws from its own stream, so
how replications are cut into chunks and spread over processes never changes
the numbers.

Memory: each finished chunk is copied into the run's arrays and dropped, and a
pool has at most two chunks per worker submitted ahead, so the run holds its
own arrays plus a few chunks (see :mod:`atlarge.model.memory`). On Ctrl-C or
any error the pool's workers are stopped at once (:mod:`atlarge.runs.pools`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from atlarge.model import ModelOutput
from atlarge.model.inputs import ModelInputs, build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.runs.config import DEFAULT_CHUNK
from atlarge.runs.executors import Executor, InProcess
from atlarge.scenario import Scenario
from atlarge.scenario.uncertainty import drawn_scenario, has_parameter_draws

CHUNKS_AHEAD = 2
"""Chunks submitted per pool worker and not yet taken back (see model/memory.py)."""


def run_jobs(
    jobs: Sequence[tuple[ModelInputs, int, int]],
    seed: int,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run replications ``a..b-1`` with each job's inputs, concatenated in job order.

    ``progress`` is called with the number of replications finished after each chunk.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    chunks = [
        (lo - a + start, (inputs, seed, np.arange(lo, min(lo + chunk_size, b))))
        for start, (inputs, a, b) in zip(_starts(jobs), jobs, strict=True)
        for lo in range(a, b, chunk_size)
    ]
    results = (executor or InProcess()).map(run_chunk, chunks, ahead=CHUNKS_AHEAD)
    if len(chunks) == 1:
        [(_, part)] = list(results)
        if progress:
            progress(part["arrests"].shape[0])
        return part
    total = sum(args[2].size for _, args in chunks)
    out: dict[str, np.ndarray] = {}
    for at, part in results:
        n = part["arrests"].shape[0]
        for k, a in part.items():
            if k not in out:
                out[k] = np.empty((total, *a.shape[1:]), dtype=a.dtype)
            out[k][at : at + n] = a
        del part
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
) -> dict[str, np.ndarray]:
    """Run replications ``0..reps-1`` of ``inputs``; results do not depend on chunking."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    return run_jobs(
        [(inputs, 0, reps)], seed, chunk_size=chunk_size, executor=executor, progress=progress
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
) -> ModelOutput:
    """Simulate ``reps`` replications of ``scenario`` with ``seed`` (in this process unless
    an ``executor`` is given).

    With ``uncertainty_inner = J``, replication ``i`` runs parameter draw
    ``i // J`` (see :mod:`atlarge.scenario.uncertainty`): outer draws of every
    ranged parameter times ``J`` stochastic replications each.
    """
    inputs = build_inputs(scenario)
    run = {"chunk_size": chunk_size, "executor": executor, "progress": progress}
    if not uncertainty_inner:
        series = run_replications(inputs, seed, reps, **run)
        return ModelOutput(inputs=inputs, seed=seed, reps=reps, series=series)
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
    series = run_jobs(jobs, seed, **run)
    return ModelOutput(
        inputs=inputs,
        seed=seed,
        reps=reps,
        series=series,
        draws=tuple(draws),
        draw_of_rep=np.arange(reps) // uncertainty_inner,
        drawn_values=tuple(values),
    )

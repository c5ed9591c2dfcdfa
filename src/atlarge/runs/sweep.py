"""Sweeps: run a scenario over a design of parameter values, storing each point.

A :class:`Vary` (``path=lo:hi[:n]``) names a parameter and its range; the
design is a full grid (``n`` values per parameter, default 3) or a Latin
hypercube of ``samples`` points (scipy.stats.qmc, seeded). Every point is
validated before anything runs. Points run on the executor the
:class:`~atlarge.runs.config.RunConfig` names; each finished point is stored at
once (see :mod:`atlarge.runs.store`), so a sweep that is interrupted and started
again with the same command runs only what is missing.

Batches: a design's points share the seed and replications, and most share the
model's structure, so several run as one array of replications
(:func:`atlarge.model.batch.run_batch`, bit for bit each point's own run): the daily
loop's Python overhead is paid once per sub-batch of about :data:`BATCH_ROWS` rows
instead of once per point. Points are grouped by
:func:`~atlarge.model.batch.batch_key` (points that differ in structure, e.g. the
overflow rule, run in separate groups) and each group is cut into sub-batches, one
executor job each, small enough that every worker gets one. Each point's series are
reduced in the worker as a run of its own would reduce them, so what is stored does
not depend on batching. With parameter draws (``uncertainty_inner``) a point is
a run of many draws: one point per job, as :func:`run_model` runs it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from atlarge._version import __version__
from atlarge.analysis.summary import kpi_summary
from atlarge.errors import OptionError, ScenarioError
from atlarge.model import ModelOutput
from atlarge.model.batch import batch_key, run_batch
from atlarge.model.inputs import build_inputs
from atlarge.model.output import reduce_series
from atlarge.runs.config import RunConfig
from atlarge.runs.executors import executor_for
from atlarge.runs.replications import run_model
from atlarge.runs.resources import check_memory, points_estimate
from atlarge.runs.store import Store, run_id, run_row, utc_now
from atlarge.runs.timeseries import national_table
from atlarge.scenario import Scenario, load_scenario, scenario_sha256
from atlarge.scenario.uncertainty import check_uncertainty

MAX_POINTS = 10_000
"""Points of one sweep or sensitivity analysis at most (each is a full model run)."""
BATCH_ROWS = 200
"""Rows (points x replications) a sub-batch of points aims at: fewer leave the daily
loop's Python overhead to dominate, more only grow the arrays (measured best near 200 on
a 2-core machine: Morris on operation-at-large, 20 replications). Any value below twice
the replications (0, say) runs one point per job, as before batches."""
DEFAULT_CONFIG = RunConfig()


@dataclass(frozen=True)
class Vary:
    path: str
    lo: float
    hi: float
    n: int | None = None

    @classmethod
    def parse(cls, text: str) -> Vary:
        path, sep, spec = text.partition("=")
        parts = spec.split(":")
        if not sep or not path.strip() or len(parts) not in (2, 3):
            raise OptionError("vary", f"expected PATH=LO:HI[:N], got '{text}'")
        try:
            lo, hi = float(parts[0]), float(parts[1])
            n = int(parts[2]) if len(parts) == 3 else None
        except ValueError:
            raise OptionError(
                "vary", f"LO and HI must be numbers and N a whole number: '{text}'"
            ) from None
        if lo > hi:
            raise OptionError("vary", f"{path.strip()}: LO ({lo:g}) is above HI ({hi:g})")
        if n is not None and n < 1:
            raise OptionError("vary", f"{path.strip()}: N must be at least 1, got {n}")
        return cls(path.strip(), lo, hi, n)


def design_points(
    varies: Sequence[Vary], design: str, samples: int, seed: int
) -> list[dict[str, float]]:
    """The points of the design, each a mapping from path to value."""
    if not varies:
        raise OptionError("vary", "name at least one parameter to vary")
    if len({v.path for v in varies}) != len(varies):
        raise OptionError("vary", "a parameter is named twice")
    if design == "grid":
        size = 1
        for v in varies:
            size *= (v.n or 3) if v.lo < v.hi else 1
        if size > MAX_POINTS:
            raise OptionError(
                "vary",
                f"the grid has {size:,} points, more than {MAX_POINTS:,}: use fewer values per "
                "parameter (PATH=LO:HI:N) or `design` lhs",
            )
        axes = [
            np.linspace(v.lo, v.hi, v.n or 3) if v.lo < v.hi else np.array([v.lo]) for v in varies
        ]
        return [
            dict(zip([v.path for v in varies], map(float, pt), strict=True))
            for pt in itertools.product(*axes)
        ]
    if design == "lhs":
        if not 1 <= samples <= MAX_POINTS:
            raise OptionError("samples", f"must be between 1 and {MAX_POINTS:,}, got {samples:,}")
        unit = qmc.LatinHypercube(d=len(varies), seed=seed).random(samples)
        lo = np.array([v.lo for v in varies])
        hi = np.array([v.hi for v in varies])
        names = [v.path for v in varies]
        return [dict(zip(names, map(float, lo + u * (hi - lo)), strict=True)) for u in unit]
    raise OptionError("design", f"must be grid or lhs, got '{design}'")


POINT_REASON = "a point of a sweep or sensitivity analysis"
"""Who set a point's values (its parameters' sources say so): the same for both, so the
same point is the same scenario, and the same numbers, in a sweep and a sensitivity run."""


def point_scenarios(base: Scenario, points: Sequence[dict[str, float]]) -> list[Scenario]:
    """``base`` with each point's values (``Scenario.with_values``), all checked before any
    runs; a point the scenario refuses is the varied values' fault (``base`` is valid)."""
    try:
        return [base.with_values(p, POINT_REASON) for p in points]
    except ScenarioError as exc:
        raise OptionError("vary", f"{exc.path}: {exc.message}") from None


PointResult = tuple[dict[str, Any], Any, Any, Any]
"""What a worker sends back per point: KPIs, national table, started, finished."""


def _run_point(scenario: Scenario, config: RunConfig) -> PointResult:
    """One point, its replications in this process (a worker of the sweep's executor)."""
    started = utc_now()
    out = run_model(
        scenario,
        config.reps,
        config.seed,
        chunk_size=config.chunk_size,
        uncertainty_inner=config.uncertainty_inner,
    )
    kpis, table = kpi_summary(out), national_table(out)
    finished = utc_now()
    return kpis, table, started, finished


def _run_points_batched(scenarios: Sequence[Scenario], config: RunConfig) -> list[PointResult]:
    """Several points (of one :func:`batch_key`) as one batch in this process (a worker).

    Each point's output is what ``run_model`` would give it: its own inputs, and its
    rows of the batch reduced as a chunk of its own is (``reduce_series``, the
    ``national`` mode sweeps run in), one point at a time so the batch's full series
    are the only large arrays held. A single point runs as :func:`_run_point`."""
    if len(scenarios) == 1:
        return [_run_point(scenarios[0], config)]
    started = utc_now()
    inputs = [build_inputs(sc) for sc in scenarios]
    parts = run_batch(inputs, config.seed, config.reps)
    done = []
    for j, point in enumerate(inputs):
        series, parts[j] = parts[j], {}
        out = ModelOutput(
            inputs=point,
            seed=config.seed,
            reps=config.reps,
            reduced=reduce_series(series),
            timeseries="national",
        )
        del series
        done.append((kpi_summary(out), national_table(out)))
    finished = utc_now()
    return [(kpis, table, started, finished) for kpis, table in done]


def batch_points(config: RunConfig, n_points: int) -> int:
    """Points per sub-batch at most: about :data:`BATCH_ROWS` rows, but no more than a
    worker's share of the points, and one with parameter draws (a point is a whole
    uncertainty run then)."""
    if config.uncertainty_inner is not None or n_points < 1:
        return 1
    share = -(-n_points // max(1, config.workers))
    return max(1, min(BATCH_ROWS // config.reps, share))


def point_batches(
    scenarios: Sequence[Scenario], todo: Sequence[int], config: RunConfig
) -> list[list[int]]:
    """The jobs a design's points run in: lists of point indices, one executor job each.

    Without parameter draws, points that :func:`batch_key` says can share a batch are
    cut into even sub-batches of at most :func:`batch_points` points, and into at least
    one per worker when the group has the points (two workers still run two
    sub-batches at once); each point's inputs are built here only for the key (a few
    ms each) and again in the worker, so the parent never holds them all."""
    per = batch_points(config, len(todo))
    if per == 1:
        return [[i] for i in todo]
    groups: dict[tuple, list[int]] = {}
    for i in todo:
        groups.setdefault(batch_key(build_inputs(scenarios[i])), []).append(i)
    jobs = []
    for members in groups.values():
        n = max(-(-len(members) // per), min(config.workers, len(members)))
        cuts = [round(k * len(members) / n) for k in range(n + 1)]
        jobs += [members[a:b] for a, b in itertools.pairwise(cuts)]
    return jobs


def run_sweep(
    scenario_path: Path,
    varies: Sequence[Vary],
    *,
    sets: dict[str, str] | None = None,
    design: str = "grid",
    samples: int = 16,
    config: RunConfig = DEFAULT_CONFIG,
    db: Path = Path("results.duckdb"),
    progress: Callable[[int, int, bool], None] | None = None,
) -> dict[str, Any]:
    """Run every point of the design not already in the store (see :func:`run_points`).

    ``sets`` are overrides for every point; ``config.days`` is one more.
    """
    points = design_points(varies, design, samples, config.seed)
    sets = horizon_sets(sets, config)
    base = load_scenario(scenario_path, set=sets or {})
    scenarios = point_scenarios(base, points)
    spec = {
        "kind": "sweep",
        "vary": [v.__dict__ for v in varies],
        "design": design,
        "samples": samples,
        "sets": sets or {},
    }
    overrides = [{**(sets or {}), **p} for p in points]
    res = run_points(base, scenarios, overrides, spec, config=config, db=db, progress=progress)
    return {**res, "design": points}


def horizon_sets(sets: dict[str, Any] | None, config: RunConfig) -> dict[str, Any]:
    """``sets`` with the run's horizon (``config.days``) as one more override."""
    return {**(sets or {}), **({"days": config.days} if config.days is not None else {})}


def run_points(
    base: Scenario,
    scenarios: Sequence[Scenario],
    overrides: Sequence[dict[str, Any]],
    spec: dict[str, Any],
    *,
    config: RunConfig,
    db: Path = Path("results.duckdb"),
    progress: Callable[[int, int, bool], None] | None = None,
) -> dict[str, Any]:
    """Run each scenario not already in the store; store each as soon as it finishes.

    The sweep's id hashes the base scenario and ``spec`` (with replications,
    seed, uncertainty and version), each point's id what determines its
    numbers, so the same command run again skips what is stored.
    ``progress(done, total, ran)`` is called once per point already stored
    (``ran`` False; once with ``done`` 0 when none is) and after each point
    finished here (the points of a sub-batch, see :func:`point_batches`, finish
    together). Points that would not fit in memory together (see
    :mod:`atlarge.runs.resources`) are refused before the store is opened.
    """
    reps, seed, inner = config.reps, config.seed, config.uncertainty_inner
    if inner is not None:
        check_uncertainty(base, reps, inner)
    check_memory(
        points_estimate(scenarios, config, per_job=batch_points(config, len(scenarios))),
        parameter="reps",
        hint="use fewer `reps` or `workers`",
        max_memory_gb=config.max_memory_gb,
    )
    spec = {**spec, "reps": reps, "seed": seed, "inner": inner, "version": __version__}
    sweep_id = hashlib.sha256(
        json.dumps([scenario_sha256(base), spec], sort_keys=True).encode()
    ).hexdigest()[:16]
    store = Store(db)
    store.add_sweep(sweep_id, base.name, scenario_sha256(base), spec, len(scenarios))
    ids = [run_id(scenario_sha256(sc), seed, reps, inner, __version__) for sc in scenarios]
    done = store.finished_runs(sweep_id)
    todo = [i for i, rid in enumerate(ids) if rid not in done]
    total, finished = len(scenarios), len(scenarios) - len(todo)
    if progress:  # once per point already stored; once, with 0, when none is
        for _ in range(max(finished, 1)):
            progress(finished, total, False)

    def store_point(i: int, result) -> None:
        nonlocal finished
        kpis, table, started, ended = result
        row = run_row(
            scenarios[i],
            overrides[i],
            seed=seed,
            reps=reps,
            inner=inner,
            started=started,
            finished=ended,
            sweep_id=sweep_id,
            point_index=i,
        )
        store.add_run(row, kpis, table)
        finished += 1
        if progress:
            progress(finished, total, True)

    jobs = [
        (tuple(batch), ([scenarios[i] for i in batch], config))
        for batch in point_batches(scenarios, todo, config)
    ]
    for batch, results in executor_for(config).map(_run_points_batched, jobs):
        for i, result in zip(batch, results, strict=True):
            store_point(i, result)
    return {"sweep_id": sweep_id, "points": total, "ran": len(todo), "db": str(db), "run_ids": ids}

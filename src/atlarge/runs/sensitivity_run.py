"""Sensitivity of a scenario's KPIs to its parameters (SALib over stored model runs).

The parameters are every ranged parameter of the scenario (as uncertainty
runs draw them), or those named as varied (``path=lo:hi``). Each sample
point is a scenario with those values, made exactly as a sweep makes its
points (``point_scenarios``: ``Scenario.with_values``, so a point gives the
same numbers in both), simulated with the same seed and replications as every
other point (common random numbers, so differences between points are the
parameters' effect), and stored like a sweep point: an interrupted analysis
started again runs only the missing points. The output for a KPI is its mean
over replications.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from atlarge.analysis import sensitivity as sa
from atlarge.analysis.kpis import KPI_KEYS, KPIS, listed
from atlarge.analysis.summary import mechanisms
from atlarge.errors import OptionError
from atlarge.runs.config import RunConfig
from atlarge.runs.store import Store
from atlarge.runs.sweep import MAX_POINTS, Vary, horizon_sets, point_scenarios, run_points
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.changes import DATED
from atlarge.scenario.uncertainty import ranged_parameters

HOME_MISSIONS = "home_missions."
"""Parameters of what home missions lose (docs/model.md 3.10.1)."""

DEFAULT_OUTPUTS = ("arrests_per_day", "peak_detention", "removals_total", "cost_total_usd")
DEFAULT_SAMPLES = {"sobol": 32, "morris": 10}
DEFAULT_CONFIG = RunConfig(reps=20)


def run_sensitivity(
    scenario_path: Path,
    method: str,
    *,
    varies: Sequence[Vary] = (),
    sets: dict[str, str] | None = None,
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    samples: int | None = None,
    config: RunConfig = DEFAULT_CONFIG,
    db: Path = Path("results.duckdb"),
    progress: Callable[[int, int, bool], None] | None = None,
) -> dict[str, Any]:
    """Sample the parameters, run and store each point (see :func:`run_points`), and
    compute the indices of each KPI in ``outputs``.

    ``sets`` are overrides for every point; ``config.days`` is one more. Every
    point runs with ``config``'s seed and replications (parameter draws are not
    part of a sensitivity analysis: the varied parameters are what changes).
    """
    if config.uncertainty_inner is not None:
        raise OptionError(
            "uncertainty_inner", "a sensitivity analysis varies the parameters itself"
        )
    if method not in sa.METHODS:
        raise OptionError("method", f"must be sobol or morris, got '{method}'")
    unknown = [o for o in outputs if o not in KPI_KEYS]
    if unknown:
        raise OptionError("outputs", f"unknown KPI(s) {unknown}; known: {', '.join(KPI_KEYS)}")
    reps, seed = config.reps, config.seed
    sets = horizon_sets(sets, config)
    base = load_scenario(scenario_path, set=sets or {})
    on = mechanisms(base)
    off = [o for o in outputs if not listed(KPIS[o], on)]
    if off:
        raise OptionError(
            "outputs", f"{off}: the scenario has the stage of these KPI(s) off, so it has none"
        )
    params = dict(iter_params(base))
    if varies:
        for v in varies:
            if _param_path(v.path) not in params:
                close = difflib.get_close_matches(v.path, list(params), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise OptionError("vary", f"{v.path}: no such parameter in the scenario{hint}")
            if v.lo >= v.hi:
                raise OptionError("vary", f"{v.path}: LO must be below HI for sensitivity")
        names = [v.path for v in varies]
        bounds = [(v.lo, v.hi) for v in varies]
    else:
        # Home-mission figures move no model result, only an estimate made after the run:
        # varied only when named with `vary`.
        ranged = [r for r in ranged_parameters(base) if not r.path.startswith(HOME_MISSIONS)]
        names = [r.path for r in ranged]
        bounds = [tuple(r.param.range) for r in ranged]
    if not names:
        raise OptionError("vary", "the scenario has no ranged parameter; name some with `vary`")
    n = DEFAULT_SAMPLES[method] if samples is None else samples
    per_sample = len(names) + (2 if method == "sobol" else 1)
    if n < 1:
        raise OptionError("samples", f"must be at least 1, got {n}")
    if n * per_sample > MAX_POINTS:
        raise OptionError(
            "samples",
            f"{n:,} x {per_sample} = {n * per_sample:,} model runs, more than {MAX_POINTS:,}: "
            "use fewer samples or fewer parameters",
        )
    prob = sa.problem(names, bounds)
    x = sa.sample(prob, method, n, seed)
    points = [dict(zip(names, map(float, row), strict=True)) for row in x]
    scenarios = point_scenarios(base, points)
    spec = {
        "kind": "sensitivity",
        "method": method,
        "names": names,
        "bounds": [list(b) for b in bounds],
        "samples": n,
    }
    overrides = [{**sets, **p} for p in points]  # recorded as a sweep records its points
    res = run_points(base, scenarios, overrides, spec, config=config, db=db, progress=progress)
    store = Store(db)
    values = [store.kpis(rid) for rid in res["run_ids"]]
    indices: dict[str, Any] = {}
    for out in outputs:
        if any(out not in v for v in values):
            indices[out] = {"skipped": "not in these runs' summaries (its stage is off)"}
            continue
        y = np.array([v[out]["mean"] if v[out]["mean"] is not None else np.nan for v in values])
        if np.isnan(y).any():
            indices[out] = {"skipped": "undefined in some sample points (e.g. never reached)"}
            continue
        indices[out] = sa.analyze(prob, method, x, y, seed)
    return {
        "method": method,
        "parameters": names,
        "bounds": [list(b) for b in bounds],
        "units": {name: params[_param_path(name)].unit for name in names},
        "samples": n,
        "points": len(points),
        "reps": reps,
        "seed": seed,
        "sweep_id": res["sweep_id"],
        "db": res["db"],
        "ran": res["ran"],
        "indices": indices,
    }


def _param_path(name: str) -> str:
    """The parameter a varied name changes: ``detention.beds@2025-09-01`` varies the entry
    of ``detention.beds`` from that date (a dated value, as in a sweep)."""
    return name.partition(DATED)[0]

"""Global sensitivity analysis with SALib: samplers and analysers in matching pairs.

* ``sobol``: Saltelli's sampling (``SALib.sample.sobol``, ``N * (D + 2)``
  points) and Sobol' first-order and total indices with bootstrap confidence
  intervals (``SALib.analyze.sobol``);
* ``morris``: elementary-effects trajectories (``SALib.sample.morris``,
  ``N * (D + 1)`` points) and mu*, its confidence interval, and sigma
  (``SALib.analyze.morris``).

The functions here know nothing of the model: they take a problem (names and
bounds) and the outputs of evaluating its sample, so the plumbing is tested
on functions with known indices (Ishigami).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95


def problem(names: list[str], bounds: list[tuple[float, float]]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}


def sample(prob: dict[str, Any], method: str, n: int, seed: int) -> np.ndarray:
    """The design for ``method``: rows are parameter points."""
    if method == "sobol":
        return sobol_sample.sample(prob, n, calc_second_order=False, seed=seed)
    if method == "morris":
        return morris_sample.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed)
    raise ValueError(f"method must be one of {METHODS}")


def analyze(
    prob: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray, seed: int
) -> list[dict[str, Any]]:
    """Indices per parameter, ranked by importance (total index, or mu*)."""
    if method == "sobol":
        res = sobol_analyze.analyze(
            prob, y, calc_second_order=False, conf_level=CONF_LEVEL, seed=seed
        )
        rows = [
            {
                "parameter": name,
                "S1": float(res["S1"][i]),
                "S1_conf": float(res["S1_conf"][i]),
                "ST": float(res["ST"][i]),
                "ST_conf": float(res["ST_conf"][i]),
            }
            for i, name in enumerate(prob["names"])
        ]
        return sorted(rows, key=lambda r: -r["ST"])
    if method == "morris":
        res = morris_analyze.analyze(
            prob, x, y, conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=seed
        )
        rows = [
            {
                "parameter": name,
                "mu_star": float(res["mu_star"][i]),
                "mu_star_conf": float(res["mu_star_conf"][i]),
                "sigma": float(res["sigma"][i]),
            }
            for i, name in enumerate(prob["names"])
        ]
        return sorted(rows, key=lambda r: -r["mu_star"])
    raise ValueError(f"method must be one of {METHODS}")

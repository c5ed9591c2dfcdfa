"""What a year that was not fitted looks like, from the years that were.

Both calibrations predict a left-out year from the others: the fixed-point backtest
(:func:`atlarge.analysis.calibrate.held_out_params`, from the other years' fitted values)
and the annual Bayesian fit (:func:`atlarge.analysis.annual_bayes.population`, from their
posteriors). One rule serves both, so that the two left-out checks differ only in what
they pool: the years' mean, or a least-squares line in a dated input where the years
differ in it (``backtest.COVARIATES``: the share of the year under a broad priority
policy for the residual posture, under Title 42 for the removal share).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MIN_COVARIATE_SPREAD = 0.1
"""A line in a covariate needs years that differ in it by at least this much (each
covariate is a share of the year's days: a tenth of a year); closer years would make the
line's slope a matter of noise."""


def pool(
    means: Sequence[float], within: Sequence[float], covariate: Sequence[float] | None = None
) -> dict[str, Any]:
    """The years' values (``means``, each with its own spread ``within``) pooled.

    A least-squares line in ``covariate`` when there are at least three years and they
    differ in it by :data:`MIN_COVARIATE_SPREAD`, else the mean (at least two years).
    The entry holds the coefficients, ``(X'X)^-1`` and the residual spread between years
    (ddof: the number of coefficients), so :func:`predictive` can give the mean and the
    predictive spread at any covariate value. ``covariate`` in the entry says whether the
    line was used."""
    m = np.asarray(means, dtype=np.float64)
    if len(m) < 2:
        raise ValueError("pooling needs at least two years")
    c = None if covariate is None else np.asarray(covariate, dtype=np.float64)
    by_line = c is not None and len(m) >= 3 and float(np.ptp(c)) >= MIN_COVARIATE_SPREAD
    x = np.column_stack([np.ones(len(m)), c]) if by_line else np.ones((len(m), 1))
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ m
    resid = m - x @ coef
    return {"coef": coef.tolist(), "xtx_inv": xtx_inv.tolist(),
            "between_var": float(resid @ resid / (len(m) - x.shape[1])),
            "within_var": float(np.mean(within)), "by_line": bool(by_line)}  # fmt: skip


def predictive(entry: dict[str, Any], at: float = 0.0) -> tuple[float, float]:
    """The mean and sd of a pooled quantity for a year with covariate ``at``: the spread
    between years times ``1 + x0'(X'X)^-1 x0`` (for the mean alone, ``1 + 1/J``), plus the
    average spread within a year."""
    coef = np.asarray(entry["coef"])
    x0 = np.array([1.0, at])[: len(coef)]
    lev = float(x0 @ np.asarray(entry["xtx_inv"]) @ x0)
    var = entry["between_var"] * (1.0 + lev) + entry["within_var"]
    return float(x0 @ coef), math.sqrt(var)

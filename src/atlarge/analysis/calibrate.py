"""Calibration: fit what the public record does not give, on log errors.

Method (stated, reproducible). Parameters (see :mod:`atlarge.analysis.backtest`):
per year ``posture`` (a fitted residual multiplier on the arrest yields, after the
year's inputs and its priority policy input), ``removal_share`` and, where book-ins
are not published, ``border_transfers_per_day``; common to all years ``los_scale``.
The year's priority policy is an input (``backtest.POLICY``), never fitted. The model is
simulated for every fit year with the same seed and replications at each
iteration (common random numbers), and the parameters are updated by
multiplicative fixed-point steps that drive the log errors to zero:

* ``posture *= arrests_obs / arrests_sim`` (the residual: what the year's inputs and
  policy leave unexplained of its arrests)
* ``border += (ADP_obs - ADP_sim) / ALOS_sim`` (Little's law; not below 0)
* ``removal_share *= (removals_obs / removals_sim) * (A_before / A_after)``,
  where ``A`` is admissions per day (arrests plus inflow) before and after this
  step's updates, since removals scale with admissions too (kept in [0.05, 0.98])
* ``los_scale *= geometric mean over years of ALOS_obs / ALOS_sim``

A year whose simulated population sits at its bed capacity (99% or more) skips
the inflow step and does not enter the LOS step: at capacity the population
no longer follows the inflow and the stay is confounded with turn-aways.

Each per-year update solves its own equation (arrests depend on posture,
removals on the share, the population on the inflow); the common LOS scale
takes the geometric mean, which is the least-squares point of the log ALOS
errors across years. Only confirmed figures are used; figures recorded "from
memory" are shown, never fitted. A parameter a year's figures do not pin down
stays at its starting value: posture 1, and the base scenario's removal share
and non-ERO inflow.

Why not a generic optimiser: one evaluation simulates six years (about ten
seconds), so a finite-difference Jacobian over 17 parameters costs minutes
per step; the near-separable structure gives the same solution in a handful
of evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from atlarge.analysis.backtest import (
    COVARIATES,
    FIT_YEARS,
    YEARS,
    YearInputs,
    YearParams,
    measures,
    simulate_year,
    year_covariates,
)
from atlarge.analysis.observed import TARGET_METRICS, figure
from atlarge.analysis.pooling import pool, predictive
from atlarge.model.outcomes import Outcome
from atlarge.scenario import Scenario

Observed = Callable[[str, str], float | None]
AT_CAPACITY = 0.99  # simulated ADP at this share of bed capacity counts as full


def confirmed(metric: str, period: str) -> float | None:
    """A target figure from data/observed.csv, unless it was recorded from memory."""
    f = figure(metric, period)
    return None if f is None or f.from_memory else f.value


def base_removal_share(base: Scenario) -> float:
    return sum(d.share.value for d in base.dispositions.values() if d.outcome == Outcome.REMOVAL)


@dataclass
class Calibration:
    los_scale: float
    years: dict[str, YearParams]
    border_fitted: dict[str, bool]
    fitted_on: dict[str, list[str]]  # period -> metrics used
    history: list[float] = field(default_factory=list)  # max |log error| per iteration
    residuals: dict[str, dict[str, float]] = field(default_factory=dict)  # log errors at the end
    reps: int = 0
    seed: int = 0

    def params(self, period: str) -> YearParams:
        return replace(self.years[period], los_scale=self.los_scale)

    def as_dict(self) -> dict[str, Any]:
        return {
            "los_scale": self.los_scale,
            "years": {
                k: asdict(v) | {"border_fitted": self.border_fitted[k]}
                for k, v in self.years.items()
            },
            "fitted_on": self.fitted_on,
            "max_abs_log_error_by_iteration": self.history,
            "final_log_errors": self.residuals,
            "reps": self.reps,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        """The inverse of :meth:`as_dict` (as stored in calibration.json)."""
        fields = ("posture", "removal_share", "border_transfers_per_day")
        return cls(
            los_scale=d["los_scale"],
            years={k: YearParams(**{f: v[f] for f in fields}) for k, v in d["years"].items()},
            border_fitted={k: v["border_fitted"] for k, v in d["years"].items()},
            fitted_on=d["fitted_on"],
            history=d["max_abs_log_error_by_iteration"],
            residuals=d["final_log_errors"],
            reps=d["reps"],
            seed=d["seed"],
        )


def calibrate(
    base: Scenario,
    years: Sequence[YearInputs] = tuple(YEARS[y] for y in FIT_YEARS),
    *,
    observed: Observed = confirmed,
    reps: int = 8,
    seed: int = 1,
    iterations: int = 6,
    start: Calibration | None = None,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit the calibrated quantities to the observed figures of ``years``."""
    share0 = base_removal_share(base)
    prior_border = base.inflow.border_transfers_per_day.value
    state: dict[str, YearParams] = {}
    fitted_border: dict[str, bool] = {}
    for y in years:
        derived = y.border_from_book_ins()
        fitted_border[y.period] = derived is None
        if start is not None and y.period in start.years:
            state[y.period] = start.years[y.period]
        else:
            state[y.period] = YearParams(
                posture=1.0,
                removal_share=share0,
                border_transfers_per_day=prior_border if derived is None else derived,
            )
    los = start.los_scale if start is not None else 1.0
    fitted_on = {
        y.period: [m for m in TARGET_METRICS if observed(m, y.period) is not None] for y in years
    }
    history: list[float] = []
    residuals: dict[str, dict[str, float]] = {}
    for it in range(iterations + 1):
        sims = {}
        for y in years:
            if progress:
                progress(f"iteration {it}, {y.period}")
            sims[y.period] = {
                k: float(np.nanmean(v))
                for k, v in simulate_year(
                    base, y, replace(state[y.period], los_scale=los), reps, seed
                ).items()
            }
        residuals = {
            y.period: {
                m: math.log(sims[y.period][m] / observed(m, y.period)) for m in fitted_on[y.period]
            }
            for y in years
        }
        history.append(max((abs(e) for r in residuals.values() for e in r.values()), default=0.0))
        if it == iterations:
            break
        ratios = []
        for y in years:
            s, p = sims[y.period], state[y.period]
            obs = {m: observed(m, y.period) for m in fitted_on[y.period]}
            posture, share, border = p.posture, p.removal_share, p.border_transfers_per_day
            # At capacity the population no longer follows the inflow, and the stay is
            # confounded with turn-aways: such a year informs neither step.
            full = s["detention_adp"] >= AT_CAPACITY * y.beds
            if "arrests" in obs:
                posture *= obs["arrests"] / s["arrests"]
            if "detention_adp" in obs and fitted_border[y.period] and not full:
                border = max(border + (obs["detention_adp"] - s["detention_adp"]) / s["alos"], 0.0)
            if "removals" in obs:
                # Removals scale with admissions too: allow for this step's change in them.
                before = s["arrests"] / y.days + p.border_transfers_per_day
                after = obs.get("arrests", s["arrests"]) / y.days + border
                step = obs["removals"] / s["removals"] * before / after
                share = min(max(share * step, 0.05), 0.98)
            if "alos" in obs and not full:
                ratios.append(obs["alos"] / s["alos"])
            state[y.period] = YearParams(posture, share, border)
        if ratios:
            los *= float(np.exp(np.mean(np.log(ratios))))
    return Calibration(
        los_scale=los,
        years=state,
        border_fitted=fitted_border,
        fitted_on=fitted_on,
        history=history,
        residuals=residuals,
        reps=reps,
        seed=seed,
    )


def held_out_params(fit: Calibration, year: YearInputs) -> YearParams:
    """Parameters for a year the fit did not see: the other years' typical values.

    By the same rule as the annual Bayesian fit's population: only the other years whose
    figures measure a quantity (``backtest.INFORMED_BY``; all of them if fewer than two
    do) enter it. Inflow: their mean, or the year's own from its published book-ins. The
    residual posture (on its log) and the removal share: their values pooled by
    :func:`atlarge.analysis.pooling.pool` (a least-squares line in a dated input where
    the years differ in it, else the mean; ``backtest.COVARIATES``: the share of the year
    under a broad priority policy for the posture, under Title 42 for the removal share),
    read at the year's own inputs; the share kept in [0.05, 0.98]. The year's priority
    policy is an input, not a parameter: the year keeps its own.
    """
    others = {k: p for k, p in fit.years.items() if k != year.period}
    own = year_covariates(year)

    def pooled(quantity: str, value: Callable[[YearParams], float]) -> float:
        keys = [k for k in others if measures(quantity, fit.fitted_on.get(k, ()),
                                              not fit.border_fitted.get(k, True))]  # fmt: skip
        keys = keys if len(keys) >= 2 else list(others)
        values = [value(others[k]) for k in keys]
        if len(values) < 2:  # one other year: its own
            return float(np.mean(values))
        covariate = COVARIATES.get(quantity)
        if covariate is None:
            return predictive(pool(values, np.zeros(len(values))))[0]
        inputs = [year_covariates(YEARS[int(k.removeprefix("FY"))])[covariate] for k in keys]
        return predictive(pool(values, np.zeros(len(values)), inputs), own[covariate])[0]

    border = year.border_from_book_ins()
    if border is None:
        border = pooled("border_transfers_per_day", lambda p: p.border_transfers_per_day)
    return YearParams(
        posture=math.exp(pooled("posture", lambda p: math.log(p.posture))),
        removal_share=min(max(pooled("removal_share", lambda p: p.removal_share), 0.05), 0.98),
        border_transfers_per_day=border,
        los_scale=fit.los_scale,
    )

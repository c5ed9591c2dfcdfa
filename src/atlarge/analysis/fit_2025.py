"""The 2025 fit: what is fitted, to which figures, and the document a fit writes.

The base is ``scenarios/2025-as-implemented.toml`` (inputs only, from 20 January 2025)
run to 30 September 2025, the last day of the record. Fitted, each with a prior over a
stated range (every other parameter stays at its value; the FY2024 calibration's fitted
yields, shares and stays are the base this multiplies):

* ``posture``: multiplier on every arrest yield (at large, each group, and custodial):
  2025's enforcement intensity beyond FY2024's fitted yields and 2025's inputs
  (officers, partners, priorities). Log-uniform 0.5-4.
* ``detailed_productivity``: multiplier on the relative productivity of every detailed
  agency (HSI, FBI, DEA, USMS, ATF, CBP, IRS; each kept within its bound of 2).
  Log-uniform 0.2-3: the scenario's per-agency values are assumptions.
* ``partners_287g``: 287(g) partners' relative productivity, uniform over the scenario's
  range (0.05-0.4).
* ``detainer_share``: ``custodial.detainer_share``, uniform over the scenario's range.
* ``collateral``: ``collateral.per_at_large_arrest``, uniform over the scenario's range.
* ``los_scale``: multiplier on every path's mean stay (at least its phases). Log-uniform
  0.6-1.6.
* ``removal_share``: the removal paths' share of admissions (the others scaled to the
  rest, as in the backtest). Uniform 0.5-0.95.

The figures: every 2025 observation the record marks ``fit`` that the model simulates
and that falls between the start and 30 September 2025 (``atlarge.analysis.bayes.
MEASURES``: arrests per day by month and in the first weeks, arrests in the first 100
days, detention snapshots, removals from 20 January to 27 August, and the February
book-ins by agency where they fall inside the run). Rows marked ``check`` or
``context`` are never fitted; with a holdout date (``--holdout-from``, the leave-out
check) the rows from that date are left out of the fit and predicted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from atlarge import __version__
from atlarge.analysis.bayes import (
    FitParameter,
    Posterior,
    Problem,
    coverage,
    data_version,
    predictive,
    spaced,
    summaries,
    with_observation_error,
)
from atlarge.analysis.trajectory import RECORD_END, Observation, fitted
from atlarge.model.outcomes import Outcome
from atlarge.scenario import Scenario, load_scenario

SCENARIO = Path("scenarios/2025-as-implemented.toml")
DETAILED = ("hsi", "fbi", "dea", "usms", "atf", "cbp", "irs")


def _posture(base: Scenario, v: float) -> dict[str, Any]:
    out = {
        f"groups.{k}.arrests_per_agent_day": g.arrests_per_agent_day.value * v
        for k, g in base.groups.items()
    }
    if base.custodial is not None:
        out["custodial.arrests_per_agent_day"] = base.custodial.arrests_per_agent_day.value * v
    return out


def _detailed(base: Scenario, v: float) -> dict[str, Any]:
    out = {}
    for key in DETAILED:
        agency = getattr(base.workforce, key, None)
        if agency is not None:
            out[f"workforce.{key}.relative_productivity"] = min(
                agency.relative_productivity.value * v, 2.0
            )
    return out


def _los(base: Scenario, v: float) -> dict[str, Any]:
    return {
        f"dispositions.{k}.mean_days": max(d.mean_days.value * v, float(d.phases))
        for k, d in base.dispositions.items()
    }


def _removal_share(base: Scenario, v: float) -> dict[str, Any]:
    removal = [k for k, d in base.dispositions.items() if d.outcome == Outcome.REMOVAL]
    now = sum(base.dispositions[k].share.value for k in removal)
    return {
        f"dispositions.{k}.share": d.share.value
        * (v / now if k in removal else (1 - v) / (1 - now))
        for k, d in base.dispositions.items()
    }


def _path(path: str):
    return lambda _base, v: {path: v}


PARAMS = (
    FitParameter("posture", 0.5, 4.0, "log", _posture,
                 "2025 intensity beyond FY2024's fitted yields; not published"),
    FitParameter("detailed_productivity", 0.2, 3.0, "log", _detailed,
                 "detailed agents' arrests per agent-day relative to ERO are assumptions"),
    FitParameter("partners_287g", 0.05, 0.4, "linear",
                 _path("workforce.partners_287g.relative_productivity"),
                 "the scenario's range for 287(g) partners' productivity"),
    FitParameter("detainer_share", 0.5, 0.85, "linear", _path("custodial.detainer_share"),
                 "the scenario's range for the share of bookings with a detainer honoured"),
    FitParameter("collateral", 0.1, 0.6, "linear", _path("collateral.per_at_large_arrest"),
                 "the scenario's range for collateral arrests per at-large arrest"),
    FitParameter("los_scale", 0.6, 1.6, "log", _los,
                 "2025 stays relative to the FY2024 fit (TRAC: ALOS fell from 52 to ~44 days)"),
    FitParameter("removal_share", 0.5, 0.95, "linear", _removal_share,
                 "share of admissions on removal paths under 2025's policies"),
)  # fmt: skip


def base_scenario(path: Path = SCENARIO, end: date = RECORD_END) -> Scenario:
    """The 2025 scenario run from its start to ``end`` (the record's last day)."""
    sc = load_scenario(path)
    days = (end - sc.start_date).days + 1
    return sc.with_values({"days": days}, f"the 2025 fit runs to {end}, the record's end")


def observations(holdout_from: date | None = None) -> tuple[list[Observation], list[Observation]]:
    """The record's fit rows, split into (fitted, held out): rows that end before
    ``holdout_from`` are fitted, rows that start on or after it are held out (predicted,
    not fitted); a row that straddles the date (e.g. removals from 20 January to 27
    August against a 1 July holdout) is neither, so nothing held out leaks into the fit."""
    rows = list(fitted())
    if holdout_from is None:
        return rows, []
    return [o for o in rows if o.end < holdout_from], [o for o in rows if o.start >= holdout_from]


def problem(
    base: Scenario | None = None,
    *,
    reps: int = 8,
    seed: int = 1,
    holdout_from: date | None = None,
) -> tuple[Problem, Problem | None]:
    """The fit's problem, and the held-out figures as a problem of their own (or None)."""
    base = base or base_scenario()
    fit_rows, held = observations(holdout_from)
    main = Problem(base, PARAMS, tuple(summaries(fit_rows, base.start_date, base.days)),
                   reps=reps, seed=seed)  # fmt: skip
    held_targets = tuple(summaries(held, base.start_date, base.days))
    other = Problem(base, PARAMS, held_targets, reps=reps, seed=seed) if held_targets else None
    return main, other


def document(
    main: Problem,
    post: Posterior,
    *,
    settings: dict[str, Any],
    held: Problem | None = None,
    ppc_draws: int = 40,
) -> dict[str, Any]:
    """The posterior file: method, priors, figures fitted, draws, diagnostics, checks."""
    pick = spaced(len(post.draws), ppc_draws)
    unit = np.column_stack([p.to_unit(post.draws[pick, i]) for i, p in enumerate(main.params)])
    fit_rows = coverage(main, with_observation_error(main, predictive(main, unit)))
    doc: dict[str, Any] = {
        "atlarge_version": __version__,
        "method": (
            "Bayesian synthetic likelihood (Wood 2010) sampled with emcee's ensemble "
            f"({settings.get('moves', 'stretch')} moves); common random numbers; see "
            "atlarge.analysis.bayes"
        ),
        "error_model": (
            "log observed ~ Normal(mean log simulated, var log simulated + relative_sd^2); "
            "relative_sd by confidence class (atlarge.analysis.trajectory.RELATIVE_SD, an "
            "assumption); summaries independent given the parameters"
        ),
        "data": {
            "file": "trajectory-2025.csv",
            "sha256_16": data_version(),
            "record_ends": str(RECORD_END),
        },
        "scenario": main.base.name,
        "settings": settings,
        "priors": [p.describe() for p in main.params],
        "posterior": post.summary(),
        "diagnostics": post.diagnostics,
        "draws": {n: [float(x) for x in post.draws[:, i]] for i, n in enumerate(post.names)},
        "checks": {"fitted": fit_rows, "coverage": _share_inside(fit_rows)},
    }
    if held is not None:
        held_rows = coverage(held, with_observation_error(held, predictive(held, unit)))
        doc["checks"]["held_out"] = held_rows
        doc["checks"]["held_out_coverage"] = _share_inside(held_rows)
    return doc


def _share_inside(rows: list[dict[str, Any]]) -> float | None:
    return float(np.mean([r["inside"] for r in rows])) if rows else None


def run_fit(
    *,
    reps: int = 4,
    seed: int = 1,
    walkers: int = 32,
    steps: int = 600,
    burn: int = 300,
    thin: int = 5,
    holdout_from: date | None = None,
    base: Scenario | None = None,
    start_search: int = 12,
    moves: str = "de",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit the 2025 problem and return the posterior document (see :func:`document`)."""
    from atlarge.analysis.bayes import fit

    main, held = problem(base, reps=reps, seed=seed, holdout_from=holdout_from)
    post = fit(main, walkers=walkers, steps=steps, burn=burn, thin=thin, seed=seed,
               start_search=start_search, moves=moves, progress=progress)  # fmt: skip
    settings = {
        "reps": reps, "seed": seed, "walkers": walkers, "steps": steps, "burn": burn,
        "thin": thin, "holdout_from": str(holdout_from) if holdout_from else None,
        "start_search_generations": start_search, "moves": moves,
    }  # fmt: skip
    return document(main, post, settings=settings, held=held)


CARRIED_TO = Path("scenarios/operation-at-large.toml")
"""The scenario the shipped 2025 posterior is carried over to (its headline answers with
posterior bands): written beside it as ``operation-at-large-fitted.toml``."""


def carried_path(scenario: Path = CARRIED_TO) -> Path:
    return scenario.with_name(f"{scenario.stem}-fitted.toml")


def default_posterior_path() -> Path:
    """The package's posterior file (what fitted scenarios and forecasts read)."""
    return Path(__file__).resolve().parents[1] / "data" / "posterior-2025.json"

"""Run the whole backtest: fitted years, years left out of the fit, years kept aside."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from atlarge._version import __version__
from atlarge.analysis.backtest import (
    ASIDE_YEARS,
    FIT_YEARS,
    YEARS,
    YearParams,
    backtest_rows,
    policy_inputs,
    simulate_year,
)
from atlarge.analysis.calibrate import Calibration, calibrate, held_out_params
from atlarge.analysis.court_check import COURT_REPS, COURT_SCENARIO, court_section
from atlarge.scenario import Scenario

CALIBRATION_FILE = "calibration.json"


def default_calibration_path() -> Path:
    return Path(str(resources.files("atlarge.data").joinpath(CALIBRATION_FILE)))


def run_calibration(
    base: Scenario,
    *,
    reps: int = 8,
    seed: int = 1,
    iterations: int = 6,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The full fit, and one refit per fit year with that year left out."""
    full = calibrate(base, reps=reps, seed=seed, iterations=iterations, progress=progress)
    loo = {}
    for fy in FIT_YEARS:
        years = tuple(YEARS[y] for y in FIT_YEARS if y != fy)
        if progress:
            progress(f"leaving out FY{fy}")
        refit = calibrate(
            base, years, reps=reps, seed=seed, iterations=max(iterations // 2, 1), start=full
        )
        loo[f"FY{fy}"] = refit.as_dict()
    return {
        "atlarge_version": __version__,
        "method": "fixed-point solution of the log-error equations under common random "
        "numbers; see atlarge.analysis.calibrate",
        "description": "Per fiscal year: posture, a fitted residual multiplier on every "
        "arrest yield (at large and custodial), after the year's inputs and its priority "
        "policy input (atlarge.analysis.backtest.POLICY); the removal share; the non-ERO "
        "inflow (border_fitted: fitted, else derived from published book-ins). Common to "
        "all years: los_scale.",
        "fit": full.as_dict(),
        "leave_one_year_out": loo,
    }


def load_calibration(path: Path | None = None) -> dict[str, Any]:
    """The calibration document at ``path`` (default: the package's), checked whole.

    Raises ValueError when it is not what ``atlarge calibrate`` writes, so a
    wrong file is an input error before any simulation, not a failure midway.
    """
    doc = json.loads((path or default_calibration_path()).read_text())
    check_calibration(doc)
    return doc


def check_calibration(doc: Any) -> None:
    """Raise ValueError unless ``doc`` holds a fit and every leave-one-year-out refit."""
    if not isinstance(doc, dict) or not {"fit", "leave_one_year_out"} <= doc.keys():
        raise ValueError("no 'fit' and 'leave_one_year_out'")
    loo = doc["leave_one_year_out"]
    missing = [f"FY{fy}" for fy in FIT_YEARS if not isinstance(loo, dict) or f"FY{fy}" not in loo]
    if missing:
        raise ValueError(f"no leave-one-year-out refit for {', '.join(missing)}")
    fits = [("fit", doc["fit"]), *((f"leave_one_year_out.{k}", v) for k, v in loo.items())]
    for where, fit in fits:
        try:
            Calibration.from_dict(fit)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{where}: missing or malformed {exc}") from None


def run_backtest(
    base: Scenario,
    calibration: dict[str, Any],
    *,
    reps: int = 50,
    seed: int = 11,
    progress: Callable[[int, int, str], None] | None = None,
    court_scenario: Path = COURT_SCENARIO,
    court_reps: int = COURT_REPS,
) -> dict[str, Any]:
    """Simulate every year and compare with the record; the backtest.json document.

    ``progress(done, total, label)`` is called before each simulated year (``label``
    names it) and once at the end; the court check (a few seconds) is not a step of its
    own. The court check (:mod:`atlarge.analysis.court_check`, key ``courts``) runs
    ``court_scenario`` with at most ``court_reps`` replications (fewer when ``reps`` is
    smaller): the court stage is deterministic in capacity, so more would add time, not
    information.
    """
    fit = Calibration.from_dict(calibration["fit"])
    rows: list[dict[str, Any]] = []
    total = 2 * len(FIT_YEARS) + len(ASIDE_YEARS)
    done = 0

    def run(year, params: YearParams, kind: str, fitted: set[str]) -> None:
        nonlocal done
        if progress:
            progress(done, total, f"{year.period} ({kind})")
        values = simulate_year(base, year, params, reps, seed)
        rows.extend(backtest_rows(values, year, kind, fitted))
        done += 1

    for fy in FIT_YEARS:
        year = YEARS[fy]
        run(year, fit.params(year.period), "fit", set(fit.fitted_on[year.period]))
    for fy in FIT_YEARS:
        year = YEARS[fy]
        refit = Calibration.from_dict(calibration["leave_one_year_out"][year.period])
        run(year, held_out_params(refit, year), "leave-one-year-out", set())
    for fy in ASIDE_YEARS:
        year = YEARS[fy]
        run(year, held_out_params(fit, year), "aside", set())
    courts = court_section(court_scenario, reps=min(reps, court_reps), seed=seed)
    if progress:
        progress(done, total, "done")
    return {
        "atlarge_version": __version__,
        "reps": reps,
        "seed": seed,
        "rows": rows,
        "summary": summarize_errors(rows),
        "policy": policy_inputs(base, [YEARS[fy] for fy in sorted((*FIT_YEARS, *ASIDE_YEARS))]),
        "calibration": calibration["fit"],
        "courts": courts,
    }


def summarize_errors(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Largest and typical relative errors by kind of comparison and metric."""
    out: dict[str, Any] = {}
    for kind in ("in_sample", "leave-one-year-out", "aside"):
        if kind == "in_sample":
            sel = [r for r in rows if r["in_sample"]]
        else:
            sel = [r for r in rows if r["kind"] == kind and not r["from_memory"]]
        by_metric: dict[str, Any] = {}
        for m in sorted({r["metric"] for r in sel}):
            errs = [abs(r["rel_error"]) for r in sel if r["metric"] == m]
            by_metric[m] = {
                "max_abs_rel_error": max(errs),
                "median_abs_rel_error": float(np.median(errs)),
                "n": len(errs),
            }
        out[kind] = by_metric
    return out

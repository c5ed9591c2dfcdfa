"""The annual record under the Bayesian method: each fiscal year fitted, then pooled (issue 16).

Stage 1, a year at a time. Each fit year (``backtest.FIT_YEARS``) is the backtest's year
scenario (:func:`atlarge.analysis.backtest.year_scenario`: the FY2024 pipeline with the
year's officers, beds and priority policy) with four quantities drawn from their priors
(:data:`YEAR_PARAMS`: residual posture, removal share, LOS scale and, where the year's
book-ins are not published, non-ERO book-ins per day). The year's confirmed figures
(arrests, average daily population, average length of stay, removals; never a figure
recorded "from memory") are fitted by the same synthetic likelihood and error model as
the 2025 fit (:func:`atlarge.analysis.bayes.synthetic_log_likelihood`; relative error by
confidence class, ``trajectory.RELATIVE_SD``), sampled with emcee. A year's fit does not
depend on any other year, so the years run side by side.

Stage 2, the population of years. What a year that was not fitted looks like is drawn
from the fitted years: per quantity, on the sampler's scale (log for multipliers), a
normal whose mean is the mean of the years' posterior means and whose variance is the
spread between those means (times ``1 + 1/J`` for ``J`` years: the mean itself is
uncertain) plus the average spread within a year. Only the years whose figures measure a
quantity enter its population (``backtest.INFORMED_BY``): a year with no stay or population
figure says nothing about stays, whatever its posterior looks like; a year's inflow
derived from its published book-ins enters as an exact value. Quantities are drawn
independently (six years cannot estimate their correlations). This two-stage reading of
a hierarchical model is an approximation, stated as such: a joint fit of every year and
the population (about 30 dimensions) would need some ten times the simulations.

Two quantities move with a dated input (``backtest.COVARIATES``), each a share of the
year's days, and their populations are least-squares lines in it (the predictive variance the
residual spread times ``1 + x0'(X'X)^-1 x0``, the line's leverage where it predicts,
plus the spread within a year; with fewer than three years, or years too alike in it,
the plain mean: :mod:`atlarge.analysis.pooling`):

* the residual posture with the share under a broad priority policy
  (``backtest.POLICY``). The policy is already an input of every year's scenario (who
  is eligible); the years' residual postures still follow it (fitted: about 0.87 in the
  narrow years FY2016 and FY2024, 1.08-1.27 in the years mostly broad), so the input
  carries less of the policy's effect than the record shows, and a year's predicted
  posture is read at its own policy.
* the removal share with the share under the Title 42 order (``backtest.TITLE_42``,
  March 2020 to May 2023). Encounters expelled under it never reached ICE detention, and
  ICE counts its Title 42 expulsions apart from its removals, so the years under it
  removed a smaller share of their book-ins (fitted: FY2022 about 0.38, FY2023 0.52,
  the other years 0.62-0.83).

Leave one year out: the population without that year (stage 1 needs no refit, since no
year's fit sees another year) predicts it; the year's own non-ERO book-ins come from its
published book-ins where they exist, as in the deterministic backtest. The aside year
(FY2015) is predicted from the population of all fit years. The document keeps every
year's draws, so stage 2 and the checks can be recomputed from the file
(:func:`fits_from_document`, :func:`annual_document`).

How these rules were chosen, said plainly: the first shipped population took a year into
a quantity when its posterior was narrower than half the prior's, and pooled every
quantity over all years; its left-out removals missed by 40% (median; FY2022 by 179%)
and arrests by 15% (FY2024 by 25%). The measured-by rule and the two lines replaced it
after those misses were seen, so the left-out errors of the years are no longer a test
the rules were blind to. FY2015, kept aside, and the 2025 record are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from atlarge._version import __version__
from atlarge.analysis.backtest import (
    ASIDE_YEARS,
    COVARIATES,
    FIT_YEARS,
    INFORMED_BY,
    POLICY,
    TITLE_42,
    YEARS,
    YearInputs,
    YearParams,
    measures,
    year_covariates,
    year_metrics,
    year_scenario,
)
from atlarge.analysis.bayes import (
    FitParameter,
    Posterior,
    simulate_chunks,
    spaced,
    synthetic_log_likelihood,
)
from atlarge.analysis.observed import TARGET_METRICS, figure
from atlarge.analysis.pooling import pool, predictive
from atlarge.analysis.trajectory import RELATIVE_SD, confidence_class
from atlarge.scenario import Scenario


def _no_change(_base: Scenario, _v: float) -> dict[str, Any]:
    return {}  # a year's quantities reach the scenario through YearParams


YEAR_PARAMS = (
    FitParameter("posture", 0.25, 4.0, "log", _no_change,
                 "the year's enforcement intensity beyond its officers and priority policy"),
    FitParameter("removal_share", 0.3, 0.98, "linear", _no_change,
                 "share of book-ins on paths that end in removal"),
    FitParameter("los_scale", 0.4, 2.5, "log", _no_change,
                 "the year's stays relative to the FY2024 pipeline's"),
    FitParameter("border_transfers_per_day", 0.0, 2500.0, "linear", _no_change,
                 "book-ins not from ERO arrests (fitted only where book-ins are unpublished)"),
)  # fmt: skip
"""The quantities fitted per year, with their priors (the ranges are assumptions, wide
around the deterministic calibration's values: posture 0.5-2.4, removal share 0.3-0.95,
LOS scale about 1, inflow 0-1,500 a day)."""

CHECK_DRAWS, CHECK_REPS = 40, 5
"""The checks' parameter points x replications per year (one parameter batch)."""
SEARCH_POPULATION = 5
"""Differential evolution's population per fitted quantity (``bayes.search_start``)."""

DRAW_DECIMALS = 6
"""A year's posterior draws are kept to this many decimals on the sampler's scale, in the
run and in the file alike, so the checks recomputed from the file are the run's own."""


def relative_error(confidence: str) -> float:
    """A published figure's relative error, by its confidence class (an assumption)."""
    return RELATIVE_SD[confidence_class(confidence)]


@dataclass
class YearProblem:
    """One fiscal year's fit: the year scenario, its fitted quantities, its figures."""

    base: Scenario
    year: YearInputs
    reps: int = 4
    seed: int = 1

    def __post_init__(self) -> None:
        self.border = self.year.border_from_book_ins()
        self.params = tuple(
            p for p in YEAR_PARAMS
            if p.name != "border_transfers_per_day" or self.border is None
        )  # fmt: skip
        figs = [(m, figure(m, self.year.period)) for m in TARGET_METRICS]
        self.figures = [(m, f) for m, f in figs if f is not None and not f.from_memory]
        self.observed = np.array([f.value for _, f in self.figures])
        self.obs_sd = np.array([relative_error(f.confidence) for _, f in self.figures])

    def year_params(self, theta: np.ndarray) -> YearParams:
        v = {p.name: float(p.from_unit(x)) for p, x in zip(self.params, theta, strict=True)}
        if self.border is not None:
            v["border_transfers_per_day"] = self.border
        return YearParams(**v)

    def simulate(self, thetas: np.ndarray, reps: int | None = None) -> list[dict[str, np.ndarray]]:
        """Each point's per-replication figures (common random numbers across points)."""
        reps = reps or self.reps
        scenarios = [year_scenario(self.base, self.year, self.year_params(t))
                     for t in np.atleast_2d(thetas)]  # fmt: skip
        return [year_metrics(s, self.year) for s in simulate_chunks(scenarios, self.seed, reps)]

    def simulated(self, thetas: np.ndarray) -> np.ndarray:
        """``(points, reps, figures)``: the fitted figures at each point."""
        runs = self.simulate(thetas)
        return np.stack([np.column_stack([r[m] for m, _ in self.figures]) for r in runs])

    def in_prior(self, thetas: np.ndarray) -> np.ndarray:
        lo = np.array([p.bounds[0] for p in self.params])
        hi = np.array([p.bounds[1] for p in self.params])
        return np.all((thetas >= lo) & (thetas <= hi), axis=-1)

    def log_posterior(self, thetas: np.ndarray) -> np.ndarray:
        thetas = np.atleast_2d(thetas)
        out = np.full(len(thetas), -np.inf)
        inside = self.in_prior(thetas)
        if inside.any():
            sims = self.simulated(thetas[inside])
            out[inside] = synthetic_log_likelihood(sims, self.observed, self.obs_sd)
        return out


@dataclass(frozen=True)
class YearFit:
    """A fitted year: its posterior draws on the sampler's scale, by quantity."""

    period: str
    names: tuple[str, ...]
    unit: np.ndarray  # (draws, quantities)
    diagnostics: dict[str, Any]
    figures: tuple[str, ...] = ()  # the figures the fit used
    covariates: dict[str, float] = field(default_factory=dict)  # the year's dated inputs
    border: float | None = None  # the year's inflow from its published book-ins, if any

    def column(self, name: str) -> np.ndarray | None:
        return self.unit[:, self.names.index(name)] if name in self.names else None


def _param(name: str) -> FitParameter:
    return next(p for p in YEAR_PARAMS if p.name == name)


def _prior_sd(p: FitParameter) -> float:
    lo, hi = p.bounds
    return (hi - lo) / math.sqrt(12.0)


def population(fits: Sequence[YearFit]) -> dict[str, dict[str, Any]]:
    """Per quantity, the normal (sampler scale) a year not fitted is drawn from, and the
    years it rests on (module docstring): :func:`predictive` gives its mean and sd for a
    year.

    The years that measure a quantity (``backtest.INFORMED_BY``; for the inflow, also every
    year whose book-ins are published, an exact value) enter it. With two or more of
    them, the mean is the years' average and the variance the spread between years
    (times ``1 + 1/J``) plus the average spread within one; a quantity with a covariate
    (``backtest.COVARIATES``) is a straight line in it instead, when at least three years
    enter and differ in the covariate by at least
    :data:`~atlarge.analysis.pooling.MIN_COVARIATE_SPREAD` (the same formula with the
    line's leverage in place of ``1/J``). With fewer than two years, the prior."""
    out: dict[str, dict[str, Any]] = {}
    for p in YEAR_PARAMS:
        used, means, within, cov = [], [], [], []
        covariate = COVARIATES.get(p.name)
        for f in fits:
            col = f.column(p.name)
            if not measures(p.name, f.figures, f.border is not None):
                continue
            if p.name == "border_transfers_per_day" and f.border is not None:
                value, spread = float(f.border), 0.0
            elif col is not None:
                value, spread = float(col.mean()), float(col.var())
            else:
                continue
            used.append(f.period)
            means.append(value)
            within.append(spread)
            cov.append(f.covariates.get(covariate, 0.0) if covariate else 0.0)
        if len(used) >= 2:
            entry = pool(means, within, cov if covariate else None)
        else:  # fewer than two years measure it: no spread between years, so the prior
            lo, hi = p.bounds
            entry = {"coef": [(lo + hi) / 2], "xtx_inv": [[0.0]], "by_line": False,
                     "between_var": _prior_sd(p) ** 2, "within_var": 0.0}  # fmt: skip
        by_line = entry.pop("by_line")
        out[p.name] = {**entry, "covariate": covariate if by_line else None, "years": used}
    return out


def draw_from_population(
    pop: dict[str, dict[str, Any]],
    names: Sequence[str],
    n: int,
    seed: int,
    covariates: dict[str, float] | None = None,
) -> np.ndarray:
    """``(n, len(names))`` draws on the sampler scale for a year with ``covariates`` (its
    dated inputs; none: every one 0), each inside its prior's support."""
    rng = np.random.default_rng(seed)
    cols = []
    for name in names:
        lo, hi = _param(name).bounds
        entry = pop[name]
        mean, sd = predictive(entry, (covariates or {}).get(entry.get("covariate") or "", 0.0))
        cols.append(np.clip(mean + sd * rng.standard_normal(n), lo, hi))
    return np.column_stack(cols)


def figure_rows(
    year: YearInputs, pooled: dict[str, np.ndarray], kind: str, fitted: set[str], seed: int
) -> list[dict[str, Any]]:
    """Each of the year's target figures against the predictive p5-p50-p95 of what would
    be *observed* (the simulated figure times its observation error), so coverage compares
    like with like; the error is the simulated median's."""
    rng = np.random.default_rng(seed)
    rows = []
    for metric in TARGET_METRICS:
        f = figure(metric, year.period)
        if f is None:
            continue
        sim = pooled[metric][np.isfinite(pooled[metric])]
        observed_like = sim * np.exp(relative_error(f.confidence) * rng.standard_normal(len(sim)))
        p5, p95 = np.percentile(observed_like, [5, 95])
        p50 = float(np.median(sim))
        rows.append({
            "metric": metric, "period": year.period, "observed": f.value, "kind": kind,
            "sim_p5": float(p5), "sim_p50": p50, "sim_p95": float(p95),
            "rel_error": p50 / f.value - 1.0, "inside": bool(p5 <= f.value <= p95),
            "in_sample": metric in fitted, "from_memory": f.from_memory,
            "confidence": f.confidence,
        })  # fmt: skip
    return rows


def predict(
    base: Scenario,
    year: YearInputs,
    unit: np.ndarray,
    names: Sequence[str],
    *,
    reps: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Figures pooled over parameter points (sampler scale, columns ``names``) x reps."""
    prob = YearProblem(base, year, reps=reps, seed=seed)
    idx = [names.index(p.name) for p in prob.params]
    runs = prob.simulate(unit[:, idx], reps)
    return {m: np.concatenate([r[m] for r in runs]) for m in TARGET_METRICS}


def fit_year(
    base: Scenario,
    fy: int,
    *,
    reps: int,
    seed: int,
    walkers: int,
    steps: int,
    burn: int,
    start_search: int,
    moves: str = "de",
) -> YearFit:
    """Stage 1 for one year (emcee through :func:`atlarge.analysis.bayes.fit`)."""
    from atlarge.analysis.bayes import fit

    prob = YearProblem(base, YEARS[fy], reps=reps, seed=seed)
    post: Posterior = fit(prob, walkers=walkers, steps=steps, burn=burn, thin=2, seed=seed + fy,
                          start_search=start_search, moves=moves)  # type: ignore[arg-type]  # fmt: skip
    unit = np.column_stack([p.to_unit(post.draws[:, i]) for i, p in enumerate(prob.params)])
    return year_fit(prob, post.names, unit, post.diagnostics)


def year_fit(
    prob: YearProblem, names: Sequence[str], unit: np.ndarray, diagnostics: dict[str, Any]
) -> YearFit:
    """A fitted year with what its population needs to know of it (draws rounded to
    :data:`DRAW_DECIMALS`)."""
    return YearFit(prob.year.period, tuple(names), np.round(unit, DRAW_DECIMALS), diagnostics,
                   tuple(m for m, _ in prob.figures), year_covariates(prob.year),
                   prob.border)  # fmt: skip


def _fit_year_job(args: tuple) -> YearFit:
    base, fy, kw = args
    return fit_year(base, fy, **kw)


def batch_rows(reps: int, walkers: int, workers: int) -> int:
    """The most replication rows simulated at once: a search generation or a walker half
    in each of ``workers`` processes, or the checks' batch in one."""
    points = max(walkers, SEARCH_POPULATION * len(YEAR_PARAMS))
    return max(reps * points * workers, CHECK_DRAWS * CHECK_REPS)


def run_annual_fit(
    base: Scenario,
    *,
    reps: int = 4,
    seed: int = 1,
    walkers: int = 8,
    steps: int = 120,
    burn: int = 60,
    start_search: int = 3,
    moves: str = "de",
    check_draws: int = CHECK_DRAWS,
    check_reps: int = CHECK_REPS,
    mapper: Callable[[Callable[[Any], YearFit], list[Any]], Iterable[YearFit]] | None = None,
    years: Sequence[int] = FIT_YEARS,
    aside: Sequence[int] = ASIDE_YEARS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Both stages, the in-sample checks, leave-one-year-out and the aside years; the
    document ``atlarge calibrate --method bayes-annual`` writes. ``mapper`` runs the
    years' fits (``map`` by default; the CLI passes a process pool's, since no year's
    fit depends on another's and each is seeded by its year)."""
    kw = dict(reps=reps, seed=seed, walkers=walkers, steps=steps, burn=burn,
              start_search=start_search, moves=moves)  # fmt: skip
    jobs = [(base, fy, kw) for fy in years]
    fits: list[YearFit] = []
    for f in (mapper or map)(_fit_year_job, jobs):  # in the years' order, as each finishes
        fits.append(f)
        if progress:
            progress(f"{f.period} fitted")
    settings = {**kw, "years": [YEARS[y].period for y in years]}
    return annual_document(base, fits, settings, check_draws=check_draws,
                           check_reps=check_reps, aside=aside, progress=progress)  # fmt: skip


def annual_document(
    base: Scenario,
    fits: Sequence[YearFit],
    settings: dict[str, Any],
    *,
    check_draws: int = CHECK_DRAWS,
    check_reps: int = CHECK_REPS,
    aside: Sequence[int] = ASIDE_YEARS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Stage 2 and the checks from fitted years (a fresh fit's, or a file's:
    :func:`fits_from_document`): each year in sample and left out, the aside years, the
    population, the errors; the whole document, with every year's draws so that all of
    it can be recomputed from the file without refitting."""
    names = tuple(p.name for p in YEAR_PARAMS)
    seed = settings["seed"]
    rows: list[dict[str, Any]] = []
    per_year: dict[str, Any] = {}
    for f in fits:
        fy = int(f.period.removeprefix("FY"))
        year = YEARS[fy]
        full = _fill(f, spaced(len(f.unit), check_draws))
        fitted = set(f.figures)
        pooled = predict(base, year, full, names, reps=check_reps, seed=seed)
        rows += figure_rows(year, pooled, "fit", fitted, seed)
        others = [g for g in fits if g.period != f.period]
        loo = draw_from_population(population(others), names, check_draws, seed + fy,
                                   f.covariates)  # fmt: skip
        pooled = predict(base, year, loo, names, reps=check_reps, seed=seed)
        rows += figure_rows(year, pooled, "leave-one-year-out", set(), seed)
        per_year[f.period] = {
            "quantities": list(f.names),
            "posterior": _summary(f),
            "diagnostics": f.diagnostics,
            "fitted_on": sorted(fitted),
            "covariates": f.covariates,
            "border_from_book_ins": f.border,
            "draws": f.unit.tolist(),
        }
        if progress:
            progress(f"{year.period} checked")
    pop = population(fits)
    for fy in aside:
        draws = draw_from_population(pop, names, check_draws, seed + fy, year_covariates(YEARS[fy]))
        pooled = predict(base, YEARS[fy], draws, names, reps=check_reps, seed=seed)
        rows += figure_rows(YEARS[fy], pooled, "aside", set(), seed)
    return {
        "atlarge_version": __version__,
        "method": (
            "per fiscal year: Bayesian synthetic likelihood sampled with emcee (the 2025 "
            "fit's likelihood and error model); a population of years from the years that "
            "measure each quantity, the residual posture a line in the year's share under a "
            "broad priority policy and the removal share one in its share under Title 42 "
            "(two-stage hierarchical "
            "approximation; atlarge.analysis.annual_bayes)"
        ),
        "scenario": base.name,
        "settings": {
            **settings,
            "check_draws": check_draws,
            "check_reps": check_reps,
            "aside": [YEARS[y].period for y in aside],
        },
        "priors": [p.describe() for p in YEAR_PARAMS],
        "informed_by": {k: list(v) for k, v in INFORMED_BY.items()},
        "title_42": TITLE_42.as_dict(),
        "priority_policy": [p.as_dict() for p in POLICY],
        "years": per_year,
        "population": {k: {**v, **_natural(k, v)} for k, v in pop.items()},
        "rows": rows,
        "errors": summarize(rows),
    }


def fits_from_document(doc: dict[str, Any]) -> list[YearFit]:
    """The fitted years of an annual fit's document (its stored draws), in its order."""
    out = []
    for period, y in doc["years"].items():
        if "draws" not in y or "covariates" not in y:
            raise ValueError(
                f"{period} has no stored draws or covariates: the file was written before "
                "annual fits kept them; fit the annual record again (method bayes-annual)"
            )
        unit = np.asarray(y["draws"], dtype=np.float64)
        out.append(YearFit(period, tuple(y["quantities"]), unit, y["diagnostics"],
                           tuple(y["fitted_on"]), y["covariates"],
                           y["border_from_book_ins"]))  # fmt: skip
    return out


def _fill(f: YearFit, pick: np.ndarray) -> np.ndarray:
    """The year's draws at ``pick`` with every quantity (unfitted ones at the prior's
    middle: they are replaced by the year's published inflow in the simulation)."""
    cols = []
    for p in YEAR_PARAMS:
        col = f.column(p.name)
        cols.append(col[pick] if col is not None else np.full(len(pick), np.mean(p.bounds)))
    return np.column_stack(cols)


def _summary(f: YearFit) -> dict[str, dict[str, float]]:
    out = {}
    for i, name in enumerate(f.names):
        v = _param(name).from_unit(f.unit[:, i])
        q = np.percentile(v, [5, 50, 95])
        out[name] = {"p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2])}
    return out


def _natural(name: str, v: dict[str, Any]) -> dict[str, Any]:
    """The population on the quantity's own scale: p5-p50-p95 for a year whose covariate
    is 0 (and, for a quantity that moves with one, ``at_one``: a year wholly under it)."""
    p = _param(name)

    def q(at: float) -> dict[str, float]:
        mean, sd = predictive(v, at)
        x = p.from_unit(np.clip(np.array([mean - 1.645 * sd, mean, mean + 1.645 * sd]),
                                *p.bounds))  # fmt: skip
        return {"p5": float(x[0]), "p50": float(x[1]), "p95": float(x[2])}

    out: dict[str, Any] = q(0.0)
    if v.get("covariate"):
        out["at_one"] = q(1.0)
    return out


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and largest absolute error and coverage, by kind and metric (confirmed
    figures only; figures recorded from memory are shown, never scored)."""
    out: dict[str, Any] = {}
    for kind in ("fit", "leave-one-year-out", "aside"):
        for metric in TARGET_METRICS:
            sel = [r for r in rows if r["kind"] == kind and r["metric"] == metric
                   and not r["from_memory"]]  # fmt: skip
            if not sel:
                continue
            err = np.abs([r["rel_error"] for r in sel])
            worst = max(sel, key=lambda r: abs(r["rel_error"]))
            out.setdefault(kind, {})[metric] = {
                "median_abs_error": float(np.median(err)),
                "max_abs_error": float(err.max()),
                "worst_year": worst["period"],
                "coverage": float(np.mean([r["inside"] for r in sel])),
                "n": len(sel),
            }
    return out


def default_annual_path() -> Path:
    """The package's annual posterior file."""
    return Path(__file__).resolve().parents[1] / "data" / "posterior-annual.json"

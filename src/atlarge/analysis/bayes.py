"""Bayesian calibration by synthetic likelihood, sampled with emcee (issue 16).

Why this method. The model has no likelihood in closed form, but it is cheap to simulate
and its summaries (a month's arrests per day, a detention snapshot, a period's removals)
are sums of many counts, close to normal on the log scale. A *synthetic likelihood*
(S. N. Wood (2010), "Statistical inference for noisy nonlinear ecological dynamic
systems", Nature 466) simulates ``K`` replications at a parameter point, takes the mean
and spread of each summary, and scores the record under a normal distribution with that
mean and the model's spread plus the observation's error. The sampler is emcee's affine-
invariant ensemble (D. Foreman-Mackey et al. (2013), PASP 125), a well-kept library that
needs no gradients and, with ``vectorize=True``, hands over every walker's point at once,
so one call simulates all walkers together. Why not ABC-SMC (pyabc): its tolerance
schedule needs many more simulations per accepted point than the synthetic likelihood
on a handful of smooth summaries, and pyabc is not available here.

Common random numbers: every evaluation uses the same seed and replication indices, so
the synthetic likelihood is a deterministic, smooth-ish function of the parameters (the
chain is not chasing simulation noise) and a rerun reproduces the chain bit for bit.

The error model (per summary ``i``, on the log scale)::

    log y_i ~ Normal(mean_k log s_ik(theta), var_k log s_ik(theta) + sd_i^2)

``s_ik`` the summary in replication ``k``, ``sd_i`` the observation's relative error from
its confidence class (:func:`atlarge.analysis.trajectory.relative_sd`, an assumption with
stated ranges). Summaries are treated as independent given theta (a diagonal covariance:
with a few replications a full covariance would be noise; the month-to-month dependence
of the record is in the model's dynamics, not in the error term).

Priors: each fitted quantity has a uniform prior on the log of a multiplier (or on the
value, for shares) over a stated range, in :class:`FitParameter`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

import numpy as np

from atlarge.analysis.trajectory import Observation, day_range, relative_sd
from atlarge.model.batch import batch_key, run_batch
from atlarge.model.inputs import build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.scenario import Scenario

Series = dict[str, np.ndarray]


@dataclass(frozen=True)
class FitParameter:
    """One fitted quantity: its prior, and how a value of it changes the scenario.

    ``scale="log"``: the value is a multiplier with a prior uniform in its log over
    [low, high]; ``scale="linear"``: uniform over [low, high]. ``apply`` turns the value
    into scenario changes (path -> value) for ``Scenario.with_values``.
    """

    name: str
    low: float
    high: float
    scale: str
    apply: Callable[[Scenario, float], dict[str, Any]]
    why: str

    def to_unit(self, value: np.ndarray) -> np.ndarray:
        if self.scale == "log":
            return np.log(value)
        return np.asarray(value, dtype=float)

    def from_unit(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x) if self.scale == "log" else np.asarray(x, dtype=float)

    @property
    def bounds(self) -> tuple[float, float]:
        """The prior's support in the sampler's coordinates."""
        lo, hi = self.to_unit(np.array([self.low, self.high]))
        return float(lo), float(hi)

    def describe(self) -> dict[str, Any]:
        kind = "log-uniform multiplier" if self.scale == "log" else "uniform"
        return {"name": self.name, "prior": kind, "low": self.low, "high": self.high,
                "why": self.why}  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """A simulated counterpart of one observation: which measure, which days, how."""

    obs: Observation
    measure: str
    how: str  # "mean" per day over the days, "sum" over them, "at" the first day
    days: tuple[int, int]

    def of(self, national: Callable[[str], np.ndarray]) -> np.ndarray:
        """``(reps,)`` the summary from national daily series ``(reps, days)``."""
        x = national(self.measure)[:, self.days[0] : self.days[1]]
        if self.how == "mean":
            return x.mean(axis=1)
        if self.how == "sum":
            return x.sum(axis=1).astype(float)
        return x[:, 0].astype(float)


MEASURES = {
    "arrests_per_day": ("arrests", "mean"),
    "arrests": ("arrests", "sum"),
    "detained": ("detained", "at"),
    "removals": ("removed", "sum"),
    "book_ins_ice": ("booked", "sum"),
    "book_ins_cbp": ("border_admissions", "sum"),
}
"""Series of the record the model simulates, and the measure and summary of each."""


NOT_FITTED = {
    "arrests": "its period's monthly means are fitted: counting both would count the same "
    "arrests twice under the independence of the error model",
}
"""Series the record has and the model simulates that a fit leaves out, and why."""


def summaries(observations: Sequence[Observation], start: date, days: int) -> list[Summary]:
    """The observations the run can reproduce: of a simulated series, inside its days; not
    a snapshot on the first day (the starting population is an input, not a result), nor a
    series in :data:`NOT_FITTED`."""
    out = []
    for obs in observations:
        if obs.series not in MEASURES or obs.series in NOT_FITTED:
            continue
        a, b = day_range(obs, start)
        if a < 0 or b > days or (obs.kind == "snapshot" and a == 0):
            continue
        measure, how = MEASURES[obs.series]
        out.append(Summary(obs, measure, how, (a, b)))
    return out


@dataclass
class Problem:
    """What is fitted to what: a base scenario, the fitted quantities, the summaries."""

    base: Scenario
    params: tuple[FitParameter, ...]
    targets: tuple[Summary, ...]
    reps: int = 8
    seed: int = 1
    simulate: Callable[[Sequence[Scenario], int, int], list[Series]] | None = None

    @property
    def observed(self) -> np.ndarray:
        return np.array([t.obs.value for t in self.targets], dtype=float)

    @property
    def obs_sd(self) -> np.ndarray:
        """Relative observation errors (the log-scale sd), by confidence class."""
        return np.array([relative_sd(t.obs) for t in self.targets], dtype=float)

    def scenario(self, theta: np.ndarray) -> Scenario:
        """The base with the fitted quantities at ``theta`` (sampler coordinates)."""
        values: dict[str, Any] = {}
        for p, x in zip(self.params, theta, strict=True):
            values |= p.apply(self.base, float(p.from_unit(x)))
        names = ", ".join(f"{p.name}={float(p.from_unit(x)):.4g}"
                          for p, x in zip(self.params, theta, strict=True))  # fmt: skip
        return self.base.with_values(values, f"calibration point ({names})")

    def simulated(self, thetas: np.ndarray) -> np.ndarray:
        """``(points, reps, summaries)``: every summary in every replication at each point
        (the same seed and replication indices at every point: common random numbers)."""
        scenarios = [self.scenario(t) for t in np.atleast_2d(thetas)]
        run = self.simulate or simulate_chunks
        results = run(scenarios, self.seed, self.reps)
        out = np.empty((len(scenarios), self.reps, len(self.targets)))
        for j, series in enumerate(results):

            def national(m: str, s: Series = series) -> np.ndarray:
                return s[m].sum(axis=1) if s[m].ndim == 3 else s[m]

            for i, t in enumerate(self.targets):
                out[j, :, i] = t.of(national)
        return out

    def in_prior(self, thetas: np.ndarray) -> np.ndarray:
        lo = np.array([p.bounds[0] for p in self.params])
        hi = np.array([p.bounds[1] for p in self.params])
        return np.all((thetas >= lo) & (thetas <= hi), axis=-1)

    def log_likelihood(self, sims: np.ndarray) -> np.ndarray:
        """``(points,)`` synthetic log-likelihood of the record given ``(points, reps,
        summaries)`` simulations (module docstring)."""
        return synthetic_log_likelihood(sims, self.observed, self.obs_sd)

    def log_posterior(self, thetas: np.ndarray) -> np.ndarray:
        """``(points,)``: flat priors in the sampler's coordinates, -inf outside them."""
        thetas = np.atleast_2d(thetas)
        out = np.full(len(thetas), -np.inf)
        inside = self.in_prior(thetas)
        if inside.any():
            out[inside] = self.log_likelihood(self.simulated(thetas[inside]))
        return out


def spaced(total: int, n: int) -> np.ndarray:
    """``min(n, total)`` indices evenly spread over ``0..total-1``: draws taken from the
    whole chain, not its end (checks, fitted scenarios)."""
    return np.linspace(0, total - 1, min(n, total)).astype(int)


def synthetic_log_likelihood(
    sims: np.ndarray, observed: np.ndarray, obs_sd: np.ndarray
) -> np.ndarray:
    """``(points,)``: the error model of the module docstring, for ``(points, reps,
    summaries)`` simulations of ``observed`` figures with relative errors ``obs_sd``."""
    logs = np.log(np.maximum(sims, 1e-9))
    mean = logs.mean(axis=1)
    var = logs.var(axis=1, ddof=1) if sims.shape[1] > 1 else np.zeros_like(mean)
    var = var + obs_sd**2
    resid = np.log(observed) - mean
    return -0.5 * np.sum(resid**2 / var + np.log(2 * math.pi * var), axis=-1)


def simulate_chunks(scenarios: Sequence[Scenario], seed: int, reps: int) -> list[Series]:
    """Each scenario's replications ``0..reps-1``: points that share their structure run
    as one parameter batch (:mod:`atlarge.model.batch`, bit-identical to a chunk per
    point, one day loop for all of them)."""
    inputs = [build_inputs(sc) for sc in scenarios]
    groups: dict[tuple, list[int]] = {}
    for i, inp in enumerate(inputs):
        groups.setdefault(batch_key(inp), []).append(i)
    out: list[Series | None] = [None] * len(inputs)
    for idx in groups.values():
        for i, series in zip(idx, run_batch([inputs[i] for i in idx], seed, reps), strict=True):
            out[i] = series
    return out  # type: ignore[return-value]


def simulate_one_by_one(scenarios: Sequence[Scenario], seed: int, reps: int) -> list[Series]:
    """The reference path: a chunk per point (what a batch must equal)."""
    return [run_chunk(build_inputs(sc), seed, np.arange(reps)) for sc in scenarios]


@dataclass
class Posterior:
    """What a fit found: thinned draws in the fitted quantities' own units, and how
    trustworthy the chain is."""

    names: tuple[str, ...]
    draws: np.ndarray  # (n, params), natural units
    log_post: np.ndarray  # (n,)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float]]:
        q = np.percentile(self.draws, [5, 50, 95], axis=0)
        return {n: {"p5": float(q[0, i]), "p50": float(q[1, i]), "p95": float(q[2, i]),
                    "mean": float(self.draws[:, i].mean())}
                for i, n in enumerate(self.names)}  # fmt: skip


MOVES = ("stretch", "de")
"""emcee's proposal moves :func:`fit` can use."""


def fit(
    problem: Problem,
    *,
    walkers: int = 16,
    steps: int = 200,
    burn: int = 100,
    thin: int = 5,
    seed: int = 1,
    start_search: int = 0,
    moves: str = "de",
    progress: Callable[[int, int], None] | None = None,
) -> Posterior:
    """Sample the posterior with emcee (every walker simulated in one call per step).

    Walkers start uniformly inside the priors, or, with ``start_search = G``, in a small
    ball (2% of each prior's width) around the best point of ``G`` generations of a
    differential-evolution search (:func:`search_start`): an ensemble started over the
    whole prior leaves walkers stranded in far, flat regions for hundreds of steps.

    ``moves``: ``de``, emcee's differential-evolution moves (80% ``DEMove``, 20%
    ``DESnookerMove``), which travel along long, narrow ridges (quantities that trade off
    against each other) faster, or ``stretch``, emcee's own default affine-invariant move
    (on the 2025 fit, 300 steps: split R-hat 1.19-1.46 with DE moves, 2.05-2.35 with
    stretch).
    """
    import emcee

    if moves not in MOVES:
        raise ValueError(f"moves must be one of {', '.join(MOVES)}, got {moves!r}")

    ndim = len(problem.params)
    if walkers < 2 * ndim:
        raise ValueError(f"emcee needs at least 2 x {ndim} walkers, got {walkers}")
    if not 0 <= burn <= steps - 4:
        raise ValueError("burn must be at least 0 and leave at least 4 steps")
    rng = np.random.default_rng(seed)
    lo = np.array([p.bounds[0] for p in problem.params])
    hi = np.array([p.bounds[1] for p in problem.params])
    if start_search:
        best = search_start(problem, seed=seed, generations=start_search)
        ball = 0.02 * (hi - lo) * rng.standard_normal((walkers, ndim))
        start = np.clip(best + ball, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))
    else:
        start = lo + (hi - lo) * rng.uniform(0.1, 0.9, size=(walkers, ndim))
    de = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(walkers, ndim, problem.log_posterior, vectorize=True,
                                    moves=de if moves == "de" else None)  # fmt: skip
    sampler.random_state = np.random.RandomState(seed).get_state()
    for i, _ in enumerate(sampler.sample(start, iterations=steps)):
        if progress:
            progress(i + 1, steps)
    chain = sampler.get_chain(discard=burn, thin=thin)  # (n, walkers, ndim)
    lp = sampler.get_log_prob(discard=burn, thin=thin)
    flat = chain.reshape(-1, ndim)
    natural = np.column_stack([p.from_unit(flat[:, i]) for i, p in enumerate(problem.params)])
    return Posterior(
        names=tuple(p.name for p in problem.params),
        draws=natural,
        log_post=lp.reshape(-1),
        diagnostics=diagnostics(sampler, burn),
    )


def search_start(problem: Problem, *, seed: int, generations: int) -> np.ndarray:
    """The highest-posterior point SciPy's differential evolution finds in ``generations``
    generations, each generation simulated as one parameter batch (``vectorized``)."""
    from scipy.optimize import differential_evolution

    bounds = [p.bounds for p in problem.params]

    def cost(x: np.ndarray) -> np.ndarray:  # x: (ndim, points)
        return -problem.log_posterior(np.atleast_2d(x.T))

    found = differential_evolution(
        cost, bounds, maxiter=generations, popsize=5, seed=seed, polish=False,
        vectorized=True, updating="deferred", tol=0.0,
    )  # fmt: skip
    return np.asarray(found.x, dtype=float)


def diagnostics(sampler: Any, burn: int) -> dict[str, Any]:
    """Acceptance, autocorrelation times, effective sample size and split R-hat (over
    walkers) of the chain after ``burn``, and how many walkers never moved after it.

    A walker that never moved makes emcee's autocorrelation estimate 0/0: such a time
    (and its effective sample size) is written as null, never as NaN (which is not
    JSON), and ``stuck_walkers`` says why."""
    chain = sampler.get_chain(discard=burn)  # (steps, walkers, ndim)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = sampler.get_autocorr_time(discard=burn, quiet=True, tol=0)
    n_steps, n_walkers, _ = chain.shape
    return {
        "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
        "autocorr_time": [float(t) if np.isfinite(t) else None for t in tau],
        "effective_samples": [
            float(n_steps * n_walkers / max(t, 1.0)) if np.isfinite(t) else None for t in tau
        ],
        "rhat": [float(r) for r in split_rhat(chain)],
        "stuck_walkers": stuck_walkers(chain),
        "steps_after_burn": int(n_steps),
        "walkers": int(n_walkers),
    }


def stuck_walkers(chain: np.ndarray) -> int:
    """Walkers whose position never changed over ``chain`` ``(steps, walkers, ndim)``."""
    return int(np.sum(np.all(chain == chain[:1], axis=(0, 2))))


def split_rhat(chain: np.ndarray) -> np.ndarray:
    """Gelman-Rubin R-hat per parameter, each walker's chain split in halves."""
    n = chain.shape[0] // 2
    halves = np.concatenate([chain[:n], chain[n : 2 * n]], axis=1)  # (n, 2 walkers, ndim)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between = n * halves.mean(axis=0).var(axis=0, ddof=1)
    var = (n - 1) / n * within + between / n
    return np.sqrt(var / np.maximum(within, 1e-300))


def predictive(problem: Problem, draws_unit: np.ndarray) -> np.ndarray:
    """``(draws x reps, summaries)``: posterior predictive simulations at ``draws_unit``
    (sampler coordinates), pooled over draws and replications."""
    sims = problem.simulated(draws_unit)
    return sims.reshape(-1, sims.shape[-1])


def with_observation_error(problem: Problem, pooled: np.ndarray, seed: int = 0) -> np.ndarray:
    """Predictive draws of what would be *observed*: each simulated figure times its
    observation error (log-normal with the figure's relative sd, the error model's),
    so a check of coverage compares like with like."""
    rng = np.random.default_rng(seed)
    return pooled * np.exp(problem.obs_sd * rng.standard_normal(pooled.shape))


def coverage(problem: Problem, pooled: np.ndarray) -> list[dict[str, Any]]:
    """Each summary's observed value against the predictive p5-p95 (and p50)."""
    q = np.percentile(pooled, [5, 50, 95], axis=0)
    rows = []
    for i, t in enumerate(problem.targets):
        rows.append({
            "series": t.obs.series, "start": str(t.obs.start), "end": str(t.obs.end),
            "observed": t.obs.value, "p5": float(q[0, i]), "p50": float(q[1, i]),
            "p95": float(q[2, i]), "inside": bool(q[0, i] <= t.obs.value <= q[2, i]),
            "rel_error": float(q[1, i] / t.obs.value - 1.0),
            "confidence": t.obs.confidence_class, "source": t.obs.source,
        })  # fmt: skip
    return rows


def data_version(name: str = "trajectory-2025.csv") -> str:
    """sha256 of the package's copy of the record the fit used."""
    text = resources.files("atlarge.data").joinpath(name).read_bytes()
    return hashlib.sha256(text).hexdigest()[:16]

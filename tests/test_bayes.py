"""The Bayesian calibration recovers known parameters from a synthetic record, and its
pieces (priors, synthetic likelihood, diagnostics) behave as stated (issue 16)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from atlarge.analysis.bayes import (
    FitParameter,
    Problem,
    coverage,
    fit,
    predictive,
    split_rhat,
    summaries,
)
from atlarge.analysis.trajectory import Observation
from atlarge.scenario import load_scenario
from tests.conftest import ROOT

SMALL = ROOT / "tests/scenarios/small-open.toml"


def _posture(base, value):
    return {
        f"groups.{k}.arrests_per_agent_day": g.arrests_per_agent_day.value * value
        for k, g in base.groups.items()
    }


def _los(base, value):
    return {
        f"dispositions.{k}.mean_days": max(d.mean_days.value * value, float(d.phases))
        for k, d in base.dispositions.items()
    }


PARAMS = (
    FitParameter("posture", 0.5, 2.0, "log", _posture, "test: arrest yields"),
    FitParameter("los_scale", 0.6, 1.6, "log", _los, "test: stays"),
)


def _obs(series: str, kind: str, start: date, end: date, value: float) -> Observation:
    return Observation(
        series=series, start=start, end=end, value=value, unit="x", kind=kind, use="fit",
        source="synthetic", confidence="High", confidence_class="high",
        published_as=str(value), note="", dates_approx=False,
    )  # fmt: skip


def synthetic_problem(truth: dict[str, float], reps: int = 4) -> Problem:
    """A record made by the model itself at ``truth`` (the mean of 40 replications)."""
    base = load_scenario(SMALL, set={"days": 120})
    start = base.start_date
    shells = []
    for m in range(4):  # four 30-day "months" of arrests per day, detention at each end
        a, b = start + timedelta(days=30 * m), start + timedelta(days=30 * m + 29)
        shells += [_obs("arrests_per_day", "mean_per_day", a, b, 1.0),
                   _obs("detained", "snapshot", b, b, 1.0)]  # fmt: skip
    shells.append(_obs("removals", "total", start, start + timedelta(days=119), 1.0))
    targets = tuple(summaries(shells, start, base.days))
    assert len(targets) == 9
    problem = Problem(base, PARAMS, targets, reps=40, seed=99)
    theta = np.array([np.log(truth["posture"]), np.log(truth["los_scale"])])
    record = problem.simulated(theta[None])[0].mean(axis=0)
    observed = tuple(_with_value(t, float(v)) for t, v in zip(targets, record, strict=True))
    return Problem(base, PARAMS, observed, reps=reps, seed=7)


def _with_value(t, value):
    from dataclasses import replace

    return replace(t, obs=t.obs.model_copy(update={"value": value}))


def test_summaries_keep_only_what_the_run_covers():
    start = date(2025, 1, 20)
    inside = _obs("detained", "snapshot", date(2025, 2, 1), date(2025, 2, 1), 5.0)
    before = _obs("book_ins_ice", "total", date(2025, 1, 1), date(2025, 1, 31), 5.0)
    after = _obs("detained", "snapshot", date(2025, 9, 1), date(2025, 9, 1), 5.0)
    other = _obs("alos_days", "mean", date(2025, 2, 1), date(2025, 2, 28), 5.0)
    kept = summaries([inside, before, after, other], start, 100)
    assert [k.obs for k in kept] == [inside]
    assert kept[0].days == (12, 13)


def test_the_synthetic_likelihood_peaks_near_the_truth():
    problem = synthetic_problem({"posture": 1.3, "los_scale": 0.9}, reps=6)
    grid = np.log([[1.3, 0.9], [0.8, 0.9], [1.3, 1.4], [1.9, 0.7]])
    lp = problem.log_posterior(grid)
    assert np.argmax(lp) == 0
    outside = problem.log_posterior(np.log([[3.0, 1.0]]))
    assert outside[0] == -np.inf  # outside the prior: never simulated, never accepted


def test_the_same_seed_gives_the_same_log_posterior():
    problem = synthetic_problem({"posture": 1.1, "los_scale": 1.0})
    theta = np.log([[1.2, 1.1], [0.9, 0.8]])
    np.testing.assert_array_equal(problem.log_posterior(theta), problem.log_posterior(theta))


@pytest.mark.slow
@pytest.mark.parametrize("moves", ["stretch", "de"])
def test_emcee_recovers_known_parameters_within_their_credible_intervals(moves):
    truth = {"posture": 1.3, "los_scale": 0.85}
    problem = synthetic_problem(truth)
    post = fit(problem, walkers=8, steps=60, burn=30, thin=2, seed=3, moves=moves)
    summary = post.summary()
    for name, value in truth.items():
        assert summary[name]["p5"] <= value <= summary[name]["p95"], (name, summary[name])
    # and the interval is informative: narrower than the prior
    assert summary["posture"]["p95"] / summary["posture"]["p5"] < 2.0 / 0.5
    d = post.diagnostics
    assert 0.05 < d["acceptance_fraction"] < 0.95
    assert len(d["rhat"]) == 2 and all(r > 0 for r in d["rhat"])
    # posterior predictive: the record's points inside the band
    unit = np.log(post.draws[-8:])
    rows = coverage(problem, predictive(problem, unit))
    assert np.mean([r["inside"] for r in rows]) >= 0.7


def test_split_rhat_is_near_one_for_mixed_chains_and_large_for_stuck_ones():
    rng = np.random.default_rng(0)
    mixed = rng.normal(size=(400, 8, 2))
    assert np.all(np.abs(split_rhat(mixed) - 1) < 0.05)
    stuck = mixed + np.arange(8)[None, :, None] * 3.0
    assert np.all(split_rhat(stuck) > 1.5)


def test_too_few_walkers_are_refused():
    problem = synthetic_problem({"posture": 1.0, "los_scale": 1.0})
    with pytest.raises(ValueError, match="walkers"):
        fit(problem, walkers=3, steps=2, burn=0)


def test_an_unknown_move_is_refused():
    problem = synthetic_problem({"posture": 1.0, "los_scale": 1.0})
    with pytest.raises(ValueError, match="moves must be one of stretch, de"):
        fit(problem, walkers=4, steps=5, burn=0, moves="gibbs")


def test_walkers_run_as_one_batch_equal_to_one_run_each():
    from atlarge.analysis.bayes import simulate_one_by_one

    problem = synthetic_problem({"posture": 1.1, "los_scale": 1.0})
    theta = np.log([[1.2, 1.1], [0.9, 0.8], [1.5, 1.3]])
    batched = problem.simulated(theta)
    problem.simulate = simulate_one_by_one
    np.testing.assert_array_equal(batched, problem.simulated(theta))


def test_a_walker_that_never_moved_is_counted_and_its_nan_times_are_written_as_null():
    """emcee's autocorrelation of a walker that never moved is 0/0; the diagnostics say
    null (JSON has no NaN) and count the walker."""
    import json

    from atlarge.analysis.bayes import diagnostics, stuck_walkers

    rng = np.random.default_rng(0)
    chain = rng.normal(size=(40, 6, 2))
    chain[:, 3, :] = chain[0, 3, :]  # walker 3 never moves

    class Sampler:
        acceptance_fraction = np.full(6, 0.3)

        def get_chain(self, discard=0):
            return chain[discard:]

        def get_autocorr_time(self, discard=0, quiet=True, tol=0):
            return np.array([np.nan, 4.0])

    d = diagnostics(Sampler(), 0)
    assert stuck_walkers(chain) == 1 and d["stuck_walkers"] == 1
    assert d["autocorr_time"] == [None, 4.0] and d["effective_samples"][0] is None
    assert d["effective_samples"][1] == pytest.approx(40 * 6 / 4.0)
    json.dumps(d, allow_nan=False)  # valid JSON

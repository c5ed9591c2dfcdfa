"""The annual record under the Bayesian method: per-year fits, the population of years,
leave-one-year-out (atlarge.analysis.annual_bayes)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis import annual_bayes as ab
from atlarge.analysis.backtest import YEARS, YearParams, simulate_year, year_metrics
from atlarge.analysis.observed import Figure
from atlarge.scenario import load_scenario
from tests.conftest import ROOT

BASE = ROOT / "scenarios" / "baseline-2024.toml"
NAMES = tuple(p.name for p in ab.YEAR_PARAMS)


def _fit(period: str, means: dict[str, float], sd: float, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    names = tuple(means)
    unit = np.column_stack([means[k] + sd * rng.standard_normal(n) for k in names])
    return ab.YearFit(period, names, unit, {})


def test_the_population_pools_years_that_pin_a_quantity_down():
    fits = [_fit("A", {"posture": 0.0, "los_scale": 0.1}, 0.05, seed=1),
            _fit("B", {"posture": 0.4, "los_scale": -0.1}, 0.05, seed=2),
            _fit("C", {"posture": 0.2, "los_scale": 0.0}, 0.9, seed=3)]  # fmt: skip
    pop = ab.population(fits)
    # C's posture is as wide as the prior: it says nothing and is left out
    assert pop["posture"]["years"] == ["A", "B"]
    means = [f.unit[:, 0].mean() for f in fits[:2]]
    within = np.mean([f.unit[:, 0].var() for f in fits[:2]])
    assert pop["posture"]["mean"] == pytest.approx(np.mean(means))
    expected = math.sqrt(np.var(means, ddof=1) * 1.5 + within)
    assert pop["posture"]["sd"] == pytest.approx(expected)
    # no year fits the inflow: its population is the prior
    lo, hi = next(p for p in ab.YEAR_PARAMS if p.name == "border_transfers_per_day").bounds
    assert pop["border_transfers_per_day"]["mean"] == pytest.approx((lo + hi) / 2)
    assert pop["border_transfers_per_day"]["years"] == []


@settings(max_examples=30, deadline=None)
@given(
    mean=st.floats(-5, 5),
    sd=st.floats(0.0, 10.0),
    n=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
)
def test_population_draws_stay_inside_the_priors(mean, sd, n, seed):
    pop = {k: {"mean": mean, "sd": sd} for k in NAMES}
    draws = ab.draw_from_population(pop, NAMES, n, seed)
    assert draws.shape == (n, len(NAMES))
    for i, p in enumerate(ab.YEAR_PARAMS):
        lo, hi = p.bounds
        assert np.all((draws[:, i] >= lo) & (draws[:, i] <= hi))
    assert np.array_equal(draws, ab.draw_from_population(pop, NAMES, n, seed))


def test_year_metrics_take_office_or_national_series_alike():
    base = load_scenario(BASE)
    year = YEARS[2024]
    from atlarge.analysis.backtest import year_scenario
    from atlarge.model.inputs import build_inputs
    from atlarge.model.simulate import run_chunk

    s = run_chunk(build_inputs(year_scenario(base, year, YearParams())), 3, np.arange(2))
    by_office = year_metrics(s, year)
    national = year_metrics({k: v.sum(axis=1) if v.ndim == 3 else v for k, v in s.items()}, year)
    direct = simulate_year(base, year, YearParams(), 2, 3)
    for m in by_office:
        np.testing.assert_array_equal(by_office[m], national[m])
        np.testing.assert_array_equal(by_office[m], direct[m])


def _synthetic(truth: dict[str, float]):
    """A fast stand-in for the year model (figures smooth in the quantities, a little
    replication noise) and a record generated from it at ``truth``."""

    def simulate(self, thetas, reps=None):
        reps = reps or self.reps
        rng = np.random.default_rng(self.seed)
        noise = 1 + 0.002 * rng.standard_normal((reps, 4))
        out = []
        for t in np.atleast_2d(thetas):
            p = self.year_params(t)
            arrests = 120_000 * p.posture * noise[:, 0]
            admissions = arrests + 365 * p.border_transfers_per_day
            alos = 40 * p.los_scale * noise[:, 1]
            out.append({"arrests": arrests, "alos": alos,
                        "detention_adp": admissions * alos / 365 * noise[:, 2],
                        "removals": p.removal_share * admissions * noise[:, 3]})  # fmt: skip
        return out

    arrests = 120_000 * truth["posture"]
    admissions = arrests + 365 * truth["border_transfers_per_day"]
    record = {"arrests": arrests, "alos": 40 * truth["los_scale"],
              "detention_adp": admissions * 40 * truth["los_scale"] / 365,
              "removals": truth["removal_share"] * admissions}  # fmt: skip
    return simulate, record


def test_a_year_fit_recovers_known_quantities_within_their_credible_intervals(monkeypatch):
    truth = {"posture": 1.3, "removal_share": 0.7, "los_scale": 0.9,
             "border_transfers_per_day": 600.0}  # fmt: skip
    simulate, record = _synthetic(truth)
    monkeypatch.setattr(ab.YearProblem, "simulate", simulate)

    def fake_figure(metric, period):
        return Figure(metric=metric, period=period, value=record[metric], unit="", count="",
                      source="synthetic", confidence="High", published_as="")  # fmt: skip

    monkeypatch.setattr(ab, "figure", fake_figure)
    monkeypatch.setattr(type(YEARS[2022]), "border_from_book_ins", lambda self: None)
    fit = ab.fit_year(load_scenario(BASE), 2022, reps=4, seed=5, walkers=8, steps=300,
                      burn=150, start_search=5)  # fmt: skip
    for name, value in truth.items():
        p = next(q for q in ab.YEAR_PARAMS if q.name == name)
        lo, hi = np.percentile(p.from_unit(fit.column(name)), [2.5, 97.5])
        assert lo <= value <= hi, (name, lo, value, hi)


def test_rows_score_coverage_against_observation_error_and_errors_against_the_median():
    year = YEARS[2024]
    pooled = {m: np.full(200, 100.0) for m in ("arrests", "detention_adp", "alos", "removals")}
    pooled["arrests"] = np.full(200, 113_431 * 1.5)  # 50% high: outside any band
    rows = ab.figure_rows(year, pooled, "fit", {"arrests"}, seed=0)
    by = {r["metric"]: r for r in rows}
    assert by["arrests"]["rel_error"] == pytest.approx(0.5)
    assert not by["arrests"]["inside"] and by["arrests"]["in_sample"]
    assert not by["removals"]["in_sample"]
    summary = ab.summarize(rows)["fit"]["arrests"]
    assert summary["median_abs_error"] == pytest.approx(0.5)
    assert summary["coverage"] == 0.0 and summary["worst_year"] == "FY2024"
def test_the_shipped_annual_posterior_says_what_it_was_fitted_to_and_how_it_did():
    doc = json.loads(ab.default_annual_path().read_text())
    assert set(doc["years"]) == {YEARS[y].period for y in ab.FIT_YEARS}
    kinds = {r["kind"] for r in doc["rows"]}
    assert kinds == {"fit", "leave-one-year-out", "aside"}
    for period, year in doc["years"].items():
        assert year["fitted_on"], period
        assert set(year["posterior"]) <= set(NAMES)
    for kind in ("fit", "leave-one-year-out"):
        for metric, e in doc["errors"][kind].items():
            assert 0 <= e["coverage"] <= 1 and e["median_abs_error"] >= 0, (kind, metric)
    assert {p["name"] for p in doc["priors"]} == set(NAMES)


def test_the_checks_page_shows_every_year_fitted_and_left_out(cli, tmp_path):
    res = cli("checks", "--out", tmp_path / "c")
    assert res.code == 0, res.err
    page = (tmp_path / "c/checks.html").read_text()
    doc = json.loads((tmp_path / "c/posterior-annual.json").read_text())
    assert doc == json.loads(ab.default_annual_path().read_text())
    assert "The annual record" in page
    for year in ab.FIT_YEARS:
        assert page.count(f"<td>FY{year}</td>") >= 2  # its rows and its posterior
    for label in ("fitted", "left out, predicted", "kept aside, predicted"):
        assert label in page
    loo = doc["errors"]["leave-one-year-out"]["arrests"]
    assert f"{loo['median_abs_error']:.1%}" in page


@pytest.mark.parametrize("text", ["{", '{"rows": 3}'])
def test_a_bad_annual_file_is_refused_by_its_option(cli, tmp_path, text):
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    res = cli("checks", "--annual", bad, "--out", tmp_path / "c")
    assert res.code == 2 and "--annual" in res.err, res.err
    assert not (tmp_path / "c").exists()


def test_calibrate_bayes_annual_writes_what_the_fit_returns(cli, tmp_path, monkeypatch):
    """The command passes its settings through and writes the document whole (the fit
    itself, about half an hour, is stubbed; its parts are tested above)."""
    seen = {}

    def fake(base, **kw):
        seen.update(kw)
        for y in ab.FIT_YEARS:
            kw["progress"](f"FY{y} fitted")
        return json.loads(ab.default_annual_path().read_text())

    monkeypatch.setattr(ab, "run_annual_fit", fake)
    out = tmp_path / "annual.json"
    res = cli("calibrate", "--method", "bayes-annual", "--steps", "10", "--burn", "4",
              "--workers", "1", "--out", out, "--quiet")  # fmt: skip
    assert res.code == 0, res.err
    assert (seen["steps"], seen["burn"], seen["walkers"], seen["reps"]) == (10, 4, 8, 2)
    assert json.loads(out.read_text()) == json.loads(ab.default_annual_path().read_text())
    assert "left out: arrests median |error|" in res.out


@pytest.mark.parametrize(
    "args, option",
    [(["--walkers", "6"], "--walkers"), (["--steps", "10", "--burn", "8"], "--burn")],
)
def test_calibrate_bayes_annual_refuses_what_emcee_cannot_do(cli, tmp_path, args, option):
    res = cli("calibrate", "--method", "bayes-annual", *args, "--out", tmp_path / "a.json")
    assert res.code == 2 and option in res.err, res.err
    assert not (tmp_path / "a.json").exists()


def test_calibrate_bayes_annual_checks_memory_before_any_work(cli, tmp_path, monkeypatch):
    def never(*_a, **_k):
        raise AssertionError("the fit started")

    monkeypatch.setattr(ab, "run_annual_fit", never)
    res = cli("calibrate", "--method", "bayes-annual", "--reps", str(10**7), "--workers", "1",
              "--out", tmp_path / "a.json")  # fmt: skip
    assert res.code == 2 and "--reps" in res.err, res.err
    assert ab.batch_rows(2, 8, 2) == max(2 * 20 * 2, ab.CHECK_DRAWS * ab.CHECK_REPS)

"""The annual record under the Bayesian method: per-year fits, the population of years,
leave-one-year-out (atlarge.analysis.annual_bayes)."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis import annual_bayes as ab
from atlarge.analysis.backtest import (
    YEARS,
    YearParams,
    simulate_year,
    year_covariates,
    year_metrics,
)
from atlarge.analysis.observed import Figure
from atlarge.analysis.pooling import MIN_COVARIATE_SPREAD, predictive
from atlarge.scenario import load_scenario
from tests.conftest import ROOT

BASE = ROOT / "scenarios" / "baseline-2024.toml"
NAMES = tuple(p.name for p in ab.YEAR_PARAMS)


def _fit(period, means, sd, n=400, seed=0, figures=("arrests", "alos", "removals"),
         title42=0.0, broad=0.0, border=None):  # fmt: skip
    rng = np.random.default_rng(seed)
    names = tuple(means)
    unit = np.column_stack([means[k] + sd * rng.standard_normal(n) for k in names])
    covariates = {"title42_share": title42, "broad_share": broad}
    return ab.YearFit(period, names, unit, {}, tuple(figures), covariates, border)


def test_the_population_pools_the_years_that_measure_a_quantity():
    fits = [_fit("A", {"posture": 0.0, "los_scale": 0.1}, 0.05, seed=1),
            _fit("B", {"posture": 0.4, "los_scale": -0.1}, 0.05, seed=2),
            # C's posterior is as narrow, but it has no arrests or stay figure: it
            # measures neither, so it is left out of both
            _fit("C", {"posture": 2.0, "los_scale": 0.9}, 0.05, seed=3,
                 figures=("removals",))]  # fmt: skip
    pop = ab.population(fits)
    assert pop["posture"]["years"] == ["A", "B"] and pop["los_scale"]["years"] == ["A", "B"]
    means = [f.unit[:, 0].mean() for f in fits[:2]]
    within = np.mean([f.unit[:, 0].var() for f in fits[:2]])
    mean, sd = predictive(pop["posture"])
    assert mean == pytest.approx(np.mean(means))
    assert sd == pytest.approx(math.sqrt(np.var(means, ddof=1) * 1.5 + within))
    # no year measures the inflow: its population is the prior
    lo, hi = next(p for p in ab.YEAR_PARAMS if p.name == "border_transfers_per_day").bounds
    mean, sd = predictive(pop["border_transfers_per_day"])
    assert mean == pytest.approx((lo + hi) / 2) and sd == pytest.approx((hi - lo) / math.sqrt(12))
    assert pop["border_transfers_per_day"]["years"] == []


def test_published_book_ins_enter_the_inflow_as_exact_values():
    fits = [_fit("A", {"posture": 0.0}, 0.05, border=600.0),
            _fit("B", {"posture": 0.0}, 0.05, border=900.0),
            _fit("C", {"posture": 0.0, "border_transfers_per_day": 1500.0}, 30.0, seed=4,
                 figures=("arrests", "detention_adp")),
            # D has no population figure: its inflow is not measured
            _fit("D", {"posture": 0.0, "border_transfers_per_day": 100.0}, 30.0, seed=5,
                 figures=("arrests", "removals"))]  # fmt: skip
    entry = ab.population(fits)["border_transfers_per_day"]
    assert entry["years"] == ["A", "B", "C"]
    c = fits[2].column("border_transfers_per_day")
    values = [600.0, 900.0, c.mean()]
    mean, sd = predictive(entry)
    assert mean == pytest.approx(np.mean(values))
    assert sd == pytest.approx(math.sqrt(np.var(values, ddof=1) * (1 + 1 / 3) + c.var() / 3))


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.4, 0.9),
    b=st.floats(-0.5, 0.0),
    shares=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=7),
    noise=st.floats(0.0, 0.05),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_removal_share_is_a_line_in_the_years_share_under_title_42(a, b, shares, noise, seed):
    rng = np.random.default_rng(seed)
    c = np.array(shares)
    fits = [_fit(f"Y{i}", {"removal_share": a + b * x + noise * rng.standard_normal()}, 0.01,
                 n=50, seed=i, title42=x) for i, x in enumerate(c)]  # fmt: skip
    entry = ab.population(fits)["removal_share"]
    means = np.array([f.unit[:, 0].mean() for f in fits])
    within = np.mean([f.unit[:, 0].var() for f in fits])
    if np.ptp(c) < MIN_COVARIATE_SPREAD:  # nothing to fit a line to: the plain mean
        assert entry["covariate"] is None
        assert predictive(entry, 1.0)[0] == pytest.approx(means.mean())
        return
    assert entry["covariate"] == "title42_share"
    x = np.column_stack([np.ones(len(c)), c])
    coef, *_ = np.linalg.lstsq(x, means, rcond=None)
    resid = means - x @ coef
    s2 = resid @ resid / (len(c) - 2)
    for at in (0.0, 0.5, 1.0):
        x0 = np.array([1.0, at])
        lev = x0 @ np.linalg.inv(x.T @ x) @ x0
        mean, sd = predictive(entry, at)
        assert mean == pytest.approx(x0 @ coef, abs=1e-9)
        assert sd == pytest.approx(math.sqrt(s2 * (1 + lev) + within), rel=1e-6, abs=1e-12)
    if noise == 0 and np.ptp(c) >= 0.5:  # an exact line, well spread: recovered
        assert predictive(entry, 1.0)[0] == pytest.approx(a + b, abs=0.02)


def test_two_years_make_no_line():
    fits = [
        _fit("A", {"removal_share": 0.8}, 0.01, figures=("removals",)),
        _fit("B", {"removal_share": 0.4}, 0.01, figures=("removals",), title42=1.0),
    ]
    entry = ab.population(fits)["removal_share"]
    assert entry["covariate"] is None
    assert predictive(entry, 1.0)[0] == pytest.approx(0.6, abs=0.01)


@settings(max_examples=30, deadline=None)
@given(
    mean=st.floats(-5, 5),
    sd=st.floats(0.0, 10.0),
    n=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
    at=st.floats(0.0, 1.0),
)
def test_population_draws_stay_inside_the_priors(mean, sd, n, seed, at):
    pop = {k: {"coef": [mean, -mean], "xtx_inv": [[0.5, 0.0], [0.0, 0.5]], "between_var": sd**2,
               "within_var": 0.0, "covariate": "broad_share"} for k in NAMES}  # fmt: skip
    draws = ab.draw_from_population(pop, NAMES, n, seed, {"broad_share": at})
    assert draws.shape == (n, len(NAMES))
    for i, p in enumerate(ab.YEAR_PARAMS):
        lo, hi = p.bounds
        assert np.all((draws[:, i] >= lo) & (draws[:, i] <= hi))
    assert np.array_equal(draws, ab.draw_from_population(pop, NAMES, n, seed, {"broad_share": at}))


def test_each_quantity_is_read_at_its_own_covariate():
    """The posture moves with the share under a broad policy, the removal share with the
    share under Title 42: a year under one and not the other moves only its quantity."""
    fits = [
        _fit("A", {"posture": 0.0, "removal_share": 0.8}, 1e-4, broad=0.0, title42=0.0),
        _fit("B", {"posture": 0.2, "removal_share": 0.8}, 1e-4, broad=0.5, title42=0.0),
        _fit("C", {"posture": 0.4, "removal_share": 0.4}, 1e-4, broad=1.0, title42=1.0),
        _fit("D", {"posture": 0.0, "removal_share": 0.4}, 1e-4, broad=0.0, title42=1.0),
    ]
    pop = ab.population(fits)
    assert pop["posture"]["covariate"] == "broad_share"
    assert pop["removal_share"]["covariate"] == "title42_share"
    names = ("posture", "removal_share", "los_scale", "border_transfers_per_day")
    broad = ab.draw_from_population(pop, names, 200, 0, {"broad_share": 1.0, "title42_share": 0})
    t42 = ab.draw_from_population(pop, names, 200, 0, {"broad_share": 0.0, "title42_share": 1})
    assert np.median(broad[:, 0]) == pytest.approx(0.4, abs=0.01)
    assert np.median(broad[:, 1]) == pytest.approx(0.8, abs=0.01)
    assert np.median(t42[:, 0]) == pytest.approx(0.0, abs=0.01)
    assert np.median(t42[:, 1]) == pytest.approx(0.4, abs=0.01)


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
    assert seen["moves"] == "de"
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


def test_the_years_share_under_a_broad_policy_counts_its_days():
    from atlarge.analysis.backtest import broad_share

    assert broad_share(YEARS[2016]) == 0.0 and broad_share(YEARS[2024]) == 0.0
    assert broad_share(YEARS[2018]) == 1.0
    # the Kelly memorandum from 20 February 2017; the vacatur from 10 June 2022; the
    # guidelines back from 23 June 2023
    assert broad_share(YEARS[2017]) == pytest.approx(223 / 365)
    assert broad_share(YEARS[2022]) == pytest.approx(113 / 365)
    assert broad_share(YEARS[2023]) == pytest.approx(265 / 365)


def test_the_years_share_under_title_42_counts_its_days():
    from atlarge.analysis.backtest import TITLE_42, title42_share

    assert title42_share(YEARS[2022]) == 1.0
    # FY2023: 1 October 2022 to 11 May 2023 inclusive
    assert title42_share(YEARS[2023]) == pytest.approx(223 / 365)
    for fy in (2015, 2016, 2017, 2018, 2024):
        assert title42_share(YEARS[fy]) == 0.0
    # FY2020: from 21 March 2020 to the year's end (a leap year)
    assert TITLE_42.share_of(dt.date(2019, 10, 1), dt.date(2020, 10, 1)) == pytest.approx(194 / 366)


def test_the_shipped_population_is_the_one_its_stored_draws_give():
    doc = json.loads(ab.default_annual_path().read_text())
    fits = ab.fits_from_document(doc)
    assert [f.period for f in fits] == list(doc["years"])
    pop = ab.population(fits)
    for name, entry in pop.items():
        stored = doc["population"][name]
        assert stored["years"] == entry["years"], name
        assert stored["covariate"] == entry["covariate"], name
        np.testing.assert_allclose(stored["coef"], entry["coef"], rtol=1e-12)
        np.testing.assert_allclose(stored["xtx_inv"], entry["xtx_inv"], rtol=1e-12)
        assert stored["between_var"] == pytest.approx(entry["between_var"], rel=1e-12)
        assert stored["within_var"] == pytest.approx(entry["within_var"], rel=1e-12)
    assert doc["errors"] == ab.summarize(doc["rows"])
    # the Title 42 line is in the file and lowers the share
    line = doc["population"]["removal_share"]
    assert line["covariate"] == "title42_share" and line["coef"][1] < 0
    assert line["at_one"]["p50"] < line["p50"]
    # and the residual posture rises with the share of the year under a broad policy
    line = doc["population"]["posture"]
    assert line["covariate"] == "broad_share" and line["coef"][1] > 0
    assert line["at_one"]["p50"] > line["p50"]
    for period, year in doc["years"].items():
        assert year["covariates"] == year_covariates(YEARS[int(period[2:])])


def test_an_annual_document_is_recomputed_whole_from_its_own_file():
    base = load_scenario(BASE)
    shipped = json.loads(ab.default_annual_path().read_text())
    fits = ab.fits_from_document(shipped)
    small = dict(check_draws=2, check_reps=1)
    doc = json.loads(json.dumps(ab.annual_document(base, fits, shipped["settings"], **small)))
    again = ab.annual_document(base, ab.fits_from_document(doc), doc["settings"], **small)
    assert json.loads(json.dumps(again)) == doc


def test_the_population_on_its_own_scale_is_clipped_to_the_prior_and_read_at_one():
    p = next(q for q in ab.YEAR_PARAMS if q.name == "removal_share")
    lo, hi = p.bounds
    # a line from 0.8 (no Title 42) to 0.4 (a year wholly under it), very wide
    entry = {"coef": [0.8, -0.4], "xtx_inv": [[0.0, 0.0], [0.0, 0.0]], "between_var": 1.0,
             "within_var": 0.0, "covariate": "title42_share"}  # fmt: skip
    out = ab._natural("removal_share", entry)
    assert out["p50"] == pytest.approx(0.8) and out["at_one"]["p50"] == pytest.approx(0.4)
    assert out["p5"] == lo and out["p95"] == hi  # the band cut at the prior's support
    plain = ab._natural("removal_share", {**entry, "coef": [0.7], "xtx_inv": [[0.0]],
                                          "covariate": None})  # fmt: skip
    assert "at_one" not in plain


def _older(doc: dict) -> dict:
    """The shipped document as annual fits wrote it before they kept draws, what measures
    each quantity and the dated inputs."""
    old = json.loads(json.dumps(doc))
    for key in ("informed_by", "title_42", "priority_policy"):
        old.pop(key)
    for year in old["years"].values():
        for key in ("draws", "covariates", "border_from_book_ins"):
            year.pop(key)
    for entry in old["population"].values():
        for key in ("coef", "xtx_inv", "between_var", "within_var", "covariate", "at_one"):
            entry.pop(key, None)
    return old


def test_a_file_without_draws_says_it_must_be_refitted():
    old = _older(json.loads(ab.default_annual_path().read_text()))
    with pytest.raises(ValueError, match="fit the annual record again"):
        ab.fits_from_document(old)


def test_the_checks_page_reads_an_older_annual_file_without_the_new_note(cli, tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_older(json.loads(ab.default_annual_path().read_text()))))
    res = cli("checks", "--annual", old, "--out", tmp_path / "c")
    assert res.code == 0, res.err
    page = (tmp_path / "c/checks.html").read_text()
    assert "The population of years" in page and "does not move" in page
    assert "measures it ()" not in page and "A year enters a quantity only if" not in page
    res = cli("checks", "--out", tmp_path / "n")
    assert res.code == 0, res.err
    page = (tmp_path / "n/checks.html").read_text()
    assert "A year enters a quantity only if" in page and "broad from 2017-02-20" in page
    assert "share of the year under Title 42: " in page

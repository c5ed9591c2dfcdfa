"""Scenarios that carry posterior draws: written from a fit, loaded, drawn jointly."""

from __future__ import annotations

import numpy as np
import pytest

from atlarge.analysis import fit_2025
from atlarge.analysis.posterior_scenario import path_draws, posterior_scenario_toml
from atlarge.errors import ScenarioError
from atlarge.scenario import load_scenario
from atlarge.scenario.uncertainty import drawn_scenario, has_parameter_draws, ranged_parameters
from tests.conftest import SCENARIOS

IMPLEMENTED = SCENARIOS / "2025-as-implemented.toml"


def fake_doc(n: int = 30, seed: int = 0) -> dict:
    """A posterior document as a fit writes it, with made-up draws inside the priors."""
    rng = np.random.default_rng(seed)
    draws = {
        p.name: list(rng.uniform(p.low + 0.1 * (p.high - p.low), p.high * 0.9, n))
        for p in fit_2025.PARAMS
    }
    return {
        "draws": draws,
        "data": {"sha256_16": "0" * 16, "record_ends": "2025-09-30"},
        "checks": {
            "fitted": [{"series": "detained", "start": "2025-02-23", "end": "2025-02-23"}],
            "coverage": 0.9,
        },
    }


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fitted")
    base = load_scenario(IMPLEMENTED)
    text = posterior_scenario_toml(
        str(IMPLEMENTED), base, fake_doc(), fit_2025.PARAMS, posterior_file="p.json", n=20
    )
    path = folder / "2025-fitted.toml"
    path.write_text(text)
    return base, load_scenario(path)


def test_a_fitted_scenario_holds_joint_draws_and_medians(fitted):
    base, sc = fitted
    post = sc.posterior
    assert post is not None and post.n == 20
    expected = path_draws(base, fit_2025.PARAMS, fake_doc()["draws"], 20)
    assert set(post.draws) == set(expected)
    from atlarge.scenario import iter_params

    params = dict(iter_params(sc))
    for path, values in expected.items():
        np.testing.assert_allclose(post.draws[path], values)
        assert params[path].value == pytest.approx(np.percentile(values, 50))
        assert params[path].fitted  # medians are marked fitted: never drawn over a range
    assert not {r.path for r in ranged_parameters(sc)} & set(post.draws)


def test_a_parameter_draw_takes_one_whole_posterior_draw(fitted):
    _, sc = fitted
    post = sc.posterior
    rows = [post.draw(i) for i in range(post.n)]
    for k in range(5):
        drawn_sc, values = drawn_scenario(sc, seed=3, draw=k)
        taken = {p: values[p] for p in post.draws}
        assert any(all(taken[p] == pytest.approx(r[p]) for p in r) for r in rows)
        applied = drawn_sc.collateral.per_at_large_arrest.value
        assert applied == pytest.approx(taken["collateral.per_at_large_arrest"])
    assert has_parameter_draws(sc)


def test_posterior_paths_must_be_parameters_of_the_scenario(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        f'extends = "{IMPLEMENTED}"\n[posterior]\nmethod = "m"\nfitted_on = "f"\nfile = "x"\n'
        '[posterior.draws]\n"no.such.path" = [1.0, 2.0]\n'
    )
    with pytest.raises(ScenarioError, match=r"posterior\.draws\.no\.such\.path"):
        load_scenario(path)


@pytest.mark.parametrize(
    "draws, message",
    [
        ('"collateral.per_at_large_arrest" = [0.2]', "at least 2"),
        ('"collateral.per_at_large_arrest" = [0.2, 0.3]\n"custodial.detainer_share" = [0.6]',
         "same number"),
    ],
)  # fmt: skip
def test_posterior_draws_must_be_joint(tmp_path, draws, message):
    path = tmp_path / "bad.toml"
    path.write_text(
        f'extends = "{IMPLEMENTED}"\n[posterior]\nmethod = "m"\nfitted_on = "f"\nfile = "x"\n'
        f"[posterior.draws]\n{draws}\n"
    )
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


def test_the_shipped_posterior_says_how_it_was_made_and_checked():
    import json

    doc = json.loads((fit_2025.default_posterior_path()).read_text())
    for key in ("method", "error_model", "data", "settings", "priors", "posterior",
                "diagnostics", "draws", "checks"):  # fmt: skip
        assert key in doc, key
    from atlarge.analysis.bayes import data_version

    assert doc["data"]["sha256_16"] == data_version()  # fitted to the record shipped
    assert [p["name"] for p in doc["priors"]] == [p.name for p in fit_2025.PARAMS]
    for p in fit_2025.PARAMS:
        draws = np.array(doc["draws"][p.name])
        assert ((draws >= p.low) & (draws <= p.high)).all()  # inside the prior
    rows = doc["checks"]["fitted"]
    assert doc["checks"]["coverage"] == pytest.approx(np.mean([r["inside"] for r in rows]))
    assert {"rhat", "autocorr_time", "acceptance_fraction"} <= set(doc["diagnostics"])


def test_the_shipped_fitted_scenario_carries_the_shipped_posterior():
    import json

    doc = json.loads((fit_2025.default_posterior_path()).read_text())
    sc = load_scenario(SCENARIOS / "2025-fitted.toml")
    assert sc.posterior is not None and sc.posterior.file.endswith("posterior-2025.json")
    expected = path_draws(fit_2025.base_scenario(), fit_2025.PARAMS, doc["draws"], sc.posterior.n)
    for path, values in expected.items():
        np.testing.assert_allclose(sc.posterior.draws[path], values)


def test_the_checks_page_shows_every_fitted_figure_and_the_coverage(cli, tmp_path):
    import json

    res = cli("checks", "--out", tmp_path / "c")
    assert res.code == 0, res.err
    page = (tmp_path / "c/checks.html").read_text()
    doc = json.loads((tmp_path / "c/posterior.json").read_text())
    assert f"{doc['checks']['coverage']:.0%}" in page
    assert page.count("<tr><td>") >= len(doc["checks"]["fitted"])
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = cli("checks", "--posterior", bad, "--out", tmp_path / "d")
    assert res.code == 2 and "--posterior" in res.err
    assert not (tmp_path / "d").exists()


def test_a_changed_posterior_path_is_held_not_drawn_over(fitted, tmp_path):
    """--set (or a file extending the fitted one) on a posterior path: the draws, all
    conditional on each other, no longer describe the scenario, so the value set is run."""
    from atlarge.scenario.uncertainty import posterior_applies

    _, sc = fitted
    assert posterior_applies(sc)
    changed = sc.with_values({"custodial.detainer_share": 0.5}, "test")
    assert not posterior_applies(changed)
    for k in range(3):
        drawn, values = drawn_scenario(changed, seed=1, draw=k)
        assert drawn.custodial.detainer_share.value == 0.5
        assert "custodial.detainer_share" not in values


def test_posterior_draws_hold_every_other_parameter_as_fitted(fitted):
    _, sc = fitted
    drawn, values = drawn_scenario(sc, seed=2, draw=0)
    assert set(values) == set(sc.posterior.draws)  # nothing else is drawn
    assert drawn.workforce.ero.headcount.value == sc.workforce.ero.headcount.value


def test_a_carried_posterior_also_draws_the_scenarios_other_assumptions(tmp_path):
    """Operation At Large with the 2025 fit: the posterior's joint draw, and every other
    ranged parameter drawn over its range (the fit never conditioned on them); a fitted
    scenario's own posterior holds them at their values."""
    oal = SCENARIOS / "operation-at-large.toml"
    base = load_scenario(oal)
    for carried in (True, False):
        text = posterior_scenario_toml(str(oal), base, fake_doc(), fit_2025.PARAMS,
                                       posterior_file="p.json", n=20, carried=carried)  # fmt: skip
        path = tmp_path / f"carried-{carried}.toml"
        path.write_text(text)
        sc = load_scenario(path)
        assert sc.posterior.others == ("drawn" if carried else "held")
        others = {r.path for r in ranged_parameters(sc)} - set(sc.posterior.draws)
        assert others  # the operation's regime, Guard and costs stay ranged
        _, values = drawn_scenario(sc, seed=4, draw=2)
        assert set(sc.posterior.draws) <= set(values)
        assert (others <= set(values)) == carried
        assert not (others & set(values)) or carried
        assert ("ASSUMPTION" in sc.description) == carried


def test_others_must_be_held_or_drawn(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        f'extends = "{IMPLEMENTED}"\n[posterior]\nmethod = "m"\nfitted_on = "f"\nfile = "x"\n'
        'others = "sometimes"\n[posterior.draws]\n"collateral.per_at_large_arrest" = [0.2, 0.3]\n'
    )
    with pytest.raises(ScenarioError, match=r"posterior\.others"):
        load_scenario(path)


def test_the_shipped_operation_with_the_2025_fit_is_the_shipped_posterior_carried_over():
    """scenarios/operation-at-large-fitted.toml is what `atlarge calibrate --method bayes`
    writes from the shipped posterior (comment lines aside, which carry the version)."""
    import json
    import os

    doc = json.loads(fit_2025.default_posterior_path().read_text())
    path = fit_2025.carried_path(SCENARIOS / "operation-at-large.toml")
    text = posterior_scenario_toml(
        "operation-at-large.toml", load_scenario(SCENARIOS / "operation-at-large.toml"), doc,
        fit_2025.PARAMS, carried=True,
        posterior_file=os.path.relpath(fit_2025.default_posterior_path(), path.parent),
    )  # fmt: skip

    def body(t: str) -> list[str]:
        return [line for line in t.splitlines() if not line.startswith("#")]

    assert body(path.read_text()) == body(text)
    sc = load_scenario(path)
    assert sc.posterior.others == "drawn"
    assert has_parameter_draws(sc)


def test_calibrate_bayes_passes_its_chain_and_moves_to_the_fit(cli, tmp_path, monkeypatch):
    """The command's defaults (32 walkers x 600 steps, 300 burn-in, DE moves) reach the
    fit, and what it returns is written whole (the fit itself, about 25 minutes, is
    stubbed)."""
    import json

    seen = {}
    shipped = json.loads(fit_2025.default_posterior_path().read_text())

    def fake(**kw):
        seen.update(kw)
        return shipped

    monkeypatch.setattr(fit_2025, "run_fit", fake)
    out, sc = tmp_path / "p.json", tmp_path / "fitted.toml"
    res = cli("calibrate", "--method", "bayes", "--out", out, "--scenario-out", sc, "--quiet")
    assert res.code == 0, res.err
    assert (seen["walkers"], seen["steps"], seen["burn"], seen["moves"]) == (32, 600, 300, "de")
    assert json.loads(out.read_text()) == shipped
    assert load_scenario(sc).posterior is not None
    res = cli("calibrate", "--method", "bayes", "--moves", "stretch", "--steps", "300",
              "--out", out, "--scenario-out", sc, "--quiet")  # fmt: skip
    assert res.code == 0 and seen["moves"] == "stretch", res.err
    assert (seen["steps"], seen["burn"]) == (300, 150)  # burn-in: half the steps given


@pytest.mark.parametrize("method", ["bayes", "bayes-annual"])
def test_an_unknown_move_is_refused_before_any_work(cli, tmp_path, monkeypatch, method):
    from atlarge.analysis import annual_bayes

    def never(*_a, **_k):
        raise AssertionError("the fit started")

    monkeypatch.setattr(fit_2025, "run_fit", never)
    monkeypatch.setattr(annual_bayes, "run_annual_fit", never)
    res = cli("calibrate", "--method", method, "--moves", "gibbs", "--out", tmp_path / "p.json")
    assert res.code == 2 and "--moves" in res.err and "stretch or de" in res.err, res.err
    assert not (tmp_path / "p.json").exists()


def test_moves_are_refused_where_nothing_samples(cli, tmp_path):
    res = cli("calibrate", "--moves", "de", "--out", tmp_path / "c.json")
    assert res.code == 2 and "--moves" in res.err and "bayes" in res.err, res.err
    assert not (tmp_path / "c.json").exists()

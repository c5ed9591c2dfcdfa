"""``atlarge compare``: two run folders side by side, B - A banded paired (common random
numbers) or unpaired (resampled independent pairs), and the per-replication KPI file
the runs write for it."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis.compare import (
    RESAMPLED_PAIRS,
    compare_runs,
    difference_band,
    differences,
    pairing,
)
from atlarge.runs.run_folder import read_run
from atlarge.simulation import simulate
from tests.conftest import ROOT

SMALL = ROOT / "tests" / "scenarios" / "small-open.toml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three small runs: A; B (fewer beds) with A's seed and replications; C with
    another seed and more replications."""
    from atlarge.scenario import load_scenario

    base = tmp_path_factory.mktemp("runs")
    folders = {}
    plans = {
        "a": ({}, 1, 4),
        "b": ({"detention.beds": 3000, "workforce.ero.headcount": 2500}, 1, 4),
        "c": ({"detention.beds": 3000}, 2, 5),
    }
    for name, (sets, seed, reps) in plans.items():
        sc = load_scenario(SMALL, set={"days": 20, **sets})
        folders[name] = simulate(sc, reps=reps, seed=seed).report(base / name)
    return folders


def test_a_run_folder_holds_each_kpi_per_replication(runs):
    table = pq.read_table(runs["a"] / "replications.parquet").to_pandas()
    summary = json.loads((runs["a"] / "summary.json").read_text())
    assert list(table["rep"]) == [0, 1, 2, 3] and set(table["draw"]) == {-1}
    assert [c for c in table.columns if c not in ("rep", "draw")] == list(summary["kpis"])
    for key, s in summary["kpis"].items():
        if s["mean"] is not None:
            assert table[key].mean() == pytest.approx(s["mean"], rel=1e-12), key
            assert np.percentile(table[key], 5) == pytest.approx(s["p5"], rel=1e-12), key


def test_same_seed_and_replications_are_paired_and_banded_per_replication(runs):
    a, b = read_run(runs["a"], "run_a"), read_run(runs["b"], "run_b")
    doc = compare_runs(a, b)
    assert doc["pairing"] == "paired" and doc["pairing_note"].startswith("paired")
    for key, k in doc["kpis"].items():
        d = b.per_rep[key] - a.per_rep[key]
        d = d[~np.isnan(d)]
        if not len(d):
            assert k["b_minus_a"]["p50"] is None
            continue
        for q in (5, 50, 95):
            assert k["b_minus_a"][f"p{q}"] == pytest.approx(np.percentile(d, q)), key
    arrests = doc["kpis"]["arrests_total"]["b_minus_a"]
    assert arrests["p5"] <= arrests["p50"] <= arrests["p95"]


def test_another_seed_is_unpaired_over_resampled_pairs(runs):
    a, c = read_run(runs["a"], "run_a"), read_run(runs["c"], "run_b")
    doc = compare_runs(a, c)
    assert doc["pairing"] == "unpaired"
    assert "seeds differ" in doc["pairing_note"] and "replications differ" in doc["pairing_note"]
    d = differences(a.per_rep["arrests_total"], c.per_rep["arrests_total"], "unpaired")
    assert len(d) == RESAMPLED_PAIRS
    band = doc["kpis"]["arrests_total"]["b_minus_a"]
    assert band["p5"] == pytest.approx(np.percentile(d, 5))
    # each resampled difference is one of C's values minus one of A's
    possible = {cv - av for av in a.per_rep["arrests_total"] for cv in c.per_rep["arrests_total"]}
    assert set(d.tolist()) <= possible
    assert compare_runs(a, c) == doc  # a fixed resampling seed: the same file every time


@settings(max_examples=60, deadline=None)
@given(
    seeds=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    reps=st.tuples(st.integers(1, 3), st.integers(1, 3)),
)
def test_paired_exactly_when_seed_and_replications_agree(seeds, reps):
    def summary(i):
        return {"seed": seeds[i], "reps": reps[i], "uncertainty": {"kind": "stochastic"}}

    how, _ = pairing(summary(0), summary(1))
    assert (how == "paired") == (seeds[0] == seeds[1] and reps[0] == reps[1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_a_paired_band_is_the_percentiles_of_the_differences(pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    band = difference_band(a, b, "paired")
    for q in (5, 50, 95):
        assert band[f"p{q}"] == pytest.approx(np.percentile(b - a, q), abs=1e-6)
    assert band["mean"] == pytest.approx(b.mean() - a.mean(), abs=1e-6)
    assert band["pairs_defined"] == 1.0


def test_an_undefined_value_leaves_its_pair_out():
    a = np.array([10.0, np.nan, 30.0, 40.0])
    b = np.array([12.0, 20.0, np.nan, 44.0])
    band = difference_band(a, b, "paired")
    assert band["pairs_defined"] == 0.5
    assert band["p50"] == pytest.approx(np.percentile([2.0, 4.0], 50))


def test_cli_compare_writes_the_page_and_the_document(cli, runs, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "cmp"
    res = cli("compare", runs["a"], runs["b"], "--out", out)
    assert res.code == 0, res.err
    assert "paired" in res.out and "B − A" in res.out
    doc = json.loads((out / "compare.json").read_text())
    assert doc["pairing"] == "paired" and set(doc["series"]) >= {"arrests", "detained"}
    assert len(doc["series"]["arrests"]["a"]["p50"]) == 20
    html = (out / "compare.html").read_text()
    assert "How B − A is banded: paired" in html and "data-kpi=arrests_total" in html
    assert html.count('class="plotly-graph-div"') == len(doc["series"])
    unpaired = cli("compare", runs["a"], runs["c"], "--out", tmp_path / "cmp2")
    assert unpaired.code == 0 and "unpaired" in unpaired.out


def test_cli_compare_refuses_what_is_not_a_run_folder(cli, runs, tmp_path):
    missing = cli("compare", tmp_path / "nothing", runs["b"], "--out", tmp_path / "o")
    assert missing.code == 2 and "RUN_A" in missing.err and "does not exist" in missing.err
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text((runs["a"] / "summary.json").read_text())
    res = cli("compare", runs["a"], old, "--out", tmp_path / "o")
    assert res.code == 2 and "RUN_B" in res.err and "replications.parquet" in res.err
    notjson = tmp_path / "notjson"
    notjson.mkdir()
    (notjson / "summary.json").write_text("{")
    res = cli("compare", notjson, runs["a"], "--out", tmp_path / "o")
    assert res.code == 2 and "RUN_A" in res.err and "not JSON" in res.err
    assert not (tmp_path / "o").exists()


def test_cli_compare_refuses_other_horizons_unless_allowed(cli, runs, tmp_path):
    from atlarge.scenario import load_scenario

    longer = simulate(load_scenario(SMALL, set={"days": 25}), reps=4, seed=1)
    folder = longer.report(tmp_path / "longer")
    res = cli("compare", runs["a"], folder, "--out", tmp_path / "o")
    assert res.code == 2 and "--allow-different" in res.err and "horizon" in res.err
    res = cli("compare", runs["a"], folder, "--out", tmp_path / "o", "--allow-different")
    assert res.code == 0, res.err
    assert "A and B differ: horizon" in res.err


def test_the_overlaid_series_are_each_runs_national_bands(runs):
    a, b = read_run(runs["a"], "run_a"), read_run(runs["b"], "run_b")
    doc = compare_runs(a, b)
    for side, folder in (("a", runs["a"]), ("b", runs["b"])):
        ts = pq.read_table(folder / "timeseries.parquet").to_pandas()
        daily = ts.groupby(["rep", "day"])["detained"].sum().to_numpy().reshape(4, 20)
        band = doc["series"]["detained"][side]
        for q in (5, 50, 95):
            assert band[f"p{q}"] == pytest.approx(np.percentile(daily, q, axis=0).tolist())


DRAWN = ("detention.beds", "inflow.border_transfers_per_day", "workforce.ero.headcount")


@settings(max_examples=80, deadline=None)
@given(
    drawn=st.tuples(st.sets(st.sampled_from(DRAWN)), st.sets(st.sampled_from(DRAWN))),
    posterior=st.tuples(st.booleans(), st.booleans()),
)
def test_runs_with_draws_pair_only_when_they_drew_the_same_parameters_alike(drawn, posterior):
    """Draw k applies one generator to the ranged parameters in turn: other sets of drawn
    parameters (or a posterior on one side) give other values even to shared ones."""

    def summary(i):
        note = {
            "kind": "stochastic and parameter",
            "draws": 2,
            "replications_by_draw": [2, 2],
            "drawn_parameters": sorted(drawn[i]),
            "posterior": posterior[i],
        }
        return {"seed": 1, "reps": 4, "uncertainty": note}

    how, why = pairing(summary(0), summary(1))
    assert (how == "paired") == (drawn[0] == drawn[1] and posterior[0] == posterior[1])
    if drawn[0] != drawn[1]:
        assert "different parameters" in why
    if posterior[0] != posterior[1]:
        assert "posterior" in why
    old = summary(0)
    del old["uncertainty"]["drawn_parameters"]  # a summary that does not say what it drew
    how, why = pairing(old, summary(0))
    assert how == "unpaired" and "does not list the parameters" in why


def test_pairing_says_paired_only_where_the_draws_gave_the_same_values():
    """small-courts ranges over fewer parameters than small-open: their draw k differs even
    in the parameters both draw, so a comparison of the two is unpaired; a change of a
    value that keeps the drawn parameters keeps every drawn value, and stays paired."""
    from atlarge.scenario import load_scenario
    from atlarge.scenario.uncertainty import drawn_scenario

    courts = ROOT / "tests" / "scenarios" / "small-courts.toml"
    scenarios = {
        "open": load_scenario(SMALL, set={"days": 3}),
        "courts": load_scenario(courts, set={"days": 3}),
        "open_more_agents": load_scenario(SMALL, set={"days": 3, "workforce.ero.headcount": 1600}),
    }
    summaries = {
        k: simulate(sc, reps=2, seed=3, uncertainty_inner=1, timeseries="none").summary()
        for k, sc in scenarios.items()
    }
    for other in ("courts", "open_more_agents"):
        how, why = pairing(summaries["open"], summaries[other])
        same = True
        for draw in (0, 1):
            _, va = drawn_scenario(scenarios["open"], 3, draw)
            _, vb = drawn_scenario(scenarios[other], 3, draw)
            same &= all(va[p] == vb[p] for p in set(va) & set(vb)) and set(va) == set(vb)
        assert (how == "paired") == same, (other, why)
    assert pairing(summaries["open"], summaries["courts"])[0] == "unpaired"
    assert pairing(summaries["open"], summaries["open_more_agents"])[0] == "paired"


@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_cli_compare_refuses_an_out_folder_on_a_run_folder(cli, runs, tmp_path, where):
    """Every file of a run folder is in its manifest, so the out folder check alone would
    let --out A replace run A: the run folders themselves are refused as OUT."""
    import shutil

    a = tmp_path / "a"
    shutil.copytree(runs["a"], a)
    before = {p.name: p.read_bytes() for p in a.iterdir()}
    out = {"same": a, "inside": a / "cmp", "holds": tmp_path}[where]
    for args in ((a, runs["b"]), (runs["b"], a)):
        res = cli("compare", *args, "--out", out)
        assert res.code == 2, res.err
        assert "--out" in res.err and ("RUN_A" if args[0] == a else "RUN_B") in res.err
        assert {p.name: p.read_bytes() for p in a.iterdir()} == before  # untouched
    same_name = cli("compare", runs["a"], runs["b"], "--out", tmp_path / "elsewhere")
    assert same_name.code == 0, same_name.err


@pytest.mark.parametrize("word", ["[/x]", "[sic]", "[bold]"])
def test_cli_compare_prints_brackets_in_scenario_names_as_written(
    cli, runs, tmp_path, monkeypatch, word
):
    from atlarge.scenario import load_scenario

    monkeypatch.setenv("COLUMNS", "300")
    sc = load_scenario(SMALL, set={"days": 20, "name": f"Beds {word} cut"})
    b = simulate(sc, reps=4, seed=1).report(tmp_path / "b")
    out = tmp_path / "cmp"
    res = cli("compare", runs["a"], b, "--out", out)
    assert res.code == 0, res.err
    assert f"Beds {word} cut" in res.out and "Wrote" in res.out
    assert json.loads((out / "compare.json").read_text())["b"]["scenario"] == f"Beds {word} cut"


BROKEN = {
    "a KPI's statistics are null": lambda s: s["kpis"].update(arrests_total=None),
    "a KPI statistic is text": lambda s: s["kpis"]["arrests_total"].update(p50="many"),
    "kpis is a list": lambda s: s.update(kpis=[]),
    "scenario lacks its name": lambda s: s["scenario"].pop("name"),
    "scenario is text": lambda s: s.update(scenario="x"),
    "uncertainty is a number": lambda s: s.update(uncertainty=3),
    "drawn parameters are not a list": lambda s: s["uncertainty"].update(drawn_parameters=7),
    "seed is text": lambda s: s.update(seed="one"),
    "days is null": lambda s: s.update(days=None),
}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_cli_compare_names_the_run_whose_summary_is_malformed(cli, runs, tmp_path, problem):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(runs["b"], bad)
    summary = json.loads((bad / "summary.json").read_text())
    BROKEN[problem](summary)
    (bad / "summary.json").write_text(json.dumps(summary))
    for args, name in (((runs["a"], bad), "RUN_B"), ((bad, runs["a"]), "RUN_A")):
        res = cli("compare", *args, "--out", tmp_path / "o")
        assert res.code == 2, (problem, res.err)
        assert name in res.err and "summary.json" in res.err, res.err
        assert "internal error" not in res.err
    assert not (tmp_path / "o").exists()


def test_cli_compare_shows_its_table_before_it_writes(cli, runs, tmp_path, monkeypatch):
    """The terminal table is rendered before the files are written: a failure to show it
    leaves no folder behind that the error message would say was not written."""
    import atlarge.report.compare as view

    def broken(doc):
        raise RuntimeError("cannot show")

    monkeypatch.setattr(view, "compare_table", broken)
    out = tmp_path / "cmp"
    res = cli("compare", runs["a"], runs["b"], "--out", out)
    assert res.code == 1 and "cannot show" in res.err
    assert not out.exists()

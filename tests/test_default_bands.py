"""Runs show parameter uncertainty by default and say which band they show (issue 16)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from atlarge.scenario.uncertainty import DRAWS_PER_RUN, default_inner
from tests.conftest import OPERATION


@given(st.integers(0, 20000) | st.integers(2**40, 2**62))
def test_default_inner_gives_whole_draws_about_twenty_of_them(reps):
    inner = default_inner(reps)
    if reps < 2:
        assert inner is None
        return
    if reps <= 40:
        assert inner == 1
        return
    fits = [reps // n for n in range(10, 41) if reps % n == 0]  # draws n: 10-40, whole
    if not fits:
        assert inner is None  # e.g. a prime: refused rather than thousands of draws
        return
    assert reps % inner == 0 and 10 <= reps // inner <= 40  # whole draws, 10-40 of them
    assert abs(reps // inner - DRAWS_PER_RUN) == min(abs(reps // d - DRAWS_PER_RUN) for d in fits)


def test_a_prime_number_of_replications_is_refused_with_a_suggestion(cli, tmp_path):
    res = cli("run", OPERATION, "--reps", "9973", "--out", tmp_path / "p")
    assert res.code == 2
    assert "--reps 9980" in res.err and "--fixed" in res.err
    assert default_inner(9980) == 499  # the suggestion works: 20 draws
    assert not (tmp_path / "p").exists()


def _small_run(cli, out, *extra):
    """Four replications of 20 days; the result and summary.json's ``uncertainty``."""
    res = cli("run", OPERATION, "--reps", "4", "--days", "20", "--out", out,
              "--quiet", "--workers", "1", *extra)  # fmt: skip
    assert res.code == 0, res.err
    return res, json.loads((out / "summary.json").read_text())["uncertainty"]


def test_a_run_draws_parameters_by_default_and_says_so(cli, tmp_path):
    res, u = _small_run(cli, tmp_path / "a")
    assert u["kind"] == "stochastic and parameter"
    assert u["draws"] == 4 and u["replications_per_draw"] == 1
    assert "parameter uncertainty and chance" in res.out


def test_fixed_gives_chance_alone_and_says_so(cli, tmp_path):
    res, u = _small_run(cli, tmp_path / "f", "--fixed")
    assert u["kind"] == "stochastic" and u["draws"] == 0
    assert "chance variation only" in res.out
    assert "parameter uncertainty and chance" not in (tmp_path / "f/report.html").read_text()


def test_fixed_with_inner_is_refused(cli, tmp_path):
    res = cli("run", OPERATION, "--reps", "4", "--fixed", "--inner", "2", "--out",
              tmp_path / "x")  # fmt: skip
    assert res.code == 2
    assert "--fixed" in res.err
    assert not (tmp_path / "x").exists()


def test_one_replication_runs_fixed(cli, tmp_path):
    res = cli("run", OPERATION, "--reps", "1", "--days", "10", "--out", tmp_path / "o",
              "--quiet", "--workers", "1")  # fmt: skip
    assert res.code == 0, res.err
    u = json.loads((tmp_path / "o/summary.json").read_text())["uncertainty"]
    assert u["kind"] == "stochastic"

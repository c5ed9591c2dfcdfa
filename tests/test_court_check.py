"""The court check: the record file, the check on the 2025 scenario, known answers."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis.court_check import (
    COURT_SCENARIO,
    SPECS,
    CourtFigure,
    CourtSeries,
    compare,
    court_section,
    load_court_record,
    pace,
    run_court_check,
    scenario_inputs,
)
from atlarge.scenario import load_scenario
from tests.conftest import BASELINE, ROOT

IMPLEMENTED = ROOT / COURT_SCENARIO
COMPARISON_KEYS = {
    "figure", "label", "measure", "record", "published_as", "source", "confidence",
    "sim_p5", "sim_p50", "sim_p95", "rel_error", "sample", "why",
}  # fmt: skip


@pytest.fixture(scope="module")
def implemented():
    return load_scenario(IMPLEMENTED)


@pytest.fixture(scope="module")
def check(implemented):
    return run_court_check(implemented, reps=2, seed=3)


# ---------------------------------------------------------------- the record file


def test_every_record_figure_parses_with_a_source_and_a_confidence():
    record = load_court_record()
    assert {s.figure for s in SPECS} <= set(record)
    for key, f in record.items():
        assert f.figure == key and f.value > 0
        assert f.source.strip() and f.confidence.strip() and f.published_as.strip()
        assert f.from_ <= f.to
        if f.metric == "pending_cases":
            assert f.from_ == f.to  # a stock is a count on one day


def test_the_record_is_the_shared_sheet():
    record = load_court_record()
    assert record["pending_fy2024_trac"].value == 3_716_106
    assert record["pending_aug2025"].value == 3_400_000
    assert record["completions_fy2024"].value == 911_289
    assert record["completions_minus_receipts_fy2025_9m"].days == 273  # Oct 2024 - Jun 2025
    assert record["receipts_fy2025"].days == 365


def test_the_scenario_takes_what_the_check_calls_inputs_from_the_record(implemented):
    """The labels stay true: if the scenario's court inputs stop being the record's
    figures, the page would call an input what is no longer one."""
    record = load_court_record()
    c = implemented.courts
    assert c.initial_backlog.value == record["pending_fy2024_trac"].value
    assert c.receipts_per_day.value == pytest.approx(record["receipts_fy2025"].per_day, abs=1)
    judges = record["completions_fy2024"].per_day / c.completions_per_judge_day.value
    assert 649 <= judges <= 734  # the bench between the record's two counts
    rows = scenario_inputs(implemented, record)
    assert {r["parameter"] for r in rows} == {
        "courts.initial_backlog",
        "courts.completions_per_judge_day",
        "courts.receipts_per_day",
    }


# ---------------------------------------------------------------- the check, few reps


def test_the_check_reports_every_figure_and_serialises(check):
    doc = json.loads(json.dumps(check.as_dict()))
    assert doc["reps"] == 2 and doc["start"] == "2025-01-20"
    assert doc["days"] == (dt.date(2025, 9, 30) - dt.date(2025, 1, 20)).days + 1
    assert [r["figure"] for r in doc["rows"]] == [s.figure for s in SPECS]
    for r in doc["rows"]:
        assert set(r) == COMPARISON_KEYS
        assert r["sim_p5"] <= r["sim_p50"] <= r["sim_p95"]
        assert r["rel_error"] == pytest.approx(r["sim_p50"] / r["record"] - 1)
        assert r["source"] and r["why"]
    samples = {r["figure"]: r["sample"] for r in doc["rows"]}
    assert samples["receipts_fy2025"] == "input"
    assert samples["pending_aug2025"] == "out of sample"
    assert set(doc["pace"]) >= {"record_per_day", "sim_per_day_p50"}
    assert doc["pace"]["record_per_day"] == pytest.approx(140_000 / 273)


def test_completions_are_the_bench_times_the_rate_every_day(check, implemented):
    """Known answer: the backlog never runs out, so each day the judges complete exactly
    floor(judges x rate) cases, whatever the draws."""
    c = implemented.courts
    rate = c.completions_per_judge_day.value
    days = [dt.date(2025, 1, 20) + dt.timedelta(days=i) for i in range(check.days)]
    expected = np.mean([math.floor(c.judges.at(d) * rate + 1e-9) for d in days])
    row = next(r for r in check.rows if r.figure == "completions_fy2025")
    assert row.sim_p5 == row.sim_p95 == pytest.approx(expected)
    assert expected == pytest.approx(2528.7, abs=0.1)  # 734, then 714, then 697 judges


def test_a_scenario_without_courts_is_refused():
    with pytest.raises(ValueError, match="no \\[courts\\]"):
        run_court_check(load_scenario(BASELINE), reps=1)


def test_a_missing_scenario_file_is_said_not_run(tmp_path):
    section = court_section(tmp_path / "none.toml", reps=1)
    assert set(section) == {"skipped"} and "none.toml" in section["skipped"]


# ---------------------------------------------------------------- synthetic series

START = dt.date(2025, 1, 1)


def _figure(key: str, metric: str, start: dt.date, end: dt.date, value: float) -> CourtFigure:
    return CourtFigure.model_validate(
        {
            "figure": key, "metric": metric, "period": "test", "from": start, "to": end,
            "value": value, "unit": "cases", "count": "test", "source": "synthetic",
            "confidence": "High", "published_as": str(value),
        }
    )  # fmt: skip


def _series(receipts, nd_completions, entries, decisions, backlog0: float) -> CourtSeries:
    """Stocks built from flows as the engine keeps them: P(t) = P(t-1) + receipts -
    completions; W(t) = W(t-1) + entries - decisions, W(-1) = 0."""
    backlog = backlog0 + np.cumsum(receipts - nd_completions, axis=1)
    waiting = np.cumsum(entries - decisions, axis=1)
    zeros = np.zeros_like(receipts)
    return CourtSeries(
        start=START,
        backlog0=backlog0,
        backlog=backlog,
        waiting=waiting,
        completions=nd_completions + decisions,
        detained_decisions=decisions,
        receipts=receipts,
        in_absentia=zeros + 3.0,
    )


def _constant_series(reps: int = 3, days: int = 40) -> CourtSeries:
    """Each day: 5 receipts, 15 non-detained completions, 2 detained entries and 2
    decisions (the docket holds nothing at the end of a day)."""
    shape = (reps, days)
    return _series(
        np.full(shape, 5.0), np.full(shape, 15.0), np.full(shape, 2.0), np.full(shape, 2.0), 1000
    )


def test_known_backlog_pace_and_receipts_on_a_synthetic_run():
    s = _constant_series()
    record = {
        "pending_aug2025": _figure("pending_aug2025", "pending_cases", START, START, 900),
        # a window starting 20 days before the run: 10 days of it are run days 0..9
        "completions_minus_receipts_fy2025_9m": _figure(
            "completions_minus_receipts_fy2025_9m", "x", START - dt.timedelta(20),
            START + dt.timedelta(9), 300,
        ),
        "completions_fy2025": _figure(
            "completions_fy2025", "x", START + dt.timedelta(10), START + dt.timedelta(19), 170
        ),
        "in_absentia_fy2025_9m": _figure("in_absentia_fy2025_9m", "x", START, START, 3),
        "receipts_fy2025": _figure("receipts_fy2025", "x", START, START + dt.timedelta(39), 280),
    }  # fmt: skip
    rows = {r.figure: r for r in compare(s, record)}
    assert rows["pending_aug2025"].sim_p50 == 1000 - 10  # end of day 0
    assert rows["pending_aug2025"].rel_error == pytest.approx(990 / 900 - 1)
    net = rows["completions_minus_receipts_fy2025_9m"]
    assert net.record == pytest.approx(300 / 30)  # the record's rate over its own window
    assert net.sim_p50 == pytest.approx(10)  # 17 completions - (5 + 2) receipts a day
    assert "record: " in net.measure and str(START) in net.measure
    assert rows["completions_fy2025"].sim_p50 == pytest.approx(17)
    assert rows["receipts_fy2025"].sim_p50 == pytest.approx(7)
    assert rows["in_absentia_fy2025_9m"].sim_p50 == pytest.approx(3)


def test_a_figure_outside_the_run_is_an_error_not_a_silent_zero():
    s = _constant_series(days=10)
    late = _figure("late", "pending_cases", START + dt.timedelta(10), START + dt.timedelta(10), 1)
    with pytest.raises(ValueError, match="outside the run"):
        s.window(late)


def test_pace_says_when_receipts_outrun_completions():
    shape = (4, 30)
    s = _series(np.full(shape, 20.0), np.full(shape, 15.0), np.zeros(shape), np.zeros(shape), 50)
    record = load_court_record() | {
        "completions_minus_receipts_fy2025_9m": _figure(
            "completions_minus_receipts_fy2025_9m", "x", START, START + dt.timedelta(29), 100
        )
    }
    p = pace(s, record)
    assert p["sim_per_day_p50"] == pytest.approx(-5)
    assert p["share_of_reps_completions_exceed_receipts"] == 0
    assert p["days"] == 30


flows = st.integers(min_value=0, max_value=50)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    reps=st.integers(min_value=1, max_value=3),
    days=st.integers(min_value=1, max_value=25),
)
def test_completions_less_receipts_is_the_fall_in_pending(data, reps, days):
    """Invariant: over any window, the fall in pending cases on both dockets equals the
    completions less the receipts counted flow by flow (the detained docket's entries
    included); the stock arithmetic has no off-by-one at the window's edges."""
    arr = st.lists(flows, min_size=reps * days, max_size=reps * days).map(
        lambda v: np.array(v, dtype=float).reshape(reps, days)
    )
    receipts, nd_done, entries = data.draw(arr), data.draw(arr), data.draw(arr)
    # decisions never exceed what is waiting: at most the day's entries plus the carry
    decisions = np.minimum(data.draw(arr), entries)
    s = _series(receipts, nd_done, entries, decisions, 10_000)
    i0 = data.draw(st.integers(min_value=0, max_value=days - 1))
    i1 = data.draw(st.integers(min_value=i0, max_value=days - 1))
    window = slice(i0, i1 + 1)
    got = s.all_receipts(i0, i1)
    assert np.allclose(got, receipts[:, window].sum(1) + entries[:, window].sum(1))
    done = nd_done[:, window].sum(1) + decisions[:, window].sum(1)
    assert np.allclose(s.net_completions(i0, i1), done - got)

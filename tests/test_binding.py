"""Which capacity binds (analysis/binding.py), on outputs built by hand: each capacity is
read from its own series, summed over offices, shared over replications, and said in a
sentence; judges exist only with courts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from atlarge.analysis.binding import (
    CONSTRAINTS,
    SERIES_USED,
    Binding,
    binding,
    binding_json,
    binding_of,
    binding_text,
    first_majority_day,
    full_days,
)
from atlarge.model import ModelOutput
from atlarge.model.inputs import build_inputs
from atlarge.scenario import load_scenario
from tests.conftest import BASELINE, OPERATION

DAYS = 6
REPS = 4
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def inputs():
    """Real inputs of a run with courts and of one without, over a few days."""
    return {
        "courts": build_inputs(load_scenario(OPERATION, set={"days": DAYS})),
        "none": build_inputs(load_scenario(BASELINE, set={"days": DAYS})),
    }


def _output(inp, **by_office: dict[tuple[int, int, int], int]) -> ModelOutput:
    """A run whose series are all 0 but the (rep, office, day) cells given; the detained
    population sits at 1,000, far below the beds, unless given."""
    series = {k: np.zeros((REPS, inp.n_offices, DAYS), dtype=np.int64) for k in SERIES_USED}
    series["detained"][:, 0, :] = 1000
    for key, cells in by_office.items():
        for (r, o, d), v in cells.items():
            series[key][r, o, d] = v
    return ModelOutput(inputs=inp, seed=1, reps=REPS, series=series)


def _national(shape: tuple[int, int], **over: np.ndarray) -> dict[str, np.ndarray]:
    """National ``(reps, days)`` series, all 0 but those given."""
    return {k: np.zeros(shape, dtype=np.int64) for k in SERIES_USED} | over


def test_nothing_full_binds_nothing(inputs):
    b = binding(_output(inputs["courts"]))
    assert list(b.share) == ["book_in", "beds", "judges", "seats"]
    assert all((s == 0).all() for s in b.share.values())
    assert b.first_day == dict.fromkeys(b.share) and b.first() == []
    assert binding_text(b) == "No capacity is full in most replications on any day."


def test_judges_only_with_courts(inputs):
    cells = {(r, 3, 2): 5 for r in range(REPS)}
    with_courts = binding(_output(inputs["courts"], court_detained_waiting=cells))
    assert with_courts.first_day["judges"] == 3  # day index 2 is day 3
    without = binding(_output(inputs["none"], court_detained_waiting=cells))
    assert "judges" not in without.share and "judges" not in without.first_day
    assert list(without.share) == [k for k, c in CONSTRAINTS.items() if c.needs is None]


def test_each_capacity_is_read_from_its_own_series_summed_over_offices(inputs):
    inp = inputs["courts"]
    # Book-in: three of four replications from day 2, in different offices each.
    book = {(r, r + 1, d): 1 for r in range(3) for d in range(1, DAYS)}
    # Seats: two of four on day 1 only (not most); all four on day 5.
    seats = {(0, 0, 0): 2, (1, 7, 0): 1} | {(r, r, 4): 1 for r in range(REPS)}
    b = binding(_output(inp, processing_backlog=book, removal_queue=seats))
    assert b.share["book_in"].tolist() == [0, 0.75, 0.75, 0.75, 0.75, 0.75]
    assert b.share["seats"].tolist() == [0.5, 0, 0, 0, 1, 0]
    assert (b.share["beds"] == 0).all() and (b.share["judges"] == 0).all()
    assert b.first_day == {"book_in": 2, "beds": None, "judges": None, "seats": 5}
    assert b.first() == ["book_in"]


@pytest.mark.parametrize(
    "series", ["held", "released_capacity", "arrests_forgone_capacity", "border_refused"]
)
def test_anyone_turned_away_for_lack_of_room_means_beds_are_full(inputs, series):
    cells = {(r, 5, 3): 1 for r in range(REPS)}
    b = binding(_output(inputs["courts"], **{series: cells}))
    assert b.share["beds"].tolist() == [0, 0, 0, 1, 0, 0]
    assert sum(s.sum() for k, s in b.share.items() if k != "beds") == 0


def test_beds_are_full_when_the_detained_reach_the_national_beds(inputs):
    inp = inputs["courts"]
    beds = int(inp.beds_national[0])
    # Spread over two offices: only the national sum reaches the beds; rep 3 is one short.
    out = _output(inp)
    out.series["detained"][:, 0, 2] = beds // 2
    rest = beds - beds // 2
    out.series["detained"][:, 1, 2] = [rest + 1, rest, beds, rest - 1]
    b = binding(out)
    assert b.share["beds"].tolist() == [0, 0, 0.75, 0, 0, 0]
    assert b.first_day["beds"] == 3


def test_beds_per_replication_when_beds_are_drawn():
    national = _national((2, 3), detained=np.full((2, 3), 100))
    beds = np.array([[100, 100, 100], [101, 101, 99]])  # a (reps, days) draw of beds
    full = full_days(national, beds, courts=False)
    assert full["beds"].tolist() == [[True, True, True], [False, False, True]]
    # No beds at all is not "full": an office without beds never binds on beds.
    assert not full_days(national, np.zeros(3), courts=False)["beds"].any()


@FAST
@given(arrays(np.bool_, st.tuples(st.integers(1, 9), st.integers(1, 30))))
def test_first_day_is_the_first_day_most_replications_are_full(full):
    b = binding_of({"seats": full})
    share = b.share["seats"]
    assert ((share >= 0) & (share <= 1)).all()
    assert np.allclose(share * full.shape[0], full.sum(axis=0))
    day = b.first_day["seats"]
    if day is None:
        assert (share <= 0.5).all()
    else:
        assert share[day - 1] > 0.5 and (share[: day - 1] <= 0.5).all()
    # The order of replications does not matter.
    shuffled = binding_of({"seats": full[::-1]})
    assert np.array_equal(shuffled.share["seats"], share)


def test_first_majority_day_is_strictly_more_than_half():
    assert first_majority_day(np.array([0.5, 0.5, 0.51])) == 3
    assert first_majority_day(np.array([0.5, 0.5])) is None
    assert first_majority_day(np.array([1.0])) == 1


def test_the_sentence_names_the_first_then_the_others_then_those_never_full():
    z = np.zeros(3)
    b = Binding(
        {"book_in": z, "beds": z, "judges": z, "seats": z},
        {"book_in": None, "beds": 4, "judges": 9, "seats": 4},
    )
    assert b.first() == ["beds", "seats"]
    dates = ["2025-06-01"] + [f"2025-06-{d:02d}" for d in range(2, 11)]
    assert binding_text(b, dates) == (
        "First to bind: beds and seats, full in most replications on day 4 (2025-06-04); "
        "then judges (detained docket), on day 9 (2025-06-09). "
        "Never full in most replications: book-in."
    )
    one = Binding(
        {"book_in": z, "seats": z, "beds": z}, {"book_in": 1, "seats": None, "beds": None}
    )
    assert binding_text(one) == (
        "First to bind: book-in, full in most replications on day 1. "
        "Never full in most replications: seats and beds."
    )


def test_the_json_a_client_draws_from(inputs):
    cells = {(r, 0, d): 1 for r in range(REPS) for d in range(2, DAYS)}
    doc = binding_json(_output(inputs["courts"], removal_queue=cells))
    assert [c["key"] for c in doc["constraints"]] == ["book_in", "beds", "judges", "seats"]
    seats = doc["constraints"][3]
    assert seats["label"] == "Seats" and seats["first_day"] == 3
    assert seats["share"] == [0, 0, 1, 1, 1, 1]
    assert doc["majority"] == 0.5
    assert doc["text"].startswith("First to bind: seats, full in most replications on day 3 (2025")


@pytest.mark.parametrize("name", ["small-saturating", "small-saturating-hold"])
def test_beds_bind_no_later_than_the_day_detention_is_full(name):
    """On a real run whose beds fill within days, each replication's first full-bed day is
    never after the KPI's first day detention is full (the same evidence, and more)."""
    from atlarge.analysis.kpis import kpi_values
    from atlarge.runs.replications import run_model
    from tests.conftest import ROOT

    out = run_model(load_scenario(ROOT / "tests" / "scenarios" / f"{name}.toml"), 6, 1)
    full = full_days({k: out.national(k) for k in SERIES_USED}, out.beds_national, courts=False)
    beds = full["beds"]
    kpi = kpi_values(out)["day_detention_full"]
    assert beds.any(axis=1).all() and not np.isnan(kpi).any()
    assert (np.argmax(beds, axis=1) + 1 <= kpi).all()
    assert binding(out).first_day["beds"] is not None

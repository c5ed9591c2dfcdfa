"""``detention.overflow = "hold"``: overflow waits in short-term holding, arrests wait.

Properties over varied small scenarios (hypothesis), for every replication, office
and day: arrests + border transfers taken in + transfers in + the initial population equal
the book-in backlog + holding + detained plus cumulative removals, releases, departures
and transfers out; no count is negative; holding never exceeds its capacity; nobody is
released for lack of beds; transfers between offices net to zero nationally each day and
nobody waits in holding while another office has a bed free at the end of the day;
forgone arrests and refused transfers are outside the system.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.errors import ScenarioError
from atlarge.model.inputs import build_inputs
from atlarge.runs.replications import run_replications
from atlarge.scenario import load_scenario
from atlarge.scenario.uncertainty import ranged_parameters
from atlarge.simulation import simulate
from tests.conftest import BASELINE, OPERATION, run_atlarge, small_scenario

variants = st.fixed_dictionaries(
    {
        "path": st.sampled_from([BASELINE, OPERATION]),
        "days": st.integers(5, 60),
        "detention.beds": st.integers(38_000, 90_000),
        "detention.holding_capacity": st.integers(0, 8000),
        "transport.seats_per_day": st.integers(0, 3000),
        "processing.capacity_per_day": st.integers(0, 4000),
        "target.arrests_per_day": st.integers(0, 6000),
        "workforce.hsi.headcount": st.integers(0, 5000),
        "inflow.border_transfers_per_day": st.integers(0, 3000),
    }
)


def _run(v: dict, reps: int = 3, seed: int = 1):
    v = dict(v, **{"detention.overflow": "hold"})
    path, days = v.pop("path"), v.pop("days")
    sc = small_scenario(path, days=days, **{k.replace(".", "__"): x for k, x in v.items()})
    inputs = build_inputs(sc)
    return inputs, run_replications(inputs, seed, reps)


def _check_hold(inputs, s):
    for name, a in s.items():
        assert (a >= 0).all(), f"{name} has a negative count"
    initial = inputs.initial_detained.sum(axis=-1)[None, :, None]
    inflow = np.cumsum(s["arrests"] + s["border_admissions"] + s["transferred_in"], axis=-1)
    outflow = np.cumsum(
        s["removed"] + s["released"] + s["departed"] + s["transferred_out"], axis=-1
    )
    in_system = s["processing_backlog"] + s["held"] + s["detained"]
    assert np.array_equal(initial + inflow, in_system + outflow), "conservation broken"
    assert (s["held"] <= inputs.holding.T[None]).all(), "holding above its capacity"
    assert s["released_capacity"].sum() == 0
    assert np.array_equal(s["transferred_in"].sum(axis=1), s["transferred_out"].sum(axis=1))
    # Nobody waits in holding while an office has a bed free at the end of the day.
    free = np.maximum(inputs.beds.T[None] - s["detained"], 0).sum(axis=1)
    assert ((s["held"].sum(axis=1) == 0) | (free == 0)).all(), "held while beds are free"
    beds = np.maximum(inputs.beds.T[None], inputs.initial_detained.sum(-1)[None, :, None])
    assert (s["detained"] <= beds).all()
    assert (s["booked"] <= inputs.processing_capacity.T[None]).all()
    assert (s["arrests_by_group"].sum(axis=2) == s["arrests"]).all()
    held_change = np.diff(s["held"], axis=-1, prepend=0)
    admitted = (s["booked"] + s["border_admissions"] - held_change).sum(axis=1)
    assert np.array_equal(s["path_entries"].sum(axis=1), admitted), "admissions"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants)
def test_hold_conserves_never_overfills_holding_and_releases_nobody_for_lack_of_beds(v):
    inputs, s = _run(v)
    _check_hold(inputs, s)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([BASELINE, OPERATION]), st.integers(0, 500), st.integers(0, 2**31))
def test_small_beds_and_holding_forgo_arrests(path, holding, seed):
    v = {
        "path": path,
        "days": 40,
        "detention.beds": 38_000,  # just above the starting population: they fill at once
        "detention.holding_capacity": holding,
        "target.arrests_per_day": 6000,
        "transport.seats_per_day": 200,
    }
    inputs, s = _run(v, seed=seed)
    _check_hold(inputs, s)
    assert (s["arrests_forgone_capacity"].sum(axis=(1, 2)) > 0).all()


def test_kpis_under_hold_and_transfer():
    hold = small_scenario(
        OPERATION,
        days=60,
        detention__overflow="hold",
        detention__beds=38_000,
        detention__holding_capacity=200,
        transport__seats_per_day=200,  # few removals: the beds stay full
    )
    k = simulate(hold, reps=3, seed=1, workers=1).summary()["kpis"]
    assert k["releases_for_lack_of_beds"]["mean"] == 0
    assert k["arrests_forgone_capacity"]["p5"] > 0
    transfer = small_scenario(
        OPERATION,
        days=60,
        detention__overflow="transfer",
        detention__beds=38_000,
        transport__seats_per_day=200,
    )
    t = simulate(transfer, reps=3, seed=1, workers=1).summary()
    assert t["kpis"]["arrests_forgone_capacity"]["mean"] == 0
    assert t["kpis"]["releases_for_lack_of_beds"]["mean"] > 0


def test_holding_capacity_is_drawn_only_under_hold():
    hold = small_scenario(OPERATION, detention__overflow="hold")
    paths = {r.path for r in ranged_parameters(hold)}
    assert "detention.holding_capacity" in paths
    transfer = small_scenario(OPERATION, detention__overflow="transfer")
    assert "detention.holding_capacity" not in {r.path for r in ranged_parameters(transfer)}


def test_hold_without_holding_capacity_is_refused(tmp_path):
    cut = r"\[detention\.holding_capacity\].*?\n\n"
    text = re.sub(cut, "", BASELINE.read_text(), flags=re.S)
    text = text.replace('overflow = "transfer"', 'overflow = "hold"')
    f = tmp_path / "no-holding.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=r"detention\.holding_capacity"):
        load_scenario(f)


def test_cli_set_overflow_hold_with_full_beds(tmp_path):
    out = tmp_path / "run"
    run_atlarge(
        "run",
        OPERATION,
        "--reps",
        "2",
        "--days",
        "30",
        "--set",
        "detention.overflow=hold",
        "--set",
        "detention.beds=38000",  # full from the start, and few removals: arrests wait
        "--set",
        "transport.seats_per_day=200",
        "--out",
        out,
    )
    s = json.loads((out / "summary.json").read_text())
    assert s["mechanisms"]["holding"] is True
    assert s["kpis"]["releases_for_lack_of_beds"]["mean"] == 0
    assert s["kpis"]["arrests_forgone_capacity"]["mean"] > 0

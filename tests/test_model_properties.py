"""Invariants of the whole pipeline, over varied small scenarios (hypothesis).

For every replication, office and day: arrests + border admissions +
transfers in (cumulative) + the initial population equal what is in the system
(book-in backlog + detained) plus cumulative removals, releases, departures
and transfers out. No count is ever negative; no office holds more than its
beds; book-ins never exceed processing capacity; removals never exceed seats.

With removal capacity as flights, countries that limit removals and mandatory
detention (``LIMITED``): the same, with those waiting for a country counted in
the detained population and releases at the post-order limit among the
releases; seats are flights x seats per flight + land removals (+ the Guard's);
nobody waits for a country ``L`` days or more; the countries accept each day their
quota, or all who wait when fewer wait (with a quota of 0 everyone is released at
exactly ``L`` days); under a mandatory share of 1 no admission takes a discretionary
path.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.model.inputs import build_inputs
from atlarge.runs.executors import LocalPool
from atlarge.runs.replications import run_replications
from tests.conftest import BASELINE, OPERATION, ROOT, small_scenario

LIMITED = ROOT / "tests" / "scenarios" / "operation-limited.toml"

variants = st.fixed_dictionaries(
    {
        "path": st.sampled_from([BASELINE, OPERATION]),
        "days": st.integers(5, 75),
        "detention.beds": st.integers(38_000, 90_000),
        "detention.overflow": st.sampled_from(["transfer", "release"]),
        "transport.seats_per_day": st.integers(0, 3000),
        "processing.capacity_per_day": st.integers(0, 4000),
        "target.arrests_per_day": st.integers(0, 6000),
        "regime.enabled": st.booleans(),
        "regime.bottom_fraction": st.sampled_from([0.0, 0.1, 0.3]),
        "workforce.hsi.headcount": st.integers(0, 5000),
        "support.national_guard.headcount": st.integers(0, 30_000),
        "inflow.border_transfers_per_day": st.integers(0, 3000),
    }
)


def _run(v: dict, reps: int = 3, seed: int = 1, **kw):
    v = dict(v)
    path = v.pop("path")
    days = v.pop("days")
    sc = small_scenario(path, days=days, **{k.replace(".", "__"): x for k, x in v.items()})
    inputs = build_inputs(sc)
    return inputs, run_replications(inputs, seed, reps, **kw)


def _check_invariants(inputs, s):
    for name, a in s.items():
        assert (a >= 0).all(), f"{name} has a negative count"
    initial = inputs.initial_detained.sum(axis=-1)[None, :, None]
    inflow = np.cumsum(s["arrests"] + s["border_admissions"] + s["transferred_in"], axis=-1)
    outflow = np.cumsum(
        s["removed"] + s["released"] + s["departed"] + s["transferred_out"], axis=-1
    )
    in_system = s["processing_backlog"] + s["detained"]
    assert np.array_equal(initial + inflow, in_system + outflow), "conservation broken"
    assert (s["released_capacity"] <= s["released"]).all()
    beds = inputs.beds.T[None, :, :]
    assert (s["detained"] <= np.maximum(beds, inputs.initial_detained.sum(-1)[None, :, None])).all()
    assert (s["booked"] <= inputs.processing_capacity.T[None, :, :]).all()
    assert (s["removed"].sum(axis=1) <= inputs.seats[None, :]).all()
    assert (s["arrests_by_group"].sum(axis=2) == s["arrests"]).all()
    admitted = (
        s["booked"]
        + s["border_admissions"]
        - s["released_capacity"]
        - s["transferred_out"]
        + s["transferred_in"]
    ).sum(axis=1)
    assert np.array_equal(s["path_entries"].sum(axis=1), admitted)
    assert np.array_equal(s["transferred_in"].sum(axis=1), s["transferred_out"].sum(axis=1))
    assert (s["limited_queue"] <= s["detained"]).all()
    assert (s["releases_post_order_limit"] <= s["released"]).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants)
def test_conservation_non_negativity_and_capacities(v):
    inputs, s = _run(v)
    _check_invariants(inputs, s)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants, st.integers(1, 6), st.integers(0, 2**31))
def test_results_do_not_depend_on_chunking(v, chunk, seed):
    _, whole = _run(v, reps=6, seed=seed, chunk_size=6)
    _, chunked = _run(v, reps=6, seed=seed, chunk_size=chunk)
    for k in whole:
        assert np.array_equal(whole[k], chunked[k]), k


def test_results_do_not_depend_on_worker_processes():
    v = {"path": OPERATION, "days": 40}
    _, one = _run(v, reps=6, chunk_size=2)
    _, two = _run(v, reps=6, chunk_size=2, executor=LocalPool(2))
    for k in one:
        assert np.array_equal(one[k], two[k]), k


def test_same_seed_same_numbers_other_seed_other_numbers():
    v = {"path": OPERATION, "days": 30}
    _, a = _run(v, seed=11)
    _, b = _run(v, seed=11)
    _, c = _run(v, seed=12)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["arrests"], c["arrests"])


def test_full_detention_turns_book_ins_away_and_never_overfills():
    # Removals kept scarce (300 seats a day, replacing the shipped flights) so detention
    # fills: with the shipped 2025 flights it empties below the 38,000 beds.
    _inputs, s = _run(
        {
            "path": OPERATION,
            "days": 60,
            "detention.beds": 38_000,
            "detention.overflow": "transfer",
            "transport.seats_per_day": 300,
        }
    )
    national = s["detained"].sum(axis=1)
    assert (national <= 38_000).all()
    assert s["released_capacity"].sum() > 0


def test_pressure_shifts_arrests_toward_the_quickest_group():
    """Raising the target (more pressure) raises the share of the highest-yield group."""

    def share_no_record(target: int) -> float:
        inputs, s = _run(
            {
                "path": OPERATION,
                "days": 60,
                "target.arrests_per_day": target,
                "regime.enabled": False,
            },
            reps=4,
        )
        g = s["arrests_by_group"].sum(axis=(0, 1, 3))
        return g[inputs.group_keys.index("no_criminal")] / g.sum()

    assert share_no_record(6000) > share_no_record(500) + 0.02


def test_regime_replaces_the_stated_number_each_month():
    inputs, s = _run(
        {"path": OPERATION, "days": 120, "regime.enabled": True, "regime.bottom_fraction": 0.1},
        reps=2,
    )
    per_month = s["replacements"].sum(axis=1)[:, inputs.month_ends]
    assert (per_month == 2).all()  # floor(10% of 25 offices)
    inputs, s = _run({"path": OPERATION, "days": 120, "regime.enabled": False}, reps=2)
    assert s["replacements"].sum() == 0


limited_variants = st.fixed_dictionaries(
    {
        "path": st.just(LIMITED),
        "days": st.integers(5, 75),
        "detention.beds": st.integers(38_000, 90_000),
        "detention.overflow": st.sampled_from(["transfer", "release"]),
        "transport.flights_per_day": st.integers(0, 20),
        "transport.seats_per_flight": st.integers(0, 400),
        "transport.land_removals_per_day": st.integers(0, 500),
        "transport.limited_countries.share": st.sampled_from([0.0, 0.3, 1.0]),
        "transport.limited_countries.accepted_per_day": st.sampled_from([0, 5, 50, 400, 5000]),
        "transport.limited_countries.post_order_limit_days": st.integers(1, 40),
        "policy.mandatory_detention_share": st.sampled_from([0.0, 0.5, 1.0]),
        "target.arrests_per_day": st.integers(0, 6000),
        "support.national_guard.headcount": st.integers(0, 30_000),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limited_variants)
def test_conservation_and_capacities_with_limited_countries_and_mandatory_detention(v):
    inputs, s = _run(v)
    _check_invariants(inputs, s)
    sc = inputs.scenario
    guard = sc.support.national_guard
    troops = inputs.guard_troops * guard.transport_seats_per_troop_day.value
    flights = v["transport.flights_per_day"] * v["transport.seats_per_flight"]
    expected = np.floor(flights + v["transport.land_removals_per_day"] + troops + 1e-9)
    assert np.array_equal(inputs.seats, expected.astype(np.int64))
    limit = inputs.limit_days
    assert limit == v["transport.limited_countries.post_order_limit_days"]
    # Nobody waits L days: those waiting on day t joined within the last L days, and at
    # most L days' worth of removal-path finishers can be waiting.
    if v["transport.limited_countries.share"] == 0.0:
        assert not s["limited_queue"].any() and not s["releases_post_order_limit"].any()
    if v["transport.limited_countries.share"] == 1.0 and v["days"] <= limit:
        assert not s["releases_post_order_limit"].any()  # nobody has waited L days yet
    disc = [d.discretionary for d in sc.dispositions.values()]
    if v["policy.mandatory_detention_share"] == 1.0:
        assert not s["path_entries"][:, disc].any()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 12),
    st.integers(1, 50),
    st.sampled_from([0.0, 0.5, 1.0]),
    st.sampled_from([0, 3, 40, 100_000]),
    st.integers(0, 2**31),
)
def test_nobody_waits_for_a_country_as_long_as_the_limit(limit, days, share, quota, seed):
    """Stepping the model day by day: each slot of the buffer holds only its own day's
    cohort (at most what joined that day), so nobody present has waited ``L`` days, and
    those who had are released that day. The countries accept exactly the day's quota,
    or everyone waiting when fewer wait; with a quota of 0 each cohort is released
    whole at age ``L``."""
    from atlarge.engine.rng import RandomStreams
    from atlarge.model.state import Day, PipelineState
    from atlarge.model.steps import DAILY_STEPS

    sc = small_scenario(
        LIMITED,
        days=days,
        **{
            "transport.limited_countries.post_order_limit_days": limit,
            "transport.limited_countries.share": share,
            "transport.limited_countries.accepted_per_day": quota,
            "transport.flights_per_day": 1,
        },
    )
    inputs = build_inputs(sc)
    streams = RandomStreams.for_replications(seed, np.arange(2))
    state = PipelineState.initial(inputs, 2)
    joined = np.zeros((days, 2, inputs.n_offices), dtype=np.int64)
    for t in range(days):
        before = state.limited.copy()
        day = Day(t, streams)
        for step in DAILY_STEPS:
            step(inputs, state, day)
        joined[t] = day.limited_in
        assert np.array_equal(day.released_post_order_limit, before[..., t % limit])
        waiting = before.sum(axis=-1) - day.released_post_order_limit + day.limited_in
        accepted = (waiting - state.limited.sum(axis=-1)).sum(axis=-1)
        assert np.array_equal(accepted, np.minimum(quota, waiting.sum(axis=-1)))
        if quota == 0 and t >= limit:
            assert np.array_equal(day.released_post_order_limit, joined[t - limit])
        for age in range(min(limit, t + 1)):
            assert (state.limited[..., (t - age) % limit] <= joined[t - age]).all()
        assert (state.detained <= inputs.beds[t][None, :]).all()

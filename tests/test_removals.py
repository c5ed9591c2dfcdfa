"""Removal constraints and mandatory detention (issue 12, parts 2-3), one rule at a time.

Removal capacity as flights (or a total), countries that limit removals with the
post-order detention limit, mandatory detention: what is neutral when absent or at
zero, the daily steps on hand-built states, the two seat forms through files and
changes (``--set``, sweeps, the page's lever), and the schema's messages.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from atlarge.engine.allocation import fill_up_to
from atlarge.engine.rng import RandomStreams
from atlarge.errors import ScenarioError
from atlarge.model import steps
from atlarge.model.inputs import build_inputs, daily_path_shares
from atlarge.model.memory import RunShape
from atlarge.model.state import Day, PipelineState
from atlarge.runs.replications import run_replications
from atlarge.scenario import Scenario, load_scenario
from atlarge.scenario.levers import scenario_levers
from tests.conftest import BASELINE, OPERATION, ROOT

SMALL = ROOT / "tests" / "scenarios"
LIMITED = SMALL / "operation-limited.toml"


def _with(sc: Scenario, **sections) -> Scenario:
    """``sc`` with whole sections or fields added (dotted names with '__'), validated."""
    data = sc.model_dump()
    for key, value in sections.items():
        *head, last = key.split("__")
        node = data
        for part in head:
            node = node[part]
        node[last] = value
    return Scenario.model_validate(data)


def _param(value, unit, **kw):
    return {"value": value, "unit": unit, "source": "test", **kw}


def _same_series(a: Scenario, b: Scenario, reps: int = 3) -> None:
    sa = run_replications(build_inputs(a), 5, reps)
    sb = run_replications(build_inputs(b), 5, reps)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k], sb[k]), k


# ----------------------------------------------------------------- neutrality


def test_limited_share_zero_and_mandatory_zero_give_the_numbers_of_their_absence():
    # The operation without the two stages (the shipped file has both).
    base = _with(
        load_scenario(OPERATION, set={"days": 40}),
        transport__limited_countries=None,
        policy__mandatory_detention_share=None,
        policy__expedited_removal_share=None,
    )
    zero = _with(
        base,
        transport__limited_countries={
            "share": _param(0.0, "fraction"),
            "accepted_per_day": _param(30.0, "removals/day"),
            "post_order_limit_days": _param(180.0, "days"),
        },
        dispositions__released_early__discretionary=True,
        policy={
            "mandatory_detention_share": _param(0.0, "fraction"),
            "priority": base.model_dump()["policy"]["priority"],
        },
    )
    assert build_inputs(zero).limit_days == 180
    _same_series(base, zero)


def test_flights_times_seats_gives_the_numbers_of_the_same_total():
    base = load_scenario(OPERATION, set={"days": 40, "transport.seats_per_day": 1000})
    flights = _with(
        base,
        transport__seats_per_day=None,
        transport__flights_per_day=_param(6.0, "flights/day"),
        transport__seats_per_flight=_param(150.0, "seats/flight"),
        transport__land_removals_per_day=_param(100.0, "removals/day"),
    )
    assert np.array_equal(build_inputs(base).seats, build_inputs(flights).seats)
    _same_series(base, flights)


def test_daily_path_shares_move_the_mandatory_share_off_discretionary_paths():
    share = np.array([0.5, 0.2, 0.3])
    disc = np.array([False, True, False])
    assert daily_path_shares(share, disc, None, 2).tolist() == [share.tolist()] * 2
    out = daily_path_shares(share, disc, np.array([0.0, 0.5, 1.0]), 3)
    assert np.array_equal(out[0], share)  # m = 0: the very same numbers
    assert np.allclose(out[2], [0.625, 0.0, 0.375])  # m = 1: none on the discretionary path
    assert np.allclose(out[1], (share + out[2]) / 2)
    assert np.allclose(out.sum(axis=1), 1.0)


# ----------------------------------------------------------------- the steps


def _limited_inputs(limit: int, share: float, accepted: int):
    base = build_inputs(load_scenario(LIMITED, set={"days": 5}))
    return dataclasses.replace(
        base,
        limit_days=limit,
        limited_share=np.full(5, share),
        limited_accepted=np.full(5, accepted, dtype=np.int64),
        seats=np.zeros(5, dtype=np.int64),
    )


def _state(inp, limited) -> PipelineState:
    s = PipelineState.initial(inp, 2)
    s.stock[:] = 0
    s.limited = np.array(limited, dtype=np.int64)
    return s


def test_transport_releases_at_the_limit_then_accepts_everyone_under_a_large_quota():
    inp = _limited_inputs(3, 1.0, 10**6)
    n_o = inp.n_offices
    buf = np.zeros((2, n_o, 3), dtype=np.int64)
    buf[:, :, 0] = 5  # day 0's cohort: age 3 on day 3 (slot 3 % 3 = 0)
    buf[:, :, 1] = 2  # age 2 on day 3
    buf[:, :, 2] = 4  # age 1
    s = _state(inp, buf)
    d = Day(3, RandomStreams.for_replications(1, [0, 1]))
    d.limited_in = np.full((2, n_o), 7)
    steps.transport(inp, s, d)
    assert (d.released_post_order_limit == 5).all()  # released, not accepted
    assert (s.queue == 2 + 4 + 7).all() and not s.limited.any()


def test_transport_takes_the_quota_from_the_oldest_ages_first():
    inp = _limited_inputs(4, 1.0, 0)
    n_o = inp.n_offices
    inp = dataclasses.replace(inp, limited_accepted=np.full(5, 4 * n_o, dtype=np.int64))
    s = _state(inp, np.zeros((2, n_o, 4)))
    # On day 2: slot 2 is age 4 (released), slot 3 age 3, slot 0 age 2, slot 1 age 1.
    s.limited[..., 2] = 9
    s.limited[..., 3] = 1
    s.limited[..., 0] = 2
    s.limited[..., 1] = 3
    d = Day(2, RandomStreams.for_replications(1, [0, 1]))
    d.limited_in = np.full((2, n_o), 5, dtype=np.int64)  # age 0, into slot 2
    steps.transport(inp, s, d)
    assert (d.released_post_order_limit == 9).all()
    # Equal lines (11 each) share the quota 4 * offices equally: four accepted in each
    # office, age 3 (1), age 2 (2), then 1 of the 3 of age 1; age 0 untouched.
    assert (s.limited[..., 3] == 0).all() and (s.limited[..., 0] == 0).all()
    assert (s.limited[..., 1] == 2).all() and (s.limited[..., 2] == 5).all()
    assert (s.queue == 4).all()


def test_transport_shares_the_quota_over_offices_like_seats_never_past_a_line():
    inp = _limited_inputs(3, 1.0, 10)
    n_o = inp.n_offices
    buf = np.zeros((2, n_o, 3), dtype=np.int64)
    buf[:, 0, 1] = 30  # office 0: a long line (age 2 on day 0)
    buf[:, 1, 1] = 10  # office 1: a third of it
    buf[:, 2, 1] = 1  # office 2: one person
    s = _state(inp, buf)
    d = Day(0, RandomStreams.for_replications(1, [0, 1]))
    d.limited_in = np.zeros((2, n_o), dtype=np.int64)
    steps.transport(inp, s, d)
    accepted = buf.sum(axis=-1) - s.limited.sum(axis=-1)
    assert (accepted.sum(axis=-1) == 10).all()  # the whole quota, no draw
    assert np.array_equal(accepted, fill_up_to(np.full(2, 10), buf.sum(axis=-1)))
    assert (accepted[:, 0] == 7).all() and (accepted[:, 1] == 3).all()  # 30:10:1 of 10
    assert (accepted <= buf.sum(axis=-1)).all()
    # A quota above everyone waiting takes them all, and no more.
    s = _state(inp, buf)
    inp = dataclasses.replace(inp, limited_accepted=np.full(5, 1000, dtype=np.int64))
    steps.transport(inp, s, d)
    assert not s.limited.any() and np.array_equal(s.queue, buf.sum(axis=-1))


def test_delays_send_the_limited_share_to_the_buffer_not_the_queue():
    inp = _limited_inputs(3, 1.0, 0)
    s = PipelineState.initial(inp, 2)
    queue_before = s.queue.copy()
    d = Day(0, RandomStreams.for_replications(1, [0, 1]))
    steps.delays(inp, s, d)
    assert np.array_equal(s.queue, queue_before)  # share 1: nobody straight to the queue
    assert d.limited_in.sum() > 0


def test_limited_are_detained_and_their_releases_are_releases():
    inp = _limited_inputs(2, 1.0, 0)
    s = _state(inp, np.ones((2, inp.n_offices, 2)))
    assert (s.detained == 2).all()
    d = Day(0, RandomStreams.for_replications(1, [0, 1]))
    d.released_on_exit = d.released_capacity = np.zeros((2, inp.n_offices), dtype=np.int64)
    d.released_funds = np.zeros((2, inp.n_offices), dtype=np.int64)
    d.released_post_order_limit = np.full((2, inp.n_offices), 3)
    assert (d.released == 3).all()


def test_a_quota_below_the_inflow_grows_the_line_until_the_limit_releases():
    import atlarge

    sc = load_scenario(
        LIMITED,
        set={
            "days": 50,
            "transport.limited_countries.post_order_limit_days": 10,
            "transport.limited_countries.share": 0.5,
            "transport.limited_countries.accepted_per_day": 20,
        },
    )
    res = atlarge.simulate(sc, reps=2, seed=3, timeseries="full")
    k = res.summary()["kpis"]
    assert k["releases_post_order_limit"]["mean"] > 0
    assert k["releases_total"]["mean"] >= k["releases_post_order_limit"]["mean"]
    s = res.output.series
    assert (s["releases_post_order_limit"][..., :10] == 0).all()  # nobody before day L
    assert (s["releases_post_order_limit"][..., 10:].sum(axis=1) > 0).all()  # then daily
    line = s["limited_queue"].sum(axis=1)
    assert (line[:, 9] > 10 * 20).all()  # more joined in L days than the quota took


def _step_days(sc, reps=2, seed=5):
    """Run ``sc`` day by day: (inputs, joined, released) by day, replication and office."""
    from atlarge.model.steps import DAILY_STEPS

    inputs = build_inputs(sc)
    streams = RandomStreams.for_replications(seed, np.arange(reps))
    state = PipelineState.initial(inputs, reps)
    joined = np.zeros((inputs.days, reps, inputs.n_offices), dtype=np.int64)
    released = np.zeros_like(joined)
    for t in range(inputs.days):
        day = Day(t, streams)
        for step in DAILY_STEPS:
            step(inputs, state, day)
        joined[t] = day.limited_in
        released[t] = day.released_post_order_limit
    return inputs, joined, released


def test_a_quota_of_zero_releases_everyone_at_exactly_the_limit():
    limit = 6
    sc = load_scenario(
        SMALL / "small-limited.toml",
        set={
            "days": 25,
            "transport.limited_countries.post_order_limit_days": limit,
            "transport.limited_countries.accepted_per_day": 0,
        },
    )
    _, joined, released = _step_days(sc)
    assert joined.sum() > 0
    assert not released[:limit].any()
    assert np.array_equal(released[limit:], joined[:-limit])  # each cohort at age L


def test_a_quota_above_the_inflow_releases_nobody():
    sc = load_scenario(
        SMALL / "small-limited.toml",
        set={"days": 80, "transport.limited_countries.accepted_per_day": 10_000},
    )
    inputs, joined, released = _step_days(sc)
    assert joined.sum() > 0 and inputs.limit_days == 30
    assert not released.any()
    s = run_replications(inputs, 5, 3)
    assert not s["releases_post_order_limit"].any()
    assert not s["limited_queue"].any()  # everyone accepted the day they join


# ----------------------------------------------------------------- memory


def test_the_memory_estimate_counts_the_limited_buffer():
    sc = load_scenario(LIMITED, set={"days": 30})
    shape = RunShape.of(sc)
    assert shape.limit_days == 180
    without = dataclasses.replace(shape, limit_days=0)
    extra = shape.chunk_peak_bytes(10) - without.chunk_peak_bytes(10)
    # int64 working arrays per day of the buffer: the buffer itself, emptied oldest first
    # in place by the compiled walk; the NumPy definition adds 4.
    from atlarge.model.memory import WORK_ARRAYS_PER_LIMIT_DAY

    assert WORK_ARRAYS_PER_LIMIT_DAY in (1, 5)
    assert extra == 10 * shape.offices * WORK_ARRAYS_PER_LIMIT_DAY * 180 * 8


# ----------------------------------------------------------------- the two seat forms


def test_a_file_giving_the_breakdown_replaces_the_inherited_total_and_back(tmp_path):
    sc = load_scenario(SMALL / "small-limited.toml")
    assert sc.transport.seats_per_day is None and sc.transport.breakdown
    back = tmp_path / "back.toml"
    back.write_text(
        f'extends = "{SMALL / "small-limited.toml"}"\n'
        '[transport.seats_per_day]\nvalue = 700\nunit = "seats/day"\nsource = "x"\n'
    )
    sc2 = load_scenario(back)
    assert sc2.transport.seats_per_day.value == 700
    assert sc2.transport.flights_per_day is None and sc2.transport.land_removals_per_day is None


def test_set_total_on_a_flights_scenario_replaces_the_breakdown_and_records_it():
    sc = load_scenario(SMALL / "small-limited.toml", set={"transport.seats_per_day": 600})
    tr = sc.transport
    assert tr.seats_per_day.value == 600 and tr.seats_per_day.unit == "seats/day"
    assert tr.flights_per_day is None and tr.seats_per_flight is None
    assert "replaced the breakdown" in tr.seats_per_day.source.note
    assert "flights_per_day 3" in tr.seats_per_day.source.note
    rec = sc.overrides
    assert rec["transport.seats_per_day"].value == 600
    assert rec["transport.seats_per_day"].file_value is None
    assert rec["transport.flights_per_day"].value is None
    assert rec["transport.flights_per_day"].file_value == 3
    assert all("replaced the breakdown" in (rec[p].note or "") for p in rec)
    assert (build_inputs(sc).seats == 600).all()
    # Set again: an ordinary change of the total now; the breakdown stays recorded.
    again = sc.with_values({"transport.seats_per_day": 650}, "test")
    assert again.overrides["transport.seats_per_day"].file_value is None
    assert again.overrides["transport.flights_per_day"].file_value == 3


def test_set_a_part_of_the_breakdown_on_a_total_scenario_names_what_to_set():
    total = load_scenario(BASELINE, set={"transport.seats_per_day": 1000})
    with pytest.raises(ScenarioError, match=r"set transport\.seats_per_day instead"):
        total.with_values({"transport.flights_per_day": 10}, "test")
    with pytest.raises(ScenarioError, match="without @DATE"):
        load_scenario(SMALL / "small-limited.toml", set={"transport.seats_per_day@2024-01-01": 5})
    # A part of the breakdown the scenario has is an ordinary change.
    sc = load_scenario(SMALL / "small-limited.toml", set={"transport.flights_per_day": 4})
    assert (build_inputs(sc).seats == 4 * 135 + 40).all()


def test_the_seats_lever_shows_the_breakdown_total_and_sets_it(tmp_path):
    sc = load_scenario(SMALL / "small-limited.toml")
    lever = next(lv for lv in scenario_levers(sc) if lv.path == "transport.seats_per_day")
    assert lever.value == 3 * 135 + 40 and lever.unit == "seats/day"
    assert "replaces that breakdown" in lever.note
    sc2 = sc.with_values({lever.path: lever.value * 2}, "the page")
    assert (build_inputs(sc2).seats == 2 * (3 * 135 + 40)).all()


def test_a_sweep_over_the_total_runs_on_a_flights_scenario(tmp_path):
    from atlarge.runs.config import RunConfig
    from atlarge.runs.store import Store
    from atlarge.runs.sweep import Vary, run_sweep

    db = tmp_path / "s.duckdb"
    run_sweep(
        SMALL / "small-limited.toml",
        [Vary("transport.seats_per_day", 10, 900, 2)],
        sets={"days": "20"},
        config=RunConfig(reps=2, seed=1, workers=1),
        db=db,
    )
    runs = Store(db).runs()
    assert len(runs) == 2
    removals = sorted(Store(db).kpis(r["run_id"])["removals_total"]["mean"] for r in runs)
    assert removals[0] < removals[1]


# ----------------------------------------------------------------- schema messages


@pytest.fixture
def scen(tmp_path):
    # The baseline with a total of seats instead of its flights, so files can add either form.
    text = re.sub(
        r"\[transport\.(flights_per_day|seats_per_flight|land_removals_per_day)\].*?\n\n",
        "",
        BASELINE.read_text(),
        flags=re.S,
    )
    text = text.replace(
        "[transport.cost_per_removal]",
        '[transport.seats_per_day]\nvalue = 1000\nunit = "seats/day"\nsource = "x"\n\n'
        "[transport.cost_per_removal]",
    )
    (tmp_path / "base.toml").write_text(text)

    def make(name: str, *lines: str):
        path = tmp_path / name
        path.write_text("\n".join(['extends = "base.toml"', *lines]) + "\n")
        return path

    return make


def _clean(res, *fragments):
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err + res.out
    for f in fragments:
        assert f in res.err, (f, res.err)


FLIGHTS = ["[transport.flights_per_day]", "value = 5", 'unit = "flights/day"', 'source = "x"']
PER_FLIGHT = ["[transport.seats_per_flight]", "value = 150", 'unit = "seats/flight"']
PER_FLIGHT += ['source = "x"']
TOTAL = ["[transport.seats_per_day]", "value = 800", 'unit = "seats/day"', 'source = "x"']


def test_both_seat_forms_in_one_file_are_refused_naming_both(cli, scen):
    path = scen("both.toml", *TOTAL, *FLIGHTS, *PER_FLIGHT)
    _clean(
        cli("validate", path),
        "both.toml",
        "transport.seats_per_day",
        "transport.flights_per_day",
        "not both",
    )


def test_flights_without_seats_per_flight_names_the_missing_part(cli, scen):
    path = scen("half.toml", *FLIGHTS)
    _clean(cli("validate", path), "half.toml", "transport.seats_per_flight", "is needed with")


def test_seats_per_flight_above_the_largest_aircraft_is_refused(cli, scen):
    big = ["[transport.seats_per_flight]", "value = 900", 'unit = "seats/flight"', 'source = "x"']
    path = scen("big.toml", *FLIGHTS, *big)
    _clean(cli("validate", path), "transport.seats_per_flight", "above the maximum 400")


def test_discretionary_removal_path_is_refused_naming_the_path(cli, scen):
    path = scen("disc.toml", "[dispositions.expedited]", "discretionary = true")
    _clean(
        cli("validate", path),
        "disc.toml",
        "dispositions.expedited.discretionary",
        "only a path whose outcome is release",
    )


def test_mandatory_detention_with_every_path_discretionary_is_refused(cli, scen):
    lines = ["[policy.mandatory_detention_share]", "value = 0.5", 'unit = "fraction"']
    lines += ['source = "x"']
    for key in ("expedited", "court_removal", "voluntary_departure"):
        lines += [f"[dispositions.{key}.share]", "value = 0", 'unit = "fraction"', 'source = "x"']
    lines += ["[dispositions.court_relief]", "discretionary = true"]
    lines += ["[dispositions.released_early]", "discretionary = true"]
    lines += ["[dispositions.released_early.share]", "value = 0.6", 'unit = "fraction"']
    lines += ['source = "x"', "[dispositions.court_relief.share]", "value = 0.4"]
    lines += ['unit = "fraction"', 'source = "x"']
    path = scen("all.toml", *lines)
    _clean(cli("validate", path), "policy.mandatory_detention_share", "no path to take")


def test_a_post_order_limit_that_varies_over_time_is_refused(cli, scen):
    lines = [
        "[transport.limited_countries.share]",
        "value = 0.1",
        'unit = "fraction"',
        'source = "x"',
        "[transport.limited_countries.accepted_per_day]",
        "value = 30",
        'unit = "removals/day"',
        'source = "x"',
        "[transport.limited_countries.post_order_limit_days]",
        "value = 180",
        'unit = "days"',
        'source = "x"',
        'schedule = { "2024-01-01" = 90 }',
    ]
    path = scen("vary.toml", *lines)
    _clean(
        cli("validate", path),
        "transport.limited_countries.post_order_limit_days",
        "cannot vary over time",
    )

"""One way to change a scenario (``Scenario.with_values``): its rules, dated values, and
the callers that must agree (sweep and sensitivity points)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.errors import OptionError, ScenarioError
from atlarge.scenario import Scenario, iter_params, load_scenario
from atlarge.scenario.loader import SET_ORIGIN
from atlarge.scenario.schema import SHARE_GROUPS, SHARE_MAPS
from tests.conftest import BASELINE, OPERATION, SCENARIOS

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.toml"))
SHARES = {f"{section}.": field for section, field in SHARE_GROUPS}
RULES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def shipped(name: str) -> Scenario:
    return load_scenario(SCENARIOS / name)


def _is_share(path: str) -> bool:
    """A share of a group that must sum to one: per entry (``groups.<g>.effort_share``) or
    a table of one section (``custodial.group_mix.<g>``)."""
    return any(path.startswith(s) and path.endswith("." + f) for s, f in SHARES.items()) or any(
        path.startswith(f"{section}.{field}.") for section, field in SHARE_MAPS
    )


def _params(sc: Scenario) -> dict:
    return dict(iter_params(sc))


def _plain_params(name: str) -> list[str]:
    """Parameters whose change can touch nothing else (not a share)."""
    return [path for path, _ in iter_params(shipped(name)) if not _is_share(path)]


def _value_near(p, draw) -> float:
    """A value inside the parameter's range, at one of its ends, or outside it."""
    lo, hi = p.range or (p.value, p.value)
    span = max(hi - lo, abs(p.value), 1.0)
    return draw(
        st.one_of(
            st.floats(lo, hi),
            st.sampled_from([lo, hi]),
            st.floats(hi, hi + span),
            st.floats(max(lo - span, 0.0), lo),
        )
    )


# ------------------------------------------------------------------ the rules, as properties


@RULES
@given(data=st.data(), name=st.sampled_from(SHIPPED))
def test_a_plain_value_sets_the_value_notes_the_source_and_keeps_or_fits_the_range(data, name):
    sc = shipped(name)
    path = data.draw(st.sampled_from(_plain_params(name)))
    old = _params(sc)[path]
    value = _value_near(old, data.draw)
    try:
        new_sc = sc.with_values({path: value}, "a test")
    except ScenarioError as exc:  # a value another field forbids (beds below the population)
        assert exc.file == "a test" and exc.path, exc
        return
    new = _params(new_sc)[path]
    assert new.value == value and new.schedule is None and new.unit == old.unit
    kept = ("assumption", "rationale", "fitted")
    assert [getattr(new, k) for k in kept] == [getattr(old, k) for k in kept]
    if value == old.value and old.schedule is None:  # a change that changes nothing is nothing
        assert new == old and path not in new_sc.overrides
        return
    # (the same value on a parameter with a schedule is a change: it becomes constant)
    assert new.source.note.startswith("set by a test (was ")
    assert new.source.note.endswith(")" if old.source else ", an assumption)")
    assert new.source.was == old.source  # the old source, kept whole
    if old.range is None or old.range[0] <= value <= old.range[1]:
        assert new.range == old.range and new.distribution == old.distribution
    elif old.assumption:
        assert new.range == (min(old.range[0], value), max(old.range[1], value))
    else:
        assert new.range is None and new.distribution is None
    note = new_sc.overrides[path]
    assert (note.value, note.schedule, note.file_value) == (value, None, old.value)
    # Nothing else moved.
    others = {k: v for k, v in _params(new_sc).items() if k != path}
    assert others == {k: v for k, v in _params(sc).items() if k != path}


@RULES
@given(data=st.data(), name=st.sampled_from(SHIPPED))
def test_a_dated_value_sets_one_schedule_entry_from_its_date(data, name):
    sc = shipped(name)
    path = data.draw(st.sampled_from(_plain_params(name)))
    old = _params(sc)[path]
    when = sc.start_date + dt.timedelta(days=data.draw(st.integers(1, sc.days - 1)))
    value = _value_near(old, data.draw)
    try:
        new_sc = sc.with_values({f"{path}@{when}": value}, "a test")
    except ScenarioError as exc:
        # Refused as the key, or as the field it makes inconsistent, whose message names it
        # (a dated courts.in_absentia_share with courts.removal_order_share above 1).
        assert exc.file == "a test", exc
        assert exc.path == f"{path}@{when}" or path in exc.message, exc
        return
    new = _params(new_sc)[path]
    assert new.value == old.value and new.schedule == {**(old.schedule or {}), when: value}
    day = dt.timedelta(days=1)
    assert new.at(when) == value and new.at(when - day) == old.at(when - day)
    daily = new.daily(sc.start_date, sc.days)
    first = (when - sc.start_date).days
    # from its date up to the file's next entry (if any), after which the file's holds
    later = [d for d in (old.schedule or {}) if d > when]
    until = min(((min(later) - sc.start_date).days, sc.days)) if later else sc.days
    assert (daily[first:until] == value).all()
    assert (daily[:first] == old.daily(sc.start_date, first)).all()
    assert (daily[until:] == old.daily(sc.start_date, sc.days)[until:]).all()
    if value != old.value:
        note = new_sc.overrides[path]
        assert (note.value, note.schedule) == (old.value, new.schedule)
        assert (note.file_value, note.file_schedule) == (old.value, old.schedule)
    # A plain value afterwards makes it constant again, and the record keeps the file's value.
    flat = new_sc.with_values({path: old.value}, "another test")
    assert _params(flat)[path].schedule is None
    assert _params(flat)[path].source.note.startswith("set by another test (was ")
    if old.schedule is None:  # back to the file's value: no change left
        assert path not in flat.overrides
    else:  # constant where the file has a schedule: still a change from the file
        note = flat.overrides[path]
        assert (note.value, note.schedule) == (old.value, None)
        assert (note.file_value, note.file_schedule) == (old.value, old.schedule)


@RULES
@given(data=st.data(), name=st.sampled_from(SHIPPED), group=st.sampled_from(SHARE_GROUPS))
def test_a_named_share_is_kept_and_the_others_fill_the_rest_in_proportion(data, name, group):
    sc = shipped(name)
    section, field = group
    paths = [f"{section}.{k}.{field}" for k in getattr(sc, section)]
    named = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True))
    values = {p: data.draw(st.floats(0.0, 0.7)) for p in named}
    before = _params(sc)
    try:
        new = _params(sc.with_values(values, "a test"))
    except ScenarioError as exc:
        fast = [f"{section}.{k}.{field}" for k, d in sc.dispositions.items() if d.expedited]
        if exc.path == "policy.expedited_removal_share":  # the scope's paths were set to 0
            assert section == "dispositions" and "expedited = true" in exc.message
            assert all(values.get(p) == 0 for p in fast), exc
            return
        assert exc.path == named[0] and "must sum to 1" in exc.message
        others_zero = all(before[p].value == 0 for p in paths if p not in named)
        assert sum(values.values()) > 1 or others_zero
        return
    assert all(new[p].value == v for p, v in values.items())
    assert sum(new[p].value for p in paths) == pytest.approx(1.0, abs=1e-12)
    others = [p for p in paths if p not in named]
    rest = 1.0 - sum(values.values())
    spread = sum(before[p].value for p in others)
    for p in others:
        assert new[p].value == pytest.approx(before[p].value * rest / spread, abs=1e-12)


def test_a_dated_value_keeps_the_other_entries_and_a_plain_value_comes_first():
    sc = shipped("operation-at-large.toml").with_values(
        {"detention.beds@2025-08-01": 50000, "detention.beds@2025-10-01": 55000}, "a file's plan"
    )
    later = sc.with_values({"detention.beds@2025-08-01": 45000}, "a test")
    assert later.detention.beds.schedule == {
        dt.date(2025, 8, 1): 45000.0,
        dt.date(2025, 10, 1): 55000.0,
    }
    note = later.overrides["detention.beds"]  # the record still compares with the file
    assert note.file_value == 41500 and note.file_schedule is None
    both = sc.with_values({"detention.beds@2025-09-01": 60000, "detention.beds": 40000}, "a test")
    assert both.detention.beds.value == 40000
    assert both.detention.beds.schedule == {dt.date(2025, 9, 1): 60000.0}


def test_naming_every_share_keeps_their_proportions():
    sc = shipped("baseline-2024.toml")
    paths = [f"groups.{k}.effort_share" for k in sc.groups]
    new = _params(sc.with_values(dict.fromkeys(paths, 0.5), "a test"))
    assert [new[p].value for p in paths] == [1 / 3] * 3
    with pytest.raises(ScenarioError, match="are all 0"):
        sc.with_values(dict.fromkeys(paths, 0), "a test")


def test_settings_are_set_as_the_schema_takes_them_and_recorded():
    sc = shipped("operation-at-large.toml")
    new = sc.with_values({"regime.enabled": "false", "detention.overflow": "release"}, "t")
    assert new.regime.enabled is False and new.detention.overflow == "release"
    assert new.overrides["regime.enabled"].file_value is True
    with pytest.raises(ScenarioError) as err:
        sc.with_values({"regime.enabled": 1}, "t")
    assert err.value.path == "regime.enabled"
    # Back to the file's value: the record forgets the path; the horizon works the same way.
    assert "regime.enabled" not in new.with_values({"regime.enabled": True}, "t").overrides


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("detention.bedz", 1, "did you mean 'detention.beds'"),
        ("detention.beds.unit", 1, "no such parameter"),
        ("detention", 1, "is a section"),
        ("overrides", {}, "recorded by atlarge"),
        ("dispositions.expedited.cost_per_case", 5, "is not in this scenario"),
        ("detention.beds@2025-13-01", 1, "not a calendar date"),
        ("detention.beds@next week", 1, "YYYY-MM-DD"),
        ("regime.enabled@2025-07-01", False, "only a parameter can change from a date"),
        ("groups.no_criminal.effort_share@2025-07-01", 0.4, "cannot vary over time"),
        ("detention.beds@2045-01-01", 1, "a mistyped year"),
        ("detention.beds", True, "expects a number"),
        ("detention.beds", float("inf"), "not a finite number"),
        ("detention.beds", 2e7, "above the maximum 10,000,000"),
    ],
)
def test_refusals_name_the_key_as_written_and_who_changed_it(key, value, message):
    with pytest.raises(ScenarioError) as err:
        shipped("operation-at-large.toml").with_values({key: value}, "a test")
    assert err.value.file == "a test" and err.value.path == key and message in err.value.message


def test_a_consistency_error_names_the_field_that_breaks():
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, set={"detention.beds": 1000})
    assert err.value.file == SET_ORIGIN
    assert err.value.path == "detention.initial_population" and "exceeds" in err.value.message


# ------------------------------------------------------------------ dated values, end to end


def test_a_dated_override_steps_the_bed_capacity_on_its_date_and_not_before():
    from atlarge.simulation import simulate

    # No removal seats, so detention fills its 41,500 beds before the step (the shipped
    # 2025 flights remove more than come in) and grows past them after it.
    sc = load_scenario(
        OPERATION,
        set={"days": 30, "transport.seats_per_day": 0, "detention.beds@2025-06-15": "60000"},
    )
    res = simulate(sc, reps=2, seed=1, workers=1)
    step = (dt.date(2025, 6, 15) - sc.start_date).days
    beds = res.output.beds_national
    assert (beds[:, :step] == 41500).all() and (beds[:, step:] == 60000).all()
    detained = res.output.national("detained")  # (reps, days)
    assert detained[:, :step].max() == 41500 < detained[:, step:].max()
    note = res.summary()["overrides"]["detention.beds"]
    assert note["schedule"] == {"2025-06-15": 60000.0} and note["file_schedule"] is None


def test_dated_overrides_on_the_command_line_reach_the_report_and_the_warnings(cli, tmp_path):
    out = tmp_path / "run"
    res = cli(
        "run", OPERATION, "--days", "10", "--reps", "2", "--workers", "1", "--quiet",
        "--set", "detention.beds@2025-06-05=60000",
        "--set", "transport.flights_per_day@2026-01-01=9",
        "--out", out,
    )  # fmt: skip
    assert res.code == 0, res.err
    # An entry after the horizon is a warning, as for a schedule written in a file.
    assert "transport.flights_per_day.schedule" in res.err and "never applied" in res.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overrides"]["detention.beds"]["schedule"] == {"2025-06-05": 60000.0}
    report = (out / "report.html").read_text()
    changes = report[report.index("<section id=changes") :]
    changes = changes[: changes.index("</section>")]
    assert "<td>41,500 from 2025-06-01, 60,000 from 2025-06-05 (beds)</td>" in changes


# ------------------------------------------------------------------ callers that must agree


def test_uncertainty_draws_go_through_with_values():
    from atlarge.scenario.uncertainty import drawn_scenario

    sc = shipped("baseline-2024.toml")
    drawn, values = drawn_scenario(sc, seed=3, draw=1)
    for path, p in _params(drawn).items():
        if path in values and not _is_share(path):
            assert p.value == values[path]
            assert p.source.note.startswith("set by uncertainty draw 1 (was ")
    assert set(values) <= set(drawn.overrides)


def test_sweep_and_sensitivity_give_identical_kpis_for_the_same_point(tmp_path):
    """The same scenario, seed, replications and values: one point through each command,
    with a share (the others fill the rest) and a dated value over a time-varying parameter."""
    from atlarge.runs.config import RunConfig
    from atlarge.runs.sensitivity_run import run_sensitivity
    from atlarge.runs.store import Store
    from atlarge.runs.sweep import Vary, run_sweep

    sets = {"days": "20", "detention.beds@2025-06-08": "45000"}
    names = ["dispositions.expedited.share", "detention.beds@2025-06-12"]
    sens = run_sensitivity(
        OPERATION,
        "morris",
        varies=[Vary(names[0], 0.5, 0.8), Vary(names[1], 30000, 60000)],
        sets=sets,
        outputs=["arrests_per_day", "peak_detention"],
        samples=2,
        config=RunConfig(reps=2, seed=5),
        db=tmp_path / "sens.duckdb",
    )
    store = Store(tmp_path / "sens.duckdb")
    (run,) = [r for r in store.runs() if (r["sweep_id"], r["point_index"]) == (sens["sweep_id"], 1)]
    point = {k: json.loads(run["overrides"])[k] for k in names}
    swept = run_sweep(
        OPERATION,
        [Vary(k, v, v, 1) for k, v in point.items()],
        sets=sets,
        config=RunConfig(reps=2, seed=5),
        db=tmp_path / "sweep.duckdb",
    )
    assert swept["points"] == 1 and swept["run_ids"] == [run["run_id"]]  # the same scenario
    kpis = Store(tmp_path / "sweep.duckdb").kpis(swept["run_ids"][0])
    assert kpis == store.kpis(run["run_id"]) and kpis["peak_detention"]["mean"] > 0


def test_a_point_the_scenario_refuses_is_the_varied_values_fault():
    from atlarge.runs.sweep import point_scenarios

    base = shipped("operation-at-large.toml")
    with pytest.raises(OptionError) as err:
        point_scenarios(base, [{"detention.beds": 60000}, {"detention.beds": 1000}])
    assert err.value.parameter == "vary" and "detention.initial_population" in err.value.message
    (ok,) = point_scenarios(base, [{"dispositions.expedited.share": 0.5}])
    assert np.isclose(sum(d.share.value for d in ok.dispositions.values()), 1.0)


# ------------------------------------------------------------------ the courts (issue 13)

SHARE_COURTS = """extends = "operation-at-large.toml"
name = "courts by share"

[courts]
docket_priority = "share"

[courts.detained_share]
value = 0.3
unit = "fraction"
assumption = true
range = [0.1, 0.6]
rationale = "Test"
"""


CONSTANT_COURTS = ("courts.initial_backlog", "courts.cost_per_completion")
"""Read once (the stock on the start date, a cost rate): a dated value is refused."""


def _court_inputs(sc: Scenario) -> dict[str, object]:
    """What each court parameter and setting becomes in the model's inputs."""
    from atlarge.model.inputs import build_inputs

    inp = build_inputs(sc.with_values({"days": 200}, "a test"))
    return {
        "courts.judges": inp.court_capacity,
        "courts.completions_per_judge_day": inp.court_capacity,
        "courts.detained_share": inp.court_detained_cap,
        "courts.docket_priority": inp.court_detained_cap,
        "courts.initial_backlog": inp.court_backlog0,
        "courts.receipts_per_day": inp.court_receipts,
        "courts.in_absentia_share": inp.in_absentia,
        "courts.removal_order_share": inp.orders_present,
        "courts.pending_group": inp.pending_group,
        "courts.orders_group": inp.orders_group,
        "courts.cost_per_completion": inp.court_cost,
        "policy.expedited_removal_share": inp.path_share,
    }


def _new_value(path: str, p) -> float:
    """A valid value other than ``p``'s (the two order shares stay within 1 together)."""
    if p.unit == "fraction":
        return 0.05 if p.value > 0.1 else 0.5
    return round(p.value * 0.8 + 1, 6)


@pytest.fixture(scope="module")
def share_courts(tmp_path_factory):
    """A file extending operation-at-large.toml whose judges split by a kept share."""
    from tests.conftest import copy_scenarios

    d = tmp_path_factory.mktemp("courts")
    copy_scenarios(d)
    (d / "share.toml").write_text(SHARE_COURTS)
    return d / "share.toml"


@pytest.mark.parametrize("by_share", [False, True])
def test_set_reaches_every_court_parameter_and_setting_down_to_the_model(by_share, share_courts):
    """Every parameter of [courts] and policy.expedited_removal_share, plain and from a
    date, and every court setting: ``--set`` changes what the model reads."""
    file = share_courts if by_share else SCENARIOS / "operation-at-large.toml"
    sc = load_scenario(file)
    before = _court_inputs(sc)
    court_params = {p: v for p, v in iter_params(sc) if p.startswith("courts.")}
    court_params["policy.expedited_removal_share"] = _params(sc)["policy.expedited_removal_share"]
    from atlarge.scenario.schema import Courts

    fields = {f"courts.{k}" for k in Courts.model_fields} | {"policy.expedited_removal_share"}
    assert fields == set(before), "a court field this test does not follow to the model"
    unread = set() if by_share else {"courts.detained_share"}
    assert (
        set(court_params)
        == {p for p in fields if "group" not in p and "priority" not in p} - unread
    )
    later = sc.start_date + dt.timedelta(days=100)
    for path, p in court_params.items():
        for key in (path, f"{path}@{later}"):
            if key.endswith(f"@{later}") and path in CONSTANT_COURTS:
                with pytest.raises(ScenarioError, match="cannot vary over time"):
                    load_scenario(file, set={key: _new_value(path, p)})
                continue
            new = load_scenario(file, set={key: _new_value(path, p)})
            assert new.overrides, key
            assert not np.array_equal(_court_inputs(new)[path], before[path]), key
    other = "detained_first" if by_share else "share"
    sets = {"courts.docket_priority": other, "courts.pending_group": "other_criminal",
            "courts.orders_group": "conviction_and_order"}  # fmt: skip
    if not by_share:  # share needs a detained_share, which only a file can add
        sets.pop("courts.docket_priority")
    new = _court_inputs(load_scenario(file, set=sets))
    for key in sets:
        assert not np.array_equal(new[key], before[key]), key


def test_a_dated_bench_changes_capacity_from_its_date_and_not_before():
    sc = load_scenario(SCENARIOS / "operation-at-large.toml",
                       set={"days": 200, "courts.judges@2025-09-01": 900})  # fmt: skip
    from atlarge.model.inputs import build_inputs

    k = build_inputs(sc).court_capacity
    day = (dt.date(2025, 9, 1) - sc.start_date).days
    per_judge = sc.courts.completions_per_judge_day.value
    assert k[day] == np.floor(900 * per_judge + 1e-9) and k[day - 1] < k[day]
    assert k[day + 70] < k[day]  # the file's later entry (2025-11-01 = 600) still holds
    assert sc.overrides["courts.judges"].schedule[dt.date(2025, 9, 1)] == 900


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("courts.judges", "add [courts], each of its parameters with its unit and source"),
        ("courts", "a change sets values, not whole sections"),
        ("policy.expedited_removal_share", "a parameter needs its unit and source"),
    ],
)
def test_set_cannot_add_the_courts_to_a_scenario_without_them_and_says_why(key, fragment):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, set={key: 800 if key != "policy.expedited_removal_share" else 0.8})
    assert err.value.file == SET_ORIGIN and err.value.path == key
    assert "is not in this scenario" in err.value.message and fragment in err.value.message
    assert "scenario file (one that extends this one)" in err.value.message


def test_share_priority_from_the_command_line_points_to_the_missing_share():
    with pytest.raises(ScenarioError) as err:
        load_scenario(SCENARIOS / "operation-at-large.toml",
                      set={"courts.docket_priority": "share"})  # fmt: skip
    assert err.value.path == "courts.detained_share" and "is needed when" in err.value.message
    with pytest.raises(ScenarioError) as err:
        sets = {"courts.docket_priority": "share", "courts.detained_share": 0.4}
        load_scenario(SCENARIOS / "operation-at-large.toml", set=sets)
    assert "courts.detained_share is not in this scenario" in err.value.message

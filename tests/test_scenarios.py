"""The shipped scenarios: valid, fully sourced, and faithful to the reported figures."""

from __future__ import annotations

import pytest

from atlarge.scenario import iter_params, load_scenario, scenario_sha256
from tests.conftest import BASELINE, NO_GUARD, OPERATION, SCENARIOS, copy_scenarios

ALL = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_parameter_has_unit_and_provenance(path):
    sc = load_scenario(path)
    params = list(iter_params(sc))
    assert len(params) > 60
    for name, p in params:
        assert p.unit.strip(), name
        if p.assumption:
            assert p.range is not None and p.rationale, name
        else:
            assert p.source and (p.source.title or p.source.note), name


def test_operation_carries_the_reported_figures():
    sc = load_scenario(OPERATION)
    wf = sc.workforce
    assert sc.target.arrests_per_day.value == 3000
    assert wf.hsi.headcount.value == 1800
    # 3,000 ICE: 1,800 HSI plus 1,200 ERO officers counted within the ERO headcount.
    assert sc.reported["ice_personnel"].value == 3000
    assert wf.ero.headcount.value >= 3000 - 1800
    assert wf.fbi.headcount.value + wf.dea.headcount.value + wf.usms.headcount.value == 2000
    assert wf.cbp.headcount.value == 500
    assert wf.irs.headcount.value == 250
    assert sc.support.national_guard.headcount.value == 21000
    assert sc.regime.enabled and sc.regime.bottom_fraction.value == pytest.approx(0.10)
    assert sc.regime.ranking == "absolute"  # "lowest 10 percent of monthly arrest numbers"
    # Detailed agents count as taken from their own agencies' missions; ERO does not.
    assert not wf.ero.diverted
    assert all(getattr(wf, a).diverted for a in ("hsi", "fbi", "dea", "usms", "cbp", "irs"))
    # The DOJ split is not reported, so it must be labelled an assumption.
    assert wf.fbi.headcount.assumption and wf.dea.headcount.assumption


def test_no_guard_differs_only_in_the_guard():
    op = load_scenario(OPERATION).model_dump()
    ng = load_scenario(NO_GUARD).model_dump()
    assert ng["support"]["national_guard"]["headcount"]["value"] == 0
    for d in (op, ng):
        d["support"]["national_guard"]["headcount"] = None
        d["name"] = d["description"] = d["extends"] = None  # the chain is one file longer
    assert op == ng


def test_baseline_is_the_fy2024_pipeline():
    sc = load_scenario(BASELINE)
    assert sc.start_date.isoformat() == "2023-10-01" and sc.days == 366
    assert sc.detention.initial_population.value == 37745  # FY2024 ADP
    assert sc.detention.beds.value == 41500
    assert sc.target.arrests_per_day.value == 310
    deployed = {k: a.headcount.value for k, a in sc.workforce.deployed().items()}
    # ERO officers and 287(g) partners only: no federal agents detailed from other agencies,
    # and partners stay on local duty (not diverted).
    assert {k for k, v in deployed.items() if v > 0} == {"ero", "partners_287g"}
    assert not sc.workforce.partners_287g.diverted
    assert sc.support.national_guard.headcount.value == 0
    assert not sc.regime.enabled


def test_set_keeps_the_unit_and_makes_time_varying_values_constant(tmp_path):
    text = (
        OPERATION.read_text()
        .replace(
            'value = 21000\nunit = "troops"\nsource',
            'value = 21000\nunit = "troops"\nschedule = { 2025-07-15 = 21000 }\nsource',
        )
        .replace('value = 21000\nunit = "troops"\nschedule', 'value = 0\nunit = "troops"\nschedule')
    )
    copy_scenarios(tmp_path)
    path = tmp_path / "op.toml"
    path.write_text(text)
    sc = load_scenario(path)
    guard = sc.support.national_guard.headcount
    assert guard.time_varying and guard.at(sc.start_date) == 0
    sc2 = load_scenario(path, set={"support.national_guard.headcount": "5000"})
    g2 = sc2.support.national_guard.headcount
    assert g2.value == 5000 and not g2.time_varying and g2.unit == "troops"
    # The source says who set it and what it was, and keeps the old source whole.
    assert g2.source.note == "set by an override (was 0, then 21,000 from 2025-07-15)"
    assert g2.source.was == guard.source and guard.source.publisher == "NBC News"


def test_hash_depends_on_values_not_layout(tmp_path):
    a = load_scenario(BASELINE)
    copy = tmp_path / "b.toml"
    copy.write_text("# a comment\n\n" + BASELINE.read_text())
    assert scenario_sha256(load_scenario(copy)) == scenario_sha256(a)
    changed = load_scenario(BASELINE, set={"detention.beds": 50000})
    assert scenario_sha256(changed) != scenario_sha256(a)


# ------------------------------------------------ bounds on every parameter (issue 10, item 5)


def test_every_schema_field_holding_a_param_declares_a_bounded_spec():
    from pydantic import BaseModel

    from atlarge.scenario import Param, Scenario
    from atlarge.scenario.params import P, ParamSpec, unbounded_param_fields

    assert unbounded_param_fields(Scenario) == []

    class Forgetful(BaseModel):
        bare: Param
        inner: dict[str, Param] = {}
        fine: P("beds", le=10.0)

    assert unbounded_param_fields(Forgetful) == ["bare", "inner"]
    with pytest.raises(TypeError):
        ParamSpec("beds")  # an upper bound is required
    with pytest.raises(TypeError):
        ParamSpec("beds", le=float("inf"))
    with pytest.raises(TypeError):
        ParamSpec("beds", le=1e300)  # past 2**53 whole numbers are no longer exact


@pytest.mark.parametrize("path", [BASELINE, OPERATION], ids=lambda p: p.name)
def test_every_parameter_refuses_a_value_above_its_bound(path):
    from atlarge.errors import ScenarioError
    from atlarge.scenario.params import iter_param_specs

    specs = list(iter_param_specs(load_scenario(path)))
    assert len(specs) > 60
    for name, p, spec in specs:
        assert spec is not None and spec.le >= max(spec.values_of(p)), name
        with pytest.raises(ScenarioError) as err:
            load_scenario(path, set={name: spec.le * 2 + 1})
        assert err.value.path == name and "above the maximum" in err.value.message, name


def test_a_run_at_the_upper_bounds_counts_exactly():
    """Capacities at their maximum mean 'unlimited', not an overflow to 'full on day 1'."""
    from atlarge.scenario.params import (
        MAX_AGENTS,
        MAX_BEDS,
        MAX_PER_DAY,
        MAX_PER_PERSON_DAY,
        MAX_PERSONS,
        MAX_PERSONS_PER_DAY,
    )
    from atlarge.simulation import simulate

    sc = load_scenario(
        BASELINE,
        set={
            "days": 5,
            "detention.beds": MAX_BEDS,
            "processing.capacity_per_day": MAX_PER_DAY,
            "transport.seats_per_day": MAX_PER_DAY,
            "workforce.ero.headcount": MAX_AGENTS,
            "inflow.border_transfers_per_day": MAX_PERSONS_PER_DAY,
            "groups.conviction_and_order.initial_pool": MAX_PERSONS,
            "groups.no_criminal.replenishment_per_day": MAX_PERSONS_PER_DAY,
            "groups.other_criminal.arrests_per_agent_day": MAX_PER_PERSON_DAY,
        },
    )
    res = simulate(sc, reps=2, seed=3, timeseries="full")
    k = res.summary()["kpis"]
    assert k["day_detention_full"]["share_reached"] == 0.0
    assert k["releases_for_lack_of_beds"]["p95"] == 0
    assert k["arrests_total"]["p50"] > 1e5  # huge pools and effort: a flood of arrests
    for name, series in res.output.series.items():
        assert series.min() >= 0, name
    pools = sum(g.initial_pool.value for g in sc.groups.values())
    assert k["arrests_total"]["p95"] <= pools + 5 * (MAX_PERSONS_PER_DAY + 25 * 3)


def test_pools_that_could_overflow_the_counts_are_refused(tmp_path):
    from atlarge.errors import ScenarioError
    from atlarge.scenario.params import MAX_PERSONS, MAX_PERSONS_PER_DAY

    copy_scenarios(tmp_path)
    group = "\n".join(
        ["[groups.g{i}]", 'label = "g{i}"']
        + [
            f'{field} = {{{{ value = {value}, unit = "{unit}", source = "s" }}}}'
            for field, value, unit in (
                ("initial_pool", "{pool}", "persons"),
                ("replenishment_per_day", "{rep}", "persons/day"),
                ("arrests_per_agent_day", "0.1", "arrests/agent-day"),
                ("effort_share", "0", "fraction"),
            )
        ]
    )
    path = tmp_path / "many.toml"
    for n, ok in ((1, True), (5, False)):
        body = "\n".join(
            group.format(i=i, pool=MAX_PERSONS, rep=MAX_PERSONS_PER_DAY) for i in range(n)
        )
        path.write_text('extends = "baseline-2024.toml"\n' + body + "\n")
        if ok:
            load_scenario(path)
        else:
            with pytest.raises(ScenarioError) as err:
                load_scenario(path)
            assert err.value.path == "groups" and "32-bit" in err.value.message
            assert err.value.file.endswith("many.toml")


# ------------------------------------------------ schedules and the horizon (issue 10, item 7)


def _with_beds_schedule(tmp_path, schedule: str, **extra: str):
    copy_scenarios(tmp_path)
    path = tmp_path / "sched.toml"
    lines = ['extends = "baseline-2024.toml"', *(f"{k} = {v}" for k, v in extra.items())]
    lines += [
        "[detention.beds]",
        "value = 41500",
        'unit = "beds"',
        'source = "a source for the test"',
        f"schedule = {{ {schedule} }}",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_schedule_warnings_name_unused_entries_for_the_horizon(tmp_path):
    from atlarge.scenario.schedules import scenario_warnings

    # Baseline: 2023-10-01 for 366 days (last day 2024-09-30).
    path = _with_beds_schedule(
        tmp_path, "2023-01-01 = 40000, 2023-10-01 = 42000, 2024-03-01 = 45000, 2024-12-01 = 50000"
    )
    sc = load_scenario(path)
    warned = {w.message.split(":")[0]: w for w in scenario_warnings(sc)}
    assert all(w.path == "detention.beds.schedule" for w in warned.values())
    early = warned["schedule entry 2023-10-01 is on or before the start date 2023-10-01"]
    assert "base value 41,500 is never used" in early.message and "2023-01-01" in early.message
    late = [m for m in warned if m.startswith("schedule entry 2024-12-01 after")]
    assert late and "never applied" in warned[late[0]].message
    assert len(warned) == 2
    # A shorter horizon leaves the March entry unused too; a longer one uses December's.
    short = scenario_warnings(sc, days=30)
    assert "2024-03-01, 2024-12-01" in short[-1].message
    assert not [w for w in scenario_warnings(sc, days=500) if "after the last" in w.message]
    # Every shipped scenario is clean.
    for shipped in ALL:
        assert scenario_warnings(load_scenario(shipped)) == [], shipped.name


@pytest.mark.parametrize("when", ["2205-01-01", "1925-01-01"])
def test_schedule_dates_no_run_can_use_are_refused(cli, tmp_path, when):
    path = _with_beds_schedule(tmp_path, f"{when} = 50000")
    res = cli("validate", path)
    assert res.code == 2 and "Traceback" not in res.err
    assert "sched.toml" in res.err and "detention.beds.schedule" in res.err and when in res.err


def test_validate_and_run_print_schedule_warnings_and_summary_keeps_them(cli, tmp_path):
    import json

    path = _with_beds_schedule(tmp_path, "2023-10-05 = 42000")
    res = cli("validate", path)
    assert res.code == 0 and "warning" not in res.err  # within the file's 366 days
    out = tmp_path / "out"
    res = cli("run", path, "--days", "3", "--reps", "2", "--workers", "1", "--out", out, "--quiet")
    assert res.code == 0, res.err
    line = [ln for ln in res.err.splitlines() if ln.startswith("warning:")]
    assert len(line) == 1 and "sched.toml: detention.beds.schedule: " in line[0]
    assert "2023-10-05 after the last simulated day 2023-10-03" in line[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warnings"] == [
        {"path": "detention.beds.schedule", "message": line[0].split("schedule: ", 1)[1]}
    ]
    report = (out / "report.html").read_text()
    assert "id=warnings" in report and "after the last simulated day 2023-10-03" in report


# ------------------------------------------------------------ comments (issue 10, smaller)


def test_comments_quote_the_values_they_describe():
    import re

    op = load_scenario(OPERATION)
    fitted = load_scenario(SCENARIOS / "baseline-2024-fitted.toml")
    text = OPERATION.read_text()
    (ero,) = re.findall(r"inherited ERO headcount \(([\d,]+)", text)
    assert float(ero.replace(",", "")) == op.workforce.ero.headcount.value
    # The operation sets no yield of its own (2025 policy inputs, not a yield multiplier):
    # it has the fitted yields, whose notes quote the baseline's value and the posture.
    base = load_scenario(BASELINE)
    yields = [
        (k, g.arrests_per_agent_day, op.groups[k], base.groups[k]) for k, g in fitted.groups.items()
    ]
    yields.append(
        ("custodial", fitted.custodial.arrests_per_agent_day, op.custodial, base.custodial)
    )
    for key, p, o, b in yields:
        assert p.value == o.arrests_per_agent_day.value, key
        quoted = re.fullmatch(
            r"the baseline's ([\d.]+) times the FY2024 (?:residual )?arrest posture ([\d.]+)",
            p.source.note,
        )
        assert quoted, (key, p.source.note)
        assert float(quoted[1]) == b.arrests_per_agent_day.value, key
        assert p.value == pytest.approx(float(quoted[1]) * float(quoted[2]), rel=1e-3), key

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
            assert p.source and len(p.source) > 20, name


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
    assert {k for k, v in deployed.items() if v > 0} == {"ero"}
    assert sc.support.national_guard.headcount.value == 0
    assert not sc.regime.enabled


def test_set_keeps_the_unit_and_makes_time_varying_values_constant(tmp_path):
    text = (
        OPERATION.read_text()
        .replace(
            'source = "Operation At Large: up to 21,000 National Guard troops in support roles',
            'schedule = { 2025-07-15 = 21000 }\nsource = "Operation At Large: up to 21,000 '
            "National Guard troops in support roles",
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
    assert g2.source.startswith("set as an override (was")


def test_hash_depends_on_values_not_layout(tmp_path):
    a = load_scenario(BASELINE)
    copy = tmp_path / "b.toml"
    copy.write_text("# a comment\n\n" + BASELINE.read_text())
    assert scenario_sha256(load_scenario(copy)) == scenario_sha256(a)
    changed = load_scenario(BASELINE, set={"detention.beds": 50000})
    assert scenario_sha256(changed) != scenario_sha256(a)

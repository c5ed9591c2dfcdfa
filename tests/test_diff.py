"""``atlarge diff``: what differs between two resolved scenarios, and the report's table of
what a scenario changes from the one it extends."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from atlarge.errors import ScenarioError
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.diff import changes_from_parent, diff_scenarios
from atlarge.scenario.loader import load_base
from tests.conftest import BASELINE, FUNDED, NO_GUARD, OPERATION, ROOT, SCENARIOS

SMALL = ROOT / "tests" / "scenarios" / "small-open.toml"


@cache
def operation():
    return load_scenario(OPERATION)


@cache
def param_paths() -> list[str]:
    """Parameters with a non-zero value (a change scales them; zero would stay zero)."""
    return [p for p, param in iter_params(operation()) if param.value > 0]


SETTINGS = [("regime.enabled", False), ("detention.overflow", "release"), ("days", 90)]
"""Settings a change may set too (switches, choices, the horizon)."""


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    picks=st.lists(st.tuples(st.integers(0, 10**6), st.floats(0.5, 0.95)), min_size=1, max_size=4),
    setting=st.one_of(st.none(), st.sampled_from(SETTINGS)),
)
def test_diff_finds_exactly_the_paths_a_change_made(picks, setting):
    a = operation()
    paths = param_paths()
    updates = {}
    values = dict(iter_params(a))
    for i, factor in picks:
        path = paths[i % len(paths)]
        updates[path] = values[path].value * factor
    if setting is not None:
        updates[setting[0]] = setting[1]
    try:
        b = a.with_values(updates, reason="a test")
    except ScenarioError:
        assume(False)  # a change the schema refuses (a consistency rule): not this test's
    d = diff_scenarios(a, b)
    # with_values records every path whose value it changed, shares it rescaled included
    assert d.paths == set(b.overrides)
    assert set(updates) <= d.paths
    for c in d.changes:
        assert c.status == "changed" and "value" in c.differs
        assert c.b.kind == ("setting" if c.path in dict(SETTINGS) else "parameter")
        assert c.b.value == b.overrides[c.path].value
        assert c.a.value == b.overrides[c.path].file_value
    back = diff_scenarios(b, a)
    assert back.paths == d.paths
    assert [(c.path, c.a, c.b) for c in back.changes] == [(c.path, c.b, c.a) for c in d.changes]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_a_scenario_against_itself_has_no_difference(path):
    a, b = load_scenario(path), load_scenario(path)
    d = diff_scenarios(a, b)
    assert not d and d.changes == () and d.sections == ()
    assert d.as_dict()["n_differences"] == 0


def test_diff_is_symmetric_and_names_sections_on_one_side_only():
    base, op = load_scenario(BASELINE), operation()
    d, back = diff_scenarios(base, op), diff_scenarios(op, base)
    assert d.paths == back.paths
    by_path = {c["path"]: c for c in back.as_dict()["changes"]}  # order: each side's own
    assert by_path == {c["path"]: c for c in d.swapped().as_dict()["changes"]}
    assert sorted(back.sections) == sorted(d.swapped().sections)
    assert ("courts", "only_b") in d.sections and ("courts", "only_a") in back.sections
    under = [c for c in d.changes if c.path.startswith("courts.")]
    assert under and all(c.status == "only_b" and c.a is None for c in under)
    judges = next(c for c in under if c.path == "courts.judges")
    assert judges.b.kind == "parameter" and judges.unit == "judges" and judges.b.source


def test_a_parameter_change_names_value_unit_and_both_sources():
    d = diff_scenarios(operation(), load_scenario(NO_GUARD))
    assert d.paths == {"name", "description", "support.national_guard.headcount"}
    guard = next(c for c in d.changes if c.path == "support.national_guard.headcount")
    assert (guard.a.value, guard.b.value, guard.unit) == (21000, 0, "troops")
    assert guard.differs == ("value", "source")
    assert guard.a.source and guard.b.source


def test_a_posterior_only_one_side_has_is_a_section():
    d = diff_scenarios(
        load_scenario(SCENARIOS / "2025-as-implemented.toml"),
        load_scenario(SCENARIOS / "2025-fitted.toml"),
    )
    assert ("posterior", "only_b") in d.sections
    draws = [c for c in d.changes if c.path.startswith("posterior.draws.")]
    assert draws and all(isinstance(c.b.value, list) for c in draws)


def test_the_parent_of_a_file_is_what_it_extends():
    found = changes_from_parent(NO_GUARD)
    assert found.parent == "operation-at-large.toml" and found.problem is None
    assert found.diff.paths == {"name", "description", "support.national_guard.headcount"}
    assert changes_from_parent(BASELINE) is None  # extends nothing


def test_a_list_of_parents_is_their_merge_in_order():
    """operation-at-large-funded extends the operation, then the funding file: its parent
    is both merged as the loader merges them, so only its own keys differ."""
    names, base = load_base(FUNDED)
    assert names == ["operation-at-large.toml", "funding/us-2025.toml"]
    assert base.budget is not None  # from the funding file
    found = changes_from_parent(FUNDED)
    assert found.parent == "operation-at-large.toml + funding/us-2025.toml"
    assert found.diff.paths == {"name", "description"}


def test_the_report_shows_the_changes_from_the_parent(cli, tmp_path):
    out = tmp_path / "run"
    res = cli("run", SMALL, "--reps", "1", "--days", "5", "--quiet", "--workers", "1",
              "--out", out)  # fmt: skip
    assert res.code == 0, res.err
    html = (out / "report.html").read_text()
    start = html.index("id=from-parent")
    section = html[start : html.index("</section>", start)]
    assert "Changes from ../../scenarios/baseline-2024.toml" in section
    expected = changes_from_parent(SMALL).diff
    assert "detention.<wbr>beds" in section and "12,000" in section
    assert section.count("<tr>") == len(expected.changes) + 1  # a row each, and the head


def test_cli_diff_prints_and_writes_json(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    target = tmp_path / "d.json"
    res = cli("diff", OPERATION, NO_GUARD, "--json", target)
    assert res.code == 0, res.err
    assert "support.national_guard.headcount" in res.out
    doc = json.loads(target.read_text())
    assert doc["n_differences"] == 3 and doc["counts"]["changed"] == 3
    guard = next(c for c in doc["changes"] if c["path"].endswith("headcount"))
    assert guard["a"]["value"] == 21000 and guard["b"]["unit"] == "troops"
    same = cli("diff", OPERATION, OPERATION)
    assert same.code == 0 and "No differences" in same.out


def test_cli_diff_names_the_bad_file_and_field(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{OPERATION}"\n[detention.beds]\nvalue = -5\nunit = "beds"\nsource = "x"\n'
    )
    res = cli("diff", OPERATION, bad)
    assert res.code == 2
    assert str(bad) in res.err and "detention.beds" in res.err
    missing = cli("diff", tmp_path / "none.toml", OPERATION)
    assert missing.code == 2 and "none.toml" in missing.err and "not found" in missing.err


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(word=st.sampled_from(["[/x]", "[sic]", "[bold]", "[/]", "[link=x]"]))
def test_cli_diff_prints_brackets_in_scenario_text_as_written(word, cli, tmp_path, monkeypatch):
    """Names, descriptions, values and sources are their authors' words: Rich must not
    read '[sic]' as a style (dropped) or '[/x]' as a closing tag (a crash)."""
    monkeypatch.setenv("COLUMNS", "400")
    other = tmp_path / f"other-{abs(hash(word))}.toml"
    other.write_text(
        f'extends = "{SMALL}"\nname = "Renamed {word}"\ndescription = "Edited {word}"\n'
        f'[detention.beds]\nvalue = 11000\nunit = "beds"\nsource = "A note {word}"\n'
    )
    res = cli("diff", SMALL, other)
    assert res.code == 0, res.err
    assert f"Renamed {word}" in res.out and f"Edited {word}" in res.out
    assert f"A note {word}" in res.out


def test_a_parent_that_is_no_whole_scenario_is_named_as_written(tmp_path):
    """When the merged parent is not a whole scenario alone (no table), it is still named
    by the entries of extends as written, 'a + b', as when it is."""
    (tmp_path / "crowded.toml").write_text(
        f'extends = "{SMALL}"\n[detention.initial_population]\nvalue = 50000\n'
        'unit = "persons"\nsource = "Test: more than the beds"\n'
    )
    (tmp_path / "named.toml").write_text('name = "Renamed"\n')
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = ["crowded.toml", "named.toml"]\n[detention.initial_population]\n'
        'value = 2000\nunit = "persons"\nsource = "Test: fits the beds"\n'
    )
    found = changes_from_parent(child)
    assert found.diff is None and "not a whole scenario alone" in found.problem
    assert found.parent == "crowded.toml + named.toml"

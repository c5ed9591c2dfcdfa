"""Each kind of bad input: exit code 2, one message naming file, field path and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASELINE


@pytest.fixture
def scen(tmp_path):
    """Write a scenario that extends a copy of the baseline with the given TOML lines."""
    (tmp_path / "base.toml").write_text(BASELINE.read_text())

    def make(name: str, *lines: str, extends: bool = True) -> Path:
        path = tmp_path / name
        head = ['extends = "base.toml"'] if extends else []
        path.write_text("\n".join([*head, *lines]) + "\n")
        return path

    return make


def _assert_clean_error(res, *fragments: str) -> None:
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err + res.out
    for f in fragments:
        assert f in res.err, (f, res.err)


def test_unknown_key(cli, scen):
    path = scen("unknown.toml", "[detention]", "bedz = 5")
    _assert_clean_error(cli("validate", path), "unknown.toml", "detention.bedz", "unknown key")


def test_wrong_type(cli, scen):
    path = scen("type.toml", "[detention.beds]", 'value = "lots"', 'unit = "beds"', 'source = "x"')
    _assert_clean_error(cli("validate", path), "type.toml", "detention.beds.value", "valid number")


def test_wrong_unit(cli, scen):
    path = scen("unit.toml", "[detention.beds]", "value = 100", 'unit = "persons"', 'source = "x"')
    _assert_clean_error(
        cli("validate", path), "unit.toml", "detention.beds", "unit is 'persons', expected 'beds'"
    )


def test_negative_capacity(cli, scen):
    path = scen(
        "neg.toml", "[transport.seats_per_day]", "value = -5", 'unit = "seats/day"', 'source = "x"'
    )
    _assert_clean_error(
        cli("validate", path), "neg.toml", "transport.seats_per_day", "below the minimum 0"
    )


def test_shares_that_do_not_sum_to_one(cli, scen):
    path = scen(
        "shares.toml",
        "[dispositions.expedited.share]",
        "value = 0.5",
        'unit = "fraction"',
        'source = "x"',
    )
    _assert_clean_error(
        cli("validate", path), "shares.toml", "dispositions", "must sum to 1, they sum to 0.8"
    )


def test_world_parameter_without_source(cli, scen):
    path = scen("nosource.toml", "[detention.beds]", "value = 100", 'unit = "beds"')
    _assert_clean_error(cli("validate", path), "nosource.toml", "detention.beds", "needs a source")


def test_assumption_without_range(cli, scen):
    path = scen(
        "assume.toml",
        "[detention.beds]",
        "value = 100",
        'unit = "beds"',
        "assumption = true",
        'rationale = "a guess"',
    )
    _assert_clean_error(
        cli("validate", path),
        "assume.toml",
        "detention.beds",
        "an assumption needs a range = [low, high]",
    )


def test_file_that_is_not_toml(cli, scen):
    path = scen("bad.toml", 'name = "x"', "[[[ oops", extends=False)
    _assert_clean_error(cli("validate", path), "bad.toml", "is not valid TOML", "line 2")


def test_extends_cycle(cli, scen):
    scen("b.toml", 'extends = "a.toml"', extends=False)
    a = scen("a.toml", 'extends = "b.toml"', extends=False)
    _assert_clean_error(
        cli("validate", a), "a.toml", "extends", "cycle: a.toml -> b.toml -> a.toml"
    )


def test_extends_missing_file(cli, scen):
    path = scen("orphan.toml", 'extends = "nowhere.toml"', extends=False)
    _assert_clean_error(cli("validate", path), "orphan.toml", "extends", "does not exist")


def test_set_path_that_does_not_exist(cli):
    res = cli("validate", BASELINE, "--set", "detention.bedz=5")
    _assert_clean_error(
        res, "--set", "detention.bedz", "no such parameter", "did you mean 'detention.beds'"
    )


def test_set_value_of_the_wrong_kind(cli):
    _assert_clean_error(
        cli("validate", BASELINE, "--set", "detention.beds=lots"),
        "--set",
        "detention.beds",
        "expects a number",
    )
    _assert_clean_error(
        cli("validate", BASELINE, "--set", "detention.beds=-3"),
        "--set",
        "detention.beds",
        "below the minimum",
    )
    _assert_clean_error(
        cli("validate", BASELINE, "--set", "detention.overflow=sideways"),
        "--set",
        "detention.overflow",
    )
    _assert_clean_error(
        cli("validate", BASELINE, "--set", "nonsense"), "--set", "expected PATH=VALUE"
    )


def test_inconsistent_values_name_the_field(cli):
    res = cli("validate", BASELINE, "--set", "detention.initial_population=50000")
    _assert_clean_error(res, "detention.initial_population", "exceeds detention.beds")


def test_zero_replications(cli, tmp_path):
    res = cli("run", BASELINE, "--reps", "0", "--out", tmp_path / "o")
    assert res.code == 2
    assert "--reps" in res.err and "Traceback" not in res.err
    assert not (tmp_path / "o").exists()


def test_missing_scenario_file(cli, tmp_path):
    _assert_clean_error(cli("validate", tmp_path / "nope.toml"), "nope.toml", "file not found")


def test_output_folder_that_is_not_ours_is_refused(cli, tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("do not delete")
    res = cli("run", BASELINE, "--reps", "1", "--days", "3", "--out", precious)
    _assert_clean_error(res, "--out", "refusing to replace it")
    assert (precious / "chapter1.tex").read_text() == "do not delete"


def test_serve_refuses_a_db_that_is_not_a_results_store(cli, tmp_path):
    notes = tmp_path / "notes.duckdb"
    notes.write_text("not a database\n")
    _assert_clean_error(cli("serve", "--db", notes), "--db", "notes.duckdb", "not a results store")
    assert notes.read_text() == "not a database\n"  # left as it was

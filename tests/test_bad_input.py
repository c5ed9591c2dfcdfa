"""Each kind of bad input: exit code 2, one message naming file, field path and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASELINE, OPERATION


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


# ---------------------------------------------------------- strict types (issue 10, item 6)

BEDS = ["[detention.beds]", 'unit = "beds"']
SOURCED = [*BEDS, 'source = "x"']
STRICT_CASES = {
    # name: (lines of a file extending the baseline, field path the error names)
    "bool as number": ([*SOURCED, "value = true"], "detention.beds.value"),
    "string as number": ([*SOURCED, 'value = "41500"'], "detention.beds.value"),
    "string as flag": (["[regime]", 'enabled = "no"'], "regime.enabled"),
    "number as flag": (["[regime]", "enabled = 1"], "regime.enabled"),
    "float as whole days": (["days = 365.0"], "days"),
    "bool as whole days": (["days = true"], "days"),
    "string as date": (['start_date = "2023-10-01"'], "start_date"),
    "date-time as date": (["start_date = 2023-10-01T00:00:00"], "start_date"),
    "number as text": (["name = 5"], "name"),
    "bool as version": (["schema_version = true"], "schema_version"),
    "bool as choice": (["[detention]", "overflow = true"], "detention.overflow"),
    "number as source": ([*BEDS, "value = 100", "source = 5"], "detention.beds.source"),
    "bool in a range": ([*SOURCED, "value = 100", "range = [true, 200]"], "detention.beds.range"),
    "string in a schedule": (
        [*SOURCED, "value = 100", 'schedule = { 2024-01-01 = "5" }'],
        "detention.beds.schedule",
    ),
    "schedule key not a date": (
        [*SOURCED, "value = 100", "schedule = { 20240101 = 5 }"],
        "detention.beds.schedule",
    ),
    "string as assumption flag": (
        [*SOURCED, "value = 100", 'assumption = "yes"'],
        "detention.beds.assumption",
    ),
    "number as office code": (["[offices]", "include = [1]"], "offices.include"),
}


@pytest.mark.parametrize("case", STRICT_CASES, ids=str)
def test_types_are_strict_in_files(cli, scen, case):
    lines, field = STRICT_CASES[case]
    path = scen("strict.toml", *lines)
    _assert_clean_error(cli("validate", path), "strict.toml", field)


@pytest.mark.parametrize(
    ("setting", "ok"),
    [
        ("regime.enabled=no", False),
        ("regime.enabled=1", False),
        ('regime.enabled="false"', False),
        ("regime.enabled=false", True),
        ('detention.beds="41500"', False),
        ("detention.beds=true", False),
        ("detention.beds=41500", True),
        ("days=60.0", False),
        ("days=60", True),
        ("detention.overflow=release", True),
        ("start_date=2023-10-01", True),
        ('start_date="2023-10-01"', False),
    ],
)
def test_set_values_are_read_as_toml_and_typed_strictly(cli, setting, ok):
    res = cli("validate", BASELINE, "--set", setting)
    if ok:
        assert res.code == 0, res.err
    else:
        _assert_clean_error(res, "command line (--set)", setting.split("=")[0])


# ------------------------------------------------- origin attribution (issue 10, item 6)


def test_an_error_names_the_file_that_supplied_the_offending_table(cli, scen):
    # A child that replaces a parameter table with a bad one.
    bad = scen("child.toml", "[detention.beds]", "value = true", 'unit = "beds"', 'source = "x"')
    _assert_clean_error(cli("validate", bad), "child.toml", "detention.beds.value")
    # A child that writes a partial table over an inherited parameter: it replaced the table.
    part = scen("partial.toml", "[detention.beds]", "range = [1, 2]")
    _assert_clean_error(cli("validate", part), "partial.toml", "detention.beds.value", "missing")
    # A child that adds a key to an inherited section.
    add = scen("adds.toml", "[regime]", 'enabled = "no"')
    _assert_clean_error(cli("validate", add), "adds.toml", "regime.enabled")


def test_a_consistency_error_names_the_file_that_made_the_fields_disagree(cli, scen):
    # The starting population comes from the base, the beds from the child: blame the child.
    few = ["[detention.beds]", "value = 100", 'unit = "beds"', 'source = "x"']
    path = scen("fewbeds.toml", *few)
    res = cli("validate", path)
    _assert_clean_error(res, "fewbeds.toml", "detention.initial_population", "exceeds")
    assert "base.toml" not in res.err
    # Two levels down, a grandchild that changes nothing relevant is not blamed either.
    leaf = scen("leaf.toml", 'extends = "fewbeds.toml"', 'name = "leaf"', extends=False)
    res = cli("validate", leaf)
    _assert_clean_error(res, "fewbeds.toml", "detention.initial_population")
    # An override is the most derived origin of all.
    res = cli("validate", BASELINE, "--set", "detention.beds=100")
    _assert_clean_error(res, "command line (--set)", "detention.initial_population")


# ----------------------------------------- physical upper bounds (issue 10, items 5 and 8)


@pytest.mark.parametrize("value", ["1e19", "1e308", "9223372036854775808", "inf", "-inf", "nan"])
def test_values_past_a_physical_bound_are_refused_with_the_bound(cli, value):
    res = cli("validate", BASELINE, "--set", f"detention.beds={value}")
    _assert_clean_error(res, "command line (--set)", "detention.beds")
    if value in ("1e19", "1e308", "9223372036854775808"):
        assert "above the maximum 10,000,000 (beds)" in res.err


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        (["value = 1e308"], "detention.beds"),
        (["value = 100000", "schedule = { 2024-01-01 = 1e19 }"], "detention.beds"),
        (
            ["value = 100000", "assumption = true", 'rationale = "r"', "range = [0, 1e19]"],
            "detention.beds",
        ),
    ],
    ids=["value", "schedule", "range"],
)
def test_values_schedules_and_ranges_in_files_are_bounded(cli, scen, lines, field):
    head = ["[detention.beds]", 'unit = "beds"', 'source = "a source"']
    res = cli("validate", scen("huge.toml", *head, *lines))
    _assert_clean_error(res, "huge.toml", field, "above the maximum 10,000,000")


def test_a_number_with_thousands_of_digits_is_a_clean_error(cli, scen):
    digits = "1" + "0" * 60_000
    res = cli("validate", BASELINE, "--set", f"detention.beds={digits}")
    _assert_clean_error(res, "command line (--set)", "detention.beds", "60,001 digits")
    assert len(res.err) < 300  # the number is not echoed back
    res = cli("validate", BASELINE, "--set", f"days={digits}")
    _assert_clean_error(res, "command line (--set)", "days")
    path = scen("digits.toml", "[detention.beds]", f"value = {digits}", 'unit = "beds"')
    res = cli("validate", path)
    _assert_clean_error(res, "digits.toml", "thousands of digits", "line 3")


def test_huge_numbers_through_the_python_api_name_the_path():
    from atlarge.errors import ScenarioError
    from atlarge.scenario import load_scenario

    for value in ("1" + "0" * 60_000, 10**5000, 10**400, 1e308, float("nan")):
        for path in ("detention.beds", "days", "regime.enabled", "target.arrests_per_day"):
            with pytest.raises(ScenarioError) as err:
                load_scenario(BASELINE, set={path: value})
            assert err.value.path == path, (path, err.value)
            assert len(str(err.value)) < 300


# ----------------------------------------- scenario files read with limits (issue 10, item 2)


def _validate_in_subprocess(path: Path, timeout: float = 30):
    """``atlarge validate PATH`` in a child process, so that a hang fails instead of blocking."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "atlarge.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_devices_are_refused_without_reading_them(cli, scen):
    _assert_clean_error(cli("validate", "/dev/zero"), "/dev/zero", "not a regular file")
    path = scen("zero.toml", 'extends = "/dev/zero"', extends=False)
    _assert_clean_error(cli("validate", path), "/dev/zero", "not a regular file")


def test_a_fifo_is_refused_without_waiting_for_a_writer(scen, tmp_path):
    import os

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    proc = _validate_in_subprocess(fifo)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr
    proc = _validate_in_subprocess(scen("viafifo.toml", 'extends = "pipe.toml"', extends=False))
    assert proc.returncode == 2 and "pipe.toml" in proc.stderr, proc.stderr


def test_files_over_the_size_cap_are_refused_and_files_under_it_load(cli, scen, tmp_path):
    from atlarge.scenario.loader import MAX_FILE_BYTES

    text = BASELINE.read_text()
    pad = MAX_FILE_BYTES - len(text.encode())
    ok = tmp_path / "padded.toml"
    ok.write_text("#" * (pad - 1) + "\n" + text)
    assert ok.stat().st_size == MAX_FILE_BYTES
    assert cli("validate", ok).code == 0
    big = tmp_path / "big.toml"
    big.write_text("#" * pad + "\n" + text)
    _assert_clean_error(cli("validate", big), "big.toml", "1 MiB")


def test_extends_chains_and_nesting_are_capped(cli, scen):
    from atlarge.scenario.loader import MAX_EXTENDS, MAX_NESTING

    # A chain: c{i} extends c{i-1} ... c0 extends base.toml.
    for i in range(MAX_EXTENDS - 1):
        below = "base.toml" if i == 0 else f"c{i - 1}.toml"
        scen(f"c{i}.toml", f'extends = "{below}"', extends=False)
    longest = f'extends = "c{MAX_EXTENDS - 3}.toml"'  # top + c(MAX-3)..c0 + base: MAX files
    assert cli("validate", scen("top.toml", longest, extends=False)).code == 0
    res = cli("validate", scen("over.toml", f'extends = "c{MAX_EXTENDS - 2}.toml"', extends=False))
    _assert_clean_error(res, "extends", f"longer than {MAX_EXTENDS} files")
    deep = scen("deep.toml", "x = " + "[" * (MAX_NESTING + 2) + "]" * (MAX_NESTING + 2))
    _assert_clean_error(cli("validate", deep), "deep.toml", f"at most {MAX_NESTING}")
    deeper = scen("deeper.toml", "x = " + "[" * 200_000 + "]" * 200_000)
    _assert_clean_error(cli("validate", deeper), "deeper.toml", "nest too deep")


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


# ------------------------------------------------------------------ immigration courts

COURTS = {
    "judges": ("700", "judges"),
    "completions_per_judge_day": ("3.5", "cases/judge-day"),
    "initial_backlog": ("1000", "cases"),
    "receipts_per_day": ("10", "cases/day"),
    "in_absentia_share": ("0.25", "fraction"),
    "removal_order_share": ("0.13", "fraction"),
    "cost_per_completion": ("1495", "USD/case"),
}


def courts_lines(settings: dict[str, str] | None = None, **params: tuple[str, str]) -> list[str]:
    """A whole ``[courts]`` section as TOML lines: settings (TOML values) and parameters
    (value, unit) replaced where given; a setting given as None is left out."""
    table = {
        "docket_priority": '"detained_first"',
        "pending_group": '"no_criminal"',
        "orders_group": '"other_criminal"',
        **(settings or {}),
    }
    lines = ["[courts]", *(f"{k} = {v}" for k, v in table.items() if v is not None)]
    for name, (value, unit) in {**COURTS, **params}.items():
        lines += [f"[courts.{name}]", f"value = {value}", f'unit = "{unit}"', 'source = "x"']
    return lines


def test_a_whole_courts_section_is_valid(cli, scen):
    res = cli("validate", scen("courts.toml", *courts_lines()))
    assert res.code == 0, res.err


@pytest.mark.parametrize(
    ("settings", "params", "field", "fragment"),
    [
        ({"pending_group": '"nobody"'}, {}, "courts.pending_group", "unknown priority group"),
        ({"orders_group": '"nobody"'}, {}, "courts.orders_group", "unknown priority group"),
        ({"orders_group": None}, {}, "courts.orders_group", "missing required field"),
        ({"docket_priority": '"share"'}, {}, "courts.detained_share", "is needed when"),
        ({"docket_priority": '"fifo"'}, {}, "courts.docket_priority", "'detained_first' or"),
        ({}, {"removal_order_share": ("0.8", "fraction")}, "courts.removal_order_share",
         "together they must be at most 1"),
        ({}, {"judges": ("-1", "judges")}, "courts.judges", "below the minimum 0"),
        ({}, {"judges": ("1e9", "judges")}, "courts.judges", "above the maximum 100,000"),
        ({}, {"judges": ("700", "persons")}, "courts.judges", "expected 'judges'"),
        ({}, {"completions_per_judge_day": ("-0.5", "cases/judge-day")},
         "courts.completions_per_judge_day", "below the minimum 0"),
        ({}, {"initial_backlog": ("1000", "persons")}, "courts.initial_backlog",
         "expected 'cases'"),
        ({}, {"in_absentia_share": ("1.5", "fraction")}, "courts.in_absentia_share",
         "above the maximum 1"),
        ({"docket_priority": '"share"'}, {"detained_share": ("0.5", "percent")},
         "courts.detained_share", "expected 'fraction'"),
    ],
)  # fmt: skip
def test_bad_courts_sections_name_the_file_and_the_field(
    cli, scen, settings, params, field, fragment
):
    path = scen("badcourts.toml", *courts_lines(settings, **params))
    _assert_clean_error(cli("validate", path), "badcourts.toml", field, fragment)


def test_shares_of_orders_count_their_range_ends(cli, scen):
    """Values that fit with ranges that do not: a draw could exceed 1, so refused."""
    lines = courts_lines()
    at = lines.index("[courts.in_absentia_share]")
    lines[at + 3] = 'assumption = true\nrange = [0.2, 0.9]\nrationale = "a guess"'
    path = scen("ranges.toml", *lines)
    _assert_clean_error(
        cli("validate", path), "ranges.toml", "courts.removal_order_share", "range ends"
    )


@pytest.mark.parametrize(
    ("lines", "field", "fragment"),
    [
        (["[dispositions.expedited]", 'court = "pending"'], "dispositions.expedited",
         "court = 'pending' marks a release"),
        (["[dispositions.released_early]", "expedited = true"], "dispositions.released_early",
         "only a path whose outcome is removal can be expedited"),
        (["[dispositions.court_removal]", "expedited = true"], "dispositions.court_removal",
         "cannot be court = 'detained'"),
        (["[dispositions.expedited]", 'court = "sometimes"'], "dispositions.expedited.court",
         "'detained' or 'pending'"),
        (["[dispositions.expedited]", "expedited = false", "[policy.expedited_removal_share]",
          "value = 0.8", 'unit = "fraction"', 'source = "x"'],
         "policy.expedited_removal_share", "needs a path marked expedited = true"),
        (["[policy.expedited_removal_share]", "value = 1.2", 'unit = "fraction"', 'source = "x"'],
         "policy.expedited_removal_share", "above the maximum 1"),
        (["[policy.expedited_removal_share]", "value = 0.5", 'unit = "percent"', 'source = "x"'],
         "policy.expedited_removal_share", "expected 'fraction'"),
    ],
)  # fmt: skip
def test_bad_court_and_expedited_flags_name_the_file_and_the_path(
    cli, scen, lines, field, fragment
):
    path = scen("flags.toml", *lines)
    _assert_clean_error(cli("validate", path), "flags.toml", field, fragment)


def test_an_expedited_scope_below_one_needs_a_path_that_is_not_expedited(cli, scen):
    lines = [f"[dispositions.{k}]\nshare = {{ value = {s}, unit = \"fraction\", source = \"x\" }}"
             for k, s in [("expedited", 1.0), ("court_removal", 0), ("court_relief", 0),
                          ("voluntary_departure", 0), ("released_early", 0)]]  # fmt: skip
    lines += ["[policy.expedited_removal_share]", "value = 0.5", 'unit = "fraction"']
    path = scen("allfast.toml", *lines, 'source = "x"')
    _assert_clean_error(
        cli("validate", path), "allfast.toml", "policy.expedited_removal_share",
        "every path with a share is expedited",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("setting", "field", "fragment"),
    [
        ("courts.pending_group=nobody", "courts.pending_group", "unknown priority group"),
        ("courts.docket_priority=share", "courts.detained_share", "is needed when"),
        ("courts.docket_priority=fifo", "courts.docket_priority", "'detained_first' or"),
        ("courts.in_absentia_share=0.9", "courts.removal_order_share", "at most 1"),
        ("courts.judges=-1", "courts.judges", "below the minimum 0"),
        ("courts.judges@2025-09-01=200000", "courts.judges@2025-09-01", "above the maximum"),
        ("courts.completions_per_judge_day=lots", "courts.completions_per_judge_day",
         "expects a number"),
        ("dispositions.expedited.court=pending", "dispositions.expedited",
         "court = 'pending' marks a release"),
        ("dispositions.released_early.expedited=true", "dispositions.released_early",
         "can be expedited"),
        ("policy.expedited_removal_share=2", "policy.expedited_removal_share",
         "above the maximum 1"),
        ("courts.initial_backlog@2025-09-01=5", "courts.initial_backlog@2025-09-01",
         "cannot vary over time"),
    ],
)  # fmt: skip
def test_bad_court_values_from_the_command_line_name_set_and_the_field(
    cli, setting, field, fragment
):
    res = cli("validate", OPERATION, "--set", setting)
    _assert_clean_error(res, "--set", field, fragment)


def test_mandatory_detention_needs_a_path_on_every_day_of_the_expedited_scope(cli, scen):
    """Only expedited paths are not discretionary: when the scope can be 0 (its range's low
    end, which a draw may reach) those held under mandatory detention have no path."""
    lines = [f"[dispositions.{k}]\nshare = {{ value = {s}, unit = \"fraction\", source = \"x\" }}"
             for k, s in [("expedited", 0.7), ("court_removal", 0), ("court_relief", 0),
                          ("voluntary_departure", 0), ("released_early", 0.3)]]  # fmt: skip
    lines += ["[policy.expedited_removal_share]", "value = 0.5", 'unit = "fraction"',
              "assumption = true", "range = [0.0, 0.9]", 'rationale = "a guess"',
              "[policy.mandatory_detention_share]", "value = 0.5", 'unit = "fraction"',
              'source = "x"']  # fmt: skip
    path = scen("noway.toml", *lines)
    _assert_clean_error(
        cli("validate", path), "noway.toml", "policy.mandatory_detention_share",
        "nobody takes an expedited path",
    )  # fmt: skip


# ------------------------------------------------------------------ money (issue 14)


def _param_lines(table: str, value: str, unit: str, *extra: str) -> list[str]:
    return [f"[{table}]", f"value = {value}", f'unit = "{unit}"', 'source = "x"', *extra]


def money_lines(**change: str) -> list[str]:
    """``[budget]``, ``[procurement]`` and ``[hiring]`` as TOML lines: a valid whole that
    each case breaks in one place (``change`` replaces a default by its key)."""
    v = {
        "on_exhausted": '"stop"',
        "beds_purposes": '["detention"]',
        "staff_purposes": '["enforcement_staff"]',
        "beds_until": "2024-09-30",
        "beds_amount": "1e9",
        "beds_amount_extra": "",
        "proc_line": '"beds"',
        "bed_cost": "200",
        "hiring_line": '"staff"',
        "agency": '"ero"',
        "attrition": "0.08",
        **change,
    }
    extra = [v["beds_amount_extra"]] if v["beds_amount_extra"] else []
    lines = ["[budget]", f"on_exhausted = {v['on_exhausted']}"]
    for key, purposes, until, amount, more in (
        ("beds", v["beds_purposes"], v["beds_until"], v["beds_amount"], extra),
        ("staff", v["staff_purposes"], "2024-09-30", "1e9", []),
    ):
        lines += [f"[budget.lines.{key}]", f'label = "{key}"', f"purposes = {purposes}",
                  "available_from = 2023-10-01", f"available_until = {until}"]  # fmt: skip
        lines += _param_lines(f"budget.lines.{key}.amount", amount, "USD", *more)
    lines += ["[procurement]", f"funding_line = {v['proc_line']}", 'placement = "population"',
              "[procurement.kinds.tents]", 'label = "Tents"']  # fmt: skip
    kind = "procurement.kinds.tents"
    lines += _param_lines(f"{kind}.lead_days", "30", "days")
    lines += _param_lines(f"{kind}.cost_per_bed_day", v["bed_cost"], "USD/bed-day")
    lines += _param_lines(f"{kind}.max_added_per_month", "1000", "beds/month")
    lines += ["[hiring]", f"funding_line = {v['hiring_line']}", f"agency = {v['agency']}"]
    for name, value, unit in (
        ("positions", "1000", "agents"),
        ("academy_seats_per_month", "200", "agents/month"),
        ("applicants_per_month", "400", "agents/month"),
        ("academy_days", "60", "days"),
        ("attrition_per_year", v["attrition"], "fraction"),
        ("ramp_days", "90", "days"),
        ("cost_per_hire", "50000", "USD/hire"),
    ):
        lines += _param_lines(f"hiring.{name}", value, unit)
    return lines


def test_a_whole_money_section_is_valid(cli, scen):
    res = cli("validate", scen("money.toml", *money_lines()))
    assert res.code == 0, res.err


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"beds_purposes": '["lunch"]'}, "budget.lines.beds.purposes.0", "(got 'lunch')"),
        ({"beds_purposes": '["new_hires"]'}, "budget.lines.beds.purposes.0",
         "(got 'new_hires')"),
        ({"beds_purposes": '["detention", "detention"]'}, "budget.lines.beds.purposes",
         "lists a purpose twice"),
        ({"beds_until": "2023-09-30"}, "budget.lines.beds",
         "available_until 2023-09-30 is before available_from 2023-10-01"),
        ({"beds_amount": "-5"}, "budget.lines.beds.amount", "below the minimum 0"),
        ({"beds_amount": "1e14"}, "budget.lines.beds.amount",
         "above the maximum 10,000,000,000,000"),
        ({"beds_amount_extra": "schedule = { 2024-01-01 = 5e8 }"}, "budget.lines.beds.amount",
         "cannot vary over time"),
        ({"on_exhausted": '"later"'}, "budget.on_exhausted", "'overspend' or 'stop'"),
        ({"beds_purposes": '["detention", "court"]'},
         "budget.lines.beds.purposes", "may not pay for court"),
        ({"staff_purposes": '["enforcement_staff", "detention"]'},
         "budget.lines.staff.purposes", "not both"),
        ({"proc_line": '"tents"'}, "procurement.funding_line",
         "no budget line 'tents'; lines: beds, staff"),
        ({"proc_line": '"staff"'}, "procurement.funding_line",
         "pays for enforcement_staff, not for what procurement buys (detention)"),
        ({"agency": '"nasa"'}, "hiring.agency", "'nasa' is not a deployed agency"),
        ({"agency": '"fbi"'}, "hiring.agency",
         "'fbi' is detailed from another agency's mission (diverted = true)"),
        ({"hiring_line": '"beds"'}, "hiring.funding_line",
         "pays for detention, not for what hiring buys"),
        ({"bed_cost": "0"}, "procurement.kinds.tents.cost_per_bed_day", "must be above 0"),
        ({"attrition": "1"}, "hiring.attrition_per_year", "above the maximum 0.99"),
    ],
)  # fmt: skip
def test_bad_money_sections_name_the_file_and_the_field(cli, scen, change, field, fragment):
    path = scen("badmoney.toml", *money_lines(**change))
    _assert_clean_error(cli("validate", path), "badmoney.toml", field, fragment)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"beds_purposes": '["detention", "court"]'}, "may not pay for court"),
        ({"staff_purposes": '["enforcement_staff", "detention"]'}, "not both"),
    ],
)
def test_stop_refuses_lines_it_cannot_hold_back(cli, scen, change, fragment):
    """Only stop has to hold the spending back: overspend accepts the lines stop refuses."""
    path = scen("stopmoney.toml", *money_lines(**change))
    key = "beds" if "beds_purposes" in change else "staff"
    res = cli("validate", path)
    _assert_clean_error(res, "stopmoney.toml", f"budget.lines.{key}.purposes", fragment)
    ok = scen("overspend.toml", *money_lines(on_exhausted='"overspend"', **change))
    assert cli("validate", ok).code == 0


def test_a_plan_without_a_budget_names_its_funding_line(cli, scen):
    lines = money_lines()
    path = scen("nobudget.toml", *lines[lines.index("[procurement]") :])
    _assert_clean_error(
        cli("validate", path), "nobudget.toml", "procurement.funding_line", "[budget] absent"
    )

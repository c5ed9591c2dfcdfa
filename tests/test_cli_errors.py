"""Every command's options with bad values: exit 0 or 2, never 1, never a traceback.

Each command runs in-process through the real entry point up to the point where
the work would start (the model, the backtest, the server), which is replaced by a
stub: what is checked is that every value is either refused up front, with one
line naming the option, or accepted. Values that cannot be right (a folder where a
file goes, a path under a file, a number out of range) must be refused.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SCENARIOS

SMALL = ROOT / "tests" / "scenarios" / "small-open.toml"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUGE = str(10**30)
class Reached(BaseException):
    """The command got past its checks to the work itself (the value was accepted)."""


@pytest.fixture
def stubbed(monkeypatch, cli):
    """``cli`` with the heavy work of every command replaced by :class:`Reached`."""
    import uvicorn

    import atlarge.analysis.backtest_run as backtest_run
    import atlarge.reference.bench as bench
    import atlarge.runs.sweep as sweep
    import atlarge.simulation as simulation

    def reached(*_a, **_k):
        raise Reached

    monkeypatch.setattr(simulation, "run_model", reached)
    monkeypatch.setattr(sweep, "executor_for", reached)
    monkeypatch.setattr(backtest_run, "run_backtest", reached)
    monkeypatch.setattr(backtest_run, "run_calibration", reached)
    monkeypatch.setattr(bench, "run_bench", reached)
    monkeypatch.setattr(uvicorn, "run", reached)
    monkeypatch.delenv("ATLARGE_TOKEN", raising=False)

    def run(*args):
        try:
            return cli(*args)
        except Reached:
            return None  # accepted

    return run


@pytest.fixture
def paths(tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("not for atlarge\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep\n")
    return {
        "folder": folder,
        "file": afile,
        "missing": tmp_path / "missing" / "nothing.toml",
        "under a file": afile / "sub",
        "dev null": "/dev/null",
    }


# Each command: the arguments that make it valid, and its options by kind.
COMMANDS = {
    "validate": {"args": [SMALL], "scenario_arg": True},
    "run": {
        "args": [SMALL, "--days", "5", "--reps", "1", "--quiet"],
        "scenario_arg": True,
        "ints": ["--reps", "--seed", "--days", "--workers", "--inner"],
        "folders_out": ["--out"],
        "files_in": ["--sensitivity"],
    },
    "bench": {
        "args": ["--quick", "--scenario", SCENARIOS / "baseline-2024.toml"],
        "files_in": ["--scenario"],
        "files_out": ["--json"],
    },
    "calibrate": {
        "args": ["--scenario", SCENARIOS / "baseline-2024.toml"],
        "ints": ["--reps", "--seed", "--iterations"],
        "files_in": ["--scenario"],
        "files_out": ["--out", "--scenario-out"],
    },
    "backtest": {
        "args": ["--scenario", SCENARIOS / "baseline-2024.toml"],
        "ints": ["--reps", "--seed"],
        "files_in": ["--scenario", "--calibration"],
        "folders_out": ["--out"],
    },
    "sweep": {
        "args": [SMALL, "--vary", "detention.beds=10000:12000:2", "--quiet"],
        "scenario_arg": True,
        "ints": ["--samples", "--reps", "--seed", "--workers", "--inner"],
        "stores": ["--db"],
    },
    "sensitivity": {
        "args": [SMALL, "--vary", "detention.beds=10000:12000", "--quiet"],
        "scenario_arg": True,
        "ints": ["--samples", "--reps", "--seed", "--workers"],
        "stores": ["--db"],
        "folders_out": ["--out"],
    },
    "serve": {
        "args": ["--scenarios", SCENARIOS, "--port", str(free_port())],
        "ints": ["--port", "--max-jobs", "--max-cells"],
        "folders_in": ["--scenarios"],
        "stores": ["--db"],
        "files_in": ["--token-file"],
    },
    "diff": {"args": [SMALL, SMALL], "scenario_arg": True, "files_out": ["--json"]},
    "compare": {"args": ["run-a", "run-b"], "folders_out": ["--out"]},
    "results list": {"args": [], "stores_in": ["--db"]},
    "results compare": {"args": ["abc", "def"], "stores_in": ["--db"]},
}
# Where a value cannot be right: each kind of option and the values it must refuse.
MUST_REFUSE = {
    "files_in": ["folder", "missing", "under a file"],
    "files_out": ["folder", "under a file"],
    "folders_in": ["file", "missing", "under a file"],
    "folders_out": ["file", "under a file"],
    "stores": ["folder", "file", "under a file", "dev null"],
    "stores_in": ["folder", "file", "missing", "under a file", "dev null"],
}
def _cases():
    for command, spec in COMMANDS.items():
        for kind, refused in MUST_REFUSE.items():
            for option in spec.get(kind, []):
                for what in refused:
                    name = f"{command} {option} {what}"
                    yield pytest.param(command, option, what, id=name)


def _argv(command, option, value):
    spec = COMMANDS[command]
    args = list(spec["args"])
    if option in args:  # replace the default given above
        i = args.index(option)
        del args[i : i + 2]
    return [*command.split(), *args, option, value]


def _assert_clean_refusal(res, option):
    assert res is not None, f"{option}: accepted, should be refused"
    assert res.code == 2, (res.code, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert option in res.err or option.lstrip("-") in res.err, res.err


def _is_own_error(err: str) -> bool:
    return not err.lstrip().startswith("Usage:")


@pytest.mark.parametrize(("command", "option", "what"), list(_cases()))
def test_a_path_that_cannot_be_right_is_refused_naming_the_option(
    stubbed, paths, tmp_path, monkeypatch, command, option, what
):
    monkeypatch.chdir(tmp_path)
    before = sorted(p for p in tmp_path.rglob("*"))
    res = stubbed(*_argv(command, option, paths[what]))
    _assert_clean_refusal(res, option)
    if _is_own_error(res.err):
        assert len(res.err.strip().splitlines()) == 1, res.err
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written
    assert paths["file"].read_text() == "not for atlarge\n"


@pytest.mark.parametrize("command", [c for c, s in COMMANDS.items() if s.get("scenario_arg")])
@pytest.mark.parametrize("what", ["folder", "missing", "under a file", "dev null", "file"])
def test_a_scenario_argument_that_is_not_a_scenario_is_refused(stubbed, paths, command, what):
    args = [*command.split(), paths[what], *COMMANDS[command]["args"][1:]]
    res = stubbed(*args)
    assert res is not None and res.code == 2, res and res.err
    assert "Traceback" not in res.err and "internal error" not in res.err


INT_OPTIONS = [(c, o) for c, s in COMMANDS.items() for o in s.get("ints", [])]


@pytest.mark.parametrize(("command", "option"), INT_OPTIONS)
@pytest.mark.parametrize("value", ["-1", "0", HUGE, "abc", "1.5", ""])
def test_numbers_out_of_range_are_refused_or_accepted_never_internal(
    stubbed, tmp_path, monkeypatch, command, option, value
):
    monkeypatch.chdir(tmp_path)
    res = stubbed(*_argv(command, option, value))
    if res is None:  # accepted (e.g. --seed 0): the work would start
        assert value not in (HUGE, "abc", "1.5", ""), f"{command} {option} {value} accepted"
        return
    assert res.code in (0, 2), (res.code, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    if res.code == 2:
        assert option in res.err, res.err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", SMALL, "--days", "100000"], "--days"),
        (["run", SMALL, "--days", "3651"], "--days"),
        (["run", SMALL, "--seed", str(2**63)], "--seed"),
        (["sweep", SMALL, "--vary", "detention.beds=1:2:100000000"], "--vary"),
        (["sweep", SMALL, "--vary", "detention.beds=1:2", "--design", "lhs", "--samples", HUGE],
         "--samples"),
        (["sensitivity", SMALL, "--samples", str(10**9)], "--samples"),
        (["serve", "--scenarios", SCENARIOS, "--host", "no such host.invalid"], "--host"),
    ],
)
def test_values_past_a_limit_are_one_line_naming_the_option(stubbed, tmp_path, monkeypatch,
                                                             args, option):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    res = stubbed(*args)
    _assert_clean_refusal(res, option)


def test_a_calibration_file_that_is_not_json_is_refused(stubbed, paths):
    res = stubbed("backtest", "--calibration", paths["file"], "--out", paths["folder"] / "bt")
    _assert_clean_refusal(res, "--calibration")


@pytest.mark.parametrize(
    "doc",
    [
        {"fit": {}, "leave_one_year_out": {}},
        {"fit": {"los_scale": 1.0}, "leave_one_year_out": {"FY2016": {}}},
        [1, 2],
        {"fit": None, "leave_one_year_out": None},
    ],
)
def test_a_calibration_file_of_the_wrong_shape_is_refused(stubbed, paths, doc):
    import json

    cal = paths["folder"] / "cal.json"
    cal.write_text(json.dumps(doc))
    res = stubbed("backtest", "--calibration", cal, "--out", paths["folder"] / "bt")
    _assert_clean_refusal(res, "--calibration")


def test_the_shipped_calibration_passes_its_check():
    import json

    from atlarge.analysis.backtest_run import check_calibration, default_calibration_path

    check_calibration(json.loads(default_calibration_path().read_text()))


def test_serve_refuses_a_port_in_use(stubbed):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = stubbed("serve", "--scenarios", SCENARIOS, "--port", str(port))
    _assert_clean_refusal(res, "--port")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    command=st.sampled_from(INT_OPTIONS),
    value=st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(alphabet="0123456789-+.e_x ", max_size=12),
    ),
)
def test_any_number_given_to_any_integer_option_exits_0_or_2(stubbed_once, command, value):
    res = stubbed_once(*_argv(*command, value))
    if res is not None:
        assert res.code in (0, 2), (res.code, res.err)
        assert "Traceback" not in res.err and "internal error" not in res.err


@pytest.fixture
def stubbed_once(stubbed, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("fuzz"))
    return stubbed


def _flags(command):
    """The options of ``command`` that take no value."""
    import typer.main

    from atlarge.cli import app

    group = typer.main.get_command(app)
    cmd = group
    for part in command:
        cmd = cmd.commands[part]
    return [o for p in cmd.params if getattr(p, "is_flag", False) for o in p.opts]


HELP_COMMANDS = [[], *[c.split() for c in COMMANDS], ["results"]]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "atlarge")
def test_help_shows_no_value_after_a_flag(cli, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "120")
    res = cli(*command, "--help")
    assert res.code == 0
    flags = [*_flags(command), "--help"]
    assert len(flags) >= 1
    for flag in flags:
        lines = [ln for ln in res.out.splitlines() if re.search(rf"{re.escape(flag)}\b", ln)]
        assert lines, (flag, res.out)
        for ln in lines:
            after = ln.split(flag, 1)[1]
            assert not re.match(r"\s*(<bool>|BOOLEAN|<boolean>)", after), ln
    assert "<bool>" not in res.out and "BOOLEAN" not in res.out


# -- what the commands print -----------------------------------------------------------------

SENS_DOC = {
    "method": "morris",
    "parameters": ["workforce.ero.headcount", "detention.beds"],
    "bounds": [[1000.0, 2000.0], [8000.0, 12000.0]],
    "units": {"workforce.ero.headcount": "agents", "detention.beds": "beds"},
    "samples": 2, "points": 6, "reps": 2, "seed": 1,
    "indices": {
        "arrests_per_day": [
            {"parameter": "workforce.ero.headcount", "mu_star": 250.0, "mu_star_conf": 3.0,
             "sigma": 2.0},
            {"parameter": "detention.beds", "mu_star": 0.0, "mu_star_conf": 0.0, "sigma": 0.0},
        ],
        "cost_total_usd": [
            {"parameter": "detention.beds", "mu_star": 2.5e8, "mu_star_conf": 1e6, "sigma": 1e5},
            {"parameter": "workforce.ero.headcount", "mu_star": 1e6, "mu_star_conf": 1e4,
             "sigma": 1e3},
        ],
        "day_detention_full": {"skipped": "undefined in some sample points (e.g. never reached)"},
    },
}  # fmt: skip


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_sensitivity_output_has_units_and_plain_words(method):
    from rich.console import Console

    from atlarge.report.sensitivity_page import render_sensitivity
    from atlarge.report.terminal import sensitivity_tables

    doc = dict(SENS_DOC, method=method)
    if method == "sobol":
        doc["indices"] = {
            k: v if isinstance(v, dict) else [
                {"parameter": r["parameter"], "S1": 0.6, "S1_conf": 0.1, "ST": 0.7,
                 "ST_conf": 0.1} for r in v
            ]
            for k, v in SENS_DOC["indices"].items()
        }  # fmt: skip
    console = Console(width=120, record=True)
    for part in sensitivity_tables(doc):
        console.print(part)
    text = console.export_text()
    page = render_sensitivity(doc).replace("\\u002f", "/")  # as Plotly's JSON escapes it
    for out in (text, page):
        assert "Arrests per day (arrests/day)" in out
        assert "Cost, total (USD)" in out
        assert "Workforce, ERO: headcount (agents)" in out and "Detention: beds (beds)" in out
        assert "First day detention is full (days)" in out  # skipped, still named in words
    if method == "morris":
        assert "mean absolute effect (arrests/day)" in text
        assert "$250.0m" in text and "1,000 to 2,000" in text
        assert "Mean absolute effect" in page and "mu*" in page
    else:
        assert "share alone (S1)" in text and "60% ± 10%" in text
        assert "share of the variance" in page
    assert "mu_star" not in text and "mu_star" not in page


def test_backtest_reports_the_years_done(monkeypatch):
    import atlarge.analysis.backtest_run as bt
    from atlarge.analysis.backtest import ASIDE_YEARS, FIT_YEARS
    from tests.conftest import BASELINE, small_scenario

    monkeypatch.setattr(bt, "simulate_year", lambda *a, **k: None)
    monkeypatch.setattr(bt, "backtest_rows", lambda *a, **k: [])
    calls = []
    bt.run_backtest(
        small_scenario(BASELINE, days=10), bt.load_calibration(), reps=1,
        progress=lambda done, total, label: calls.append((done, total, label)),
    )  # fmt: skip
    total = 2 * len(FIT_YEARS) + len(ASIDE_YEARS)
    assert [c[0] for c in calls] == list(range(total + 1))
    assert {c[1] for c in calls} == {total}
    assert calls[0][2].startswith("FY") and calls[-1][2] == "done"


def test_backtest_shows_a_bar_with_years_done(stubbed, monkeypatch, tmp_path):
    """The CLI draws a bar with M/N years (not only a spinner)."""
    import atlarge.analysis.backtest_run as bt

    seen = []

    def fake(base, cal, *, reps, seed, progress):
        for i in range(3):
            progress(i, 3, f"FY{2020 + i} (fit)")
        progress(3, 3, "done")
        seen.append(True)
        raise Reached

    monkeypatch.setattr(bt, "run_backtest", fake)
    res = stubbed("backtest", "--scenario", SCENARIOS / "baseline-2024.toml", "--out",
                  tmp_path / "bt")  # fmt: skip
    assert res is None and seen


def test_serve_refuses_a_malformed_memory_limit_before_serving(stubbed, monkeypatch):
    """A bad ATLARGE_MAX_MEMORY_GB is the server's error, said at start, not a 422 per run."""
    monkeypatch.setenv("ATLARGE_MAX_MEMORY_GB", "lots")
    res = stubbed("serve", "--scenarios", SCENARIOS)
    _assert_clean_refusal(res, "ATLARGE_MAX_MEMORY_GB")


@pytest.mark.parametrize("command", ["backtest", "calibrate"])
def test_backtest_and_calibrate_refuse_replications_that_will_not_fit(stubbed, command):
    res = stubbed(command, "--reps", "10000000")
    _assert_clean_refusal(res, "--reps")
    assert "memory" in res.err

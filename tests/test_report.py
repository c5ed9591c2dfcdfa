"""The report says what was run: overrides, every setting, schedules, fitted values,
only the panels of mechanisms that are on, plain numbers, axes from 0, draws as run."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import atlarge
from atlarge.analysis import summarize
from atlarge.analysis.binding import binding, binding_text
from atlarge.analysis.summary import setting_rows
from atlarge.errors import OptionError, ScenarioError
from atlarge.report import render_report
from atlarge.report.charts import budget_chart, build_charts
from atlarge.report.format import param_value, plain_number, plural
from atlarge.report.html import _unfunded, fiscal_year_rows, runway_text
from atlarge.report.terminal import kpi_table
from atlarge.runs.replications import run_model
from atlarge.scenario import load_scenario, scenario_sha256
from atlarge.scenario.schema import Scenario
from atlarge.scenario.uncertainty import draws_problem
from atlarge.simulation import with_days
from tests.conftest import BASELINE, FUNDED, NO_GUARD, OPERATION, SCENARIOS, copy_scenarios

FITTED = SCENARIOS / "baseline-2024-fitted.toml"
COURT_CHARTS = ("court-backlog", "court-docket", "court-completions")

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
EXPONENT = re.compile(r"\d(\.\d+)?[eE][+-]?\d")
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(path=OPERATION, days=8, reps=2, inner=None, **sets):
    sc = load_scenario(path, set={"days": days, **sets})
    out = run_model(sc, reps, 1, uncertainty_inner=inner)
    summary = summarize(out)
    return out, summary, render_report(out, summary)


def _text(html: str) -> str:
    """The report's visible text (no script, no tags)."""
    body = html[html.index("<main>") :]
    return htmllib.unescape(re.sub(r"<[^>]+>", "", body))


def _section(html: str, key: str) -> str:
    start = html.index(f"<section id={key}") if f"<section id={key}" in html else None
    if start is None:
        start = html.index(f"<section id='{key}'")
    return html[start : html.index("</section>", start)]


def _plain_path(text: str) -> str:
    return text.replace("<wbr>", "")


@pytest.fixture(scope="module")
def changed():
    return _run(**{"detention.beds": 100000, "regime.enabled": False})


# ------------------------------------------------------------ what the run changed


def test_overrides_and_extends_are_recorded_not_hashed():
    sc = load_scenario(NO_GUARD, set={"detention.beds": "100000", "regime.enabled": "false"})
    chain = ["operation-at-large.toml", "baseline-2024-fitted.toml", "baseline-2024.toml"]
    assert sc.extends == chain
    beds, regime = sc.overrides["detention.beds"], sc.overrides["regime.enabled"]
    assert (beds.value, beds.file_value) == (100000, 41500)
    assert (regime.value, regime.file_value) == (False, True)
    # They survive the round trips the package makes (with_days, uncertainty draws).
    again = Scenario.model_validate(sc.model_dump())
    assert again.overrides == sc.overrides and again.extends == sc.extends
    assert Scenario.model_validate_json(sc.model_dump_json()).extends == sc.extends
    shorter = with_days(sc, 30)
    assert shorter.overrides["days"].value == 30 and shorter.overrides["days"].file_value == 365
    assert "detention.beds" in shorter.overrides
    assert "days" not in with_days(shorter, 365).overrides  # back to the file's horizon
    # Values decide the hash, not the record of how they were reached.
    bare = Scenario.model_validate({**sc.model_dump(), "overrides": {}, "extends": []})
    assert scenario_sha256(bare) == scenario_sha256(sc)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_setting_a_setting_to_its_file_value_keeps_the_hash(data):
    base = load_scenario(OPERATION)
    rows = [r for r in setting_rows(base) if isinstance(r["value"], bool | int | str)]
    row = data.draw(st.sampled_from(rows))
    sc = load_scenario(OPERATION, set={row["path"]: row["value"]})
    assert scenario_sha256(sc) == scenario_sha256(base)
    assert row["path"] not in sc.overrides  # a change that changes nothing is not recorded


def test_a_file_cannot_write_the_record_of_overrides(tmp_path, cli):
    copy_scenarios(tmp_path)
    path = tmp_path / "fake.toml"
    path.write_text('extends = "operation-at-large.toml"\n[overrides.days]\nvalue = 1\n')
    with pytest.raises(ScenarioError, match="overrides"):
        load_scenario(path)
    res = cli("validate", path)
    assert res.code == 2 and "fake.toml: overrides" in res.err and "Traceback" not in res.err


def test_the_report_title_and_box_say_what_the_run_changed(changed):
    _, summary, html = changed
    assert "<h1>Operation At Large, with 3 changes</h1>" in html
    assert "Operation At Large, with 3 changes</title>" in html
    assert "before this run&#x27;s 3 changes" in html or "before this run's 3 changes" in html
    box = _plain_path(_section(html, "changes"))
    assert "differs from the scenario file in 3 settings" in box
    assert "<td><code>detention.beds</code></td><td>100,000 beds</td><td>41,500 beds</td>" in box
    assert "<td><code>regime.enabled</code></td><td>false</td><td>true</td>" in box
    assert "<td><code>days</code></td><td>8</td><td>365</td>" in box
    assert set(summary["overrides"]) == {"days", "detention.beds", "regime.enabled"}
    assert summary["extends"] == ["baseline-2024-fitted.toml", "baseline-2024.toml"]
    assert "baseline-2024-fitted.toml" in _text(html)  # the parent is named


def test_a_run_as_in_the_file_has_no_changes_box(tmp_path):
    copy_scenarios(tmp_path)
    (tmp_path / "short.toml").write_text('extends = "operation-at-large.toml"\ndays = 6\n')
    sc = load_scenario(tmp_path / "short.toml")
    assert sc.extends[0] == "operation-at-large.toml"
    out = run_model(with_days(sc, 6), 2, 1)  # the file's own horizon: no change
    summary = summarize(out)
    html = render_report(out, summary)
    assert summary["overrides"] == {} and "id=changes" not in html
    assert "<h1>Operation At Large</h1>" in html


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_setting_is_in_the_report_with_plain_numbers(path):
    out, summary, html = _run(path, days=5)
    settings_html = _plain_path(_section(html, "settings"))
    rows = setting_rows(out.scenario)
    assert {r["path"] for r in rows} >= {
        "regime.enabled",
        "regime.ranking",
        "detention.overflow",
        "start_date",
        "days",
        "offices.include",
    }
    for r in rows:
        assert f"<code>{r['path']}</code>" in settings_html, r["path"]
    assert summary["settings"] == rows
    # Every value cell and every driver: plain numbers, never 6.4e+06.
    cells = re.findall(r"<td class=num>(.*?)</td>", _section(html, "parameters"))
    cells += re.findall(r"<td>(.*?)</td>", _section(html, "settings"))
    cells += re.findall(r"<div class=drivers>(.*?)</div>", html)
    assert cells
    bad = [c for c in cells if EXPONENT.search(re.sub(r"<[^>]+>", "", c))]
    assert bad == []


def test_paths_wrap_at_dots_never_inside_a_name(changed):
    html = changed[2]
    style = html[html.index("<style>") : html.index("</style>")]
    assert "break-all" not in style and "anywhere" not in style
    codes = re.findall(r"<code>(.*?)</code>", _section(html, "parameters"))
    assert "groups.<wbr>conviction_and_order.<wbr>initial_pool" in codes
    for code in codes:
        assert code.replace(".<wbr>", "") == code.replace(".<wbr>", "").replace("<wbr>", "")


# ------------------------------------------------------------ schedules and fitted values


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sched")
    copy_scenarios(folder)
    path = folder / "scheduled.toml"
    path.write_text(
        'extends = "operation-at-large.toml"\n'
        '[detention.beds]\nvalue = 41500\nunit = "beds"\n'
        'source = "a test schedule"\nschedule = { 2025-06-05 = 60000 }\n'
    )
    return _run(path, days=10)


def test_a_schedule_is_shown_as_a_schedule(scheduled):
    _, _, html = scheduled
    text = "41,500 from 2025-06-01, 60,000 from 2025-06-05"
    detention = _section(html, "chart-detention")
    assert f"= {text} (beds)" in detention
    assert "= 41,500 beds" not in detention
    row = _plain_path(_section(html, "parameters"))
    assert f"<code>detention.beds</code></td><td class=num>{text}</td>" in row


@FAST
@given(
    st.floats(0, 1e9, allow_nan=False),
    st.dictionaries(
        st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat),
        st.floats(0, 1e9, allow_nan=False),
        min_size=1,
        max_size=4,
    ),
)
def test_param_value_lists_every_step_in_date_order(value, schedule):
    start = "2025-06-01"
    text = param_value(value, schedule, "beds", start)
    assert text.endswith("(beds)") and not EXPONENT.search(text)
    dates = re.findall(r"from (\d{4}-\d\d-\d\d)", text)
    assert dates == sorted(dates) and dates[0] == start
    later = sorted(d for d in schedule if d > start)
    assert dates[1:] == later
    for d in later:
        assert f"{plain_number(schedule[d])} from {d}" in text


def test_fitted_values_are_never_listed_as_sourced(changed):
    _, summary, html = changed
    fitted = {p["path"] for p in summary["parameters"] if p["fitted"]}
    assert fitted
    seen_fitted = False
    for block in re.findall(r"<div class=drivers>(.*?)</div>", html):
        for part in _plain_path(block).split("<br>"):
            paths = set(re.findall(r"<code>(.*?)</code>", part))
            if part.startswith(("Driven by — <b>Sourced", "<b>Sourced", "<b>Assumptions")):
                assert not paths & fitted, part
            if "<b>Fitted values:</b>" in part:
                assert paths <= fitted
                seen_fitted = True
    assert seen_fitted


# ------------------------------------------------------------ panels of mechanisms


@pytest.mark.parametrize("regime", [True, False])
@pytest.mark.parametrize("guard", [0, 21000])
@pytest.mark.parametrize("ranking", ["absolute", "share_of_target"])
def test_a_mechanism_that_is_off_shows_no_panel(regime, guard, ranking):
    out, summary, html = _run(
        days=5,
        **{
            "regime.enabled": regime,
            "regime.ranking": ranking,
            "support.national_guard.headcount": guard,
        },
    )
    charts = {ch.key: ch for ch in build_charts(out)}
    assert ("leadership" in charts) is regime
    assert ("id='chart-leadership'" in html) is regime
    # All but the changes box (which names what was switched off) and the full tables.
    after_box = html[html.index("</section>", html.index("<section id=changes")) :]
    shown = _text("<main>" + after_box.split("<section id=parameters>")[0])
    assert ("rank" in shown.lower()) is regime
    assert ("Field office leaderships replaced" in shown) is regime
    assert ("regime.productivity_dip" in shown) is regime
    stages = charts["costs"].figure.data[0].x
    assert ("national guard" in stages) is bool(guard)
    assert ("support.national_guard" in shown) is bool(guard)
    assert "draw" not in shown.lower()  # no parameter draws in this run
    assert summary["mechanisms"]["regime"] is regime


def test_charts_count_from_zero(changed, scheduled):
    for out, _, _ in (changed, scheduled):
        for ch in build_charts(out):
            layout = ch.figure.layout
            for trace in ch.figure.data:
                horizontal = getattr(trace, "orientation", None) == "h"
                ref = (trace.xaxis if horizontal else trace.yaxis) or ("x" if horizontal else "y")
                axis = layout[ref.replace("x", "xaxis").replace("y", "yaxis")]
                assert axis.rangemode == "tozero" or (axis.range and axis.range[0] == 0), (
                    ch.key,
                    trace.name,
                )


# ------------------------------------------------------------ uncertainty draws as run


@FAST
@given(st.integers(1, 60), st.integers(1, 30))
def test_replications_must_split_into_whole_draws(reps, inner):
    problem = draws_problem(reps, inner)
    assert (problem is None) == (reps % inner == 0 and reps // inner >= 2)
    if problem:
        assert "`reps`" in problem and "`uncertainty_inner`" in problem and "\n" not in problem


def test_simulate_refuses_partial_draws_and_reports_draws_as_run():
    sc = load_scenario(OPERATION, set={"days": 5})
    for reps, inner in ((5, 10), (10, 10), (7, 3)):
        with pytest.raises(OptionError, match="whole parameter draws"):
            atlarge.simulate(sc, reps=reps, uncertainty_inner=inner)
    res = atlarge.simulate(sc, reps=6, uncertainty_inner=3)
    u = res.summary()["uncertainty"]
    assert (u["draws"], u["replications_per_draw"]) == (2, 3)
    html = render_report(res.output, res.summary())
    assert "2 draws of the" in html and "3 stochastic replications each" in html
    out = run_model(sc, 3, 1, uncertainty_inner=3)  # below simulate(): one draw
    one = render_report(out, summarize(out))
    assert "1 draw of the" in one and "1 draws" not in one


def test_cli_refuses_partial_draws_with_one_line(cli, tmp_path):
    # 160 days reach every dated entry of the scenario (the last: courts.judges on
    # 2025-11-01), so no schedule warning comes before the refusal
    res = cli(
        "run", OPERATION, "--uncertainty", "--reps", "5", "--inner", "10",
        "--days", "160", "--out", tmp_path / "u", "--quiet",
    )  # fmt: skip
    assert res.code == 2 and "Traceback" not in res.err
    assert "--reps 5" in res.err and "--inner 10" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "u").exists()


def test_plural():
    assert plural(1, "draw") == "1 draw" and plural(2, "draw") == "2 draws"
    assert plural(1000, "replication") == "1,000 replications"


@FAST
@given(st.floats(-1e12, 1e20, allow_nan=False, allow_infinity=False))
def test_plain_numbers_have_no_exponent_and_read_back(x):
    text = plain_number(x)
    assert "e" not in text.lower()
    back = float(text.replace(",", ""))
    assert back == pytest.approx(x, rel=1e-5, abs=1e-6)


def test_baseline_has_no_guard_and_no_regime_panels():
    out, summary, html = _run(BASELINE, days=5)
    assert not summary["mechanisms"]["regime"] and not summary["mechanisms"]["national_guard"]
    assert "id='chart-leadership'" not in html
    costs = {ch.key: ch for ch in build_charts(out)}["costs"]
    assert "national guard" not in {*costs.figure.data[0].x}


def test_sweep_refuses_partial_draws_before_touching_the_store(cli, tmp_path):
    db = tmp_path / "r.duckdb"
    res = cli(
        "sweep", OPERATION, "--vary", "detention.beds=41500:60000:2", "--uncertainty",
        "--reps", "5", "--inner", "10", "--db", db, "--quiet",
    )  # fmt: skip
    assert res.code == 2 and "--reps 5" in res.err and "Traceback" not in res.err
    assert not db.exists()


# ------------------------------------------------------------ the court stage and what binds


@pytest.fixture(scope="module")
def courts_run():
    """Operation At Large (courts on) with few judges, so the detained docket waits."""
    return _run(days=20, reps=4, **{"courts.judges": 40})


def _names(chart) -> list[str]:
    return [t.name for t in chart.figure.data if t.showlegend is not False]


def test_the_court_stage_is_drawn_when_the_run_has_courts(courts_run):
    out, summary, html = courts_run
    assert summary["mechanisms"]["courts"]
    charts = {ch.key: ch for ch in build_charts(out)}
    assert set(COURT_CHARTS) <= set(charts)
    backlog = charts["court-backlog"]
    assert _names(backlog) == ["Non-detained court backlog (median)"]
    median = backlog.figure.data[-1].y
    assert median[0] == pytest.approx(float(np.median(out.national("court_backlog")[:, 0])))
    docket = charts["court-docket"]
    assert _names(docket) == ["Detained, waiting for a judge (median)"]
    assert max(docket.figure.data[-1].y) > 0  # 40 judges cannot keep up
    completions = charts["court-completions"]
    assert "Judges' capacity" in _names(completions)
    cap = next(t for t in completions.figure.data if t.name == "Judges' capacity")
    assert list(cap.y) == out.inputs.court_capacity.tolist()
    for key in COURT_CHARTS:
        section = _plain_path(_section(html, f"chart-{key}"))
        assert "<code>courts.judges</code> = 40 judges" in section, key
    # The court KPIs read as counts, the wait in days with one decimal.
    kpis = _section(html, "kpis")
    for key in ("court_backlog_end", "court_completions", "detained_court_wait_days"):
        assert f"data-kpi={key}>" in kpis
    wait = re.search(r"data-kpi=detained_court_wait_days>.*?<td class=num>(.*?)</td>", kpis)
    assert re.fullmatch(r"\d+\.\d", wait.group(1))
    # So does the terminal table, labelled by the registry.
    console = Console(width=120, record=True)
    console.print(kpi_table(summary))
    text = console.export_text()
    assert re.search(r"│ Detained docket: mean days waiting for a judge +│ +\d+\.\d │", text)
    assert re.search(r"│ Non-detained court backlog at the end +│ +[\d,]+ │", text)


def test_a_run_without_courts_shows_no_court_stage():
    out, summary, html = _run(FITTED, days=8)
    assert not summary["mechanisms"]["courts"]
    keys = {ch.key for ch in build_charts(out)}
    assert not keys & set(COURT_CHARTS)
    for key in COURT_CHARTS:
        assert f"id='chart-{key}'" not in html
    binding_chart = {ch.key: ch for ch in build_charts(out)}["binding"]
    assert "Judges (detained docket)" not in _names(binding_chart)
    shown = _text(html.split("<section id=parameters>")[0])
    assert "judge" not in shown.lower() and "court backlog" not in shown.lower()


def test_the_binding_chart_draws_each_capacity_and_says_which_binds_first(courts_run):
    out, _, html = courts_run
    chart = {ch.key: ch for ch in build_charts(out)}["binding"]
    assert _names(chart) == [
        "Book-in",
        "Beds",
        "Judges (detained docket)",
        "Seats",
        "Most replications",
    ]
    b = binding(out)
    judges = next(t for t in chart.figure.data if t.name == "Judges (detained docket)")
    assert list(judges.y) == pytest.approx(list(100 * b.share["judges"]))
    assert b.first_day["judges"] is not None  # few judges: the detained docket waits
    assert chart.figure.layout.yaxis.range == (0, 100)
    section = htmllib.unescape(_section(html, "chart-binding"))
    assert binding_text(b, out.inputs.dates.astype("datetime64[D]").astype(str).tolist()) in section
    assert "First to bind: " in section and "What full means" in section


# ------------------------------------------------------------ money: fiscal years and budget lines

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def funded_run():
    """The funded scenario, short: its lines, procurement and hiring are all on."""
    return _run(FUNDED, days=60, reps=4)


def test_the_budget_section_lists_every_line_with_its_runway(funded_run):
    _, summary, html = funded_run
    assert summary["mechanisms"]["budget"]
    section = _section(html, "budget")
    visible = re.sub(r"<script.*?</script>", "", section, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", visible))
    rows = re.findall(r"<tr data-line=(\w+)>(.*?)</tr>", section, flags=re.S)
    assert [key for key, _ in rows] == [r["line"] for r in summary["funding_runway"]]
    for (_, row), line in zip(rows, summary["funding_runway"], strict=True):
        cells = [htmllib.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        assert cells[0] == line["label"]
        runway = cells[-1]
        assert runway.startswith("beyond horizon") or DATE.match(runway), runway
        assert ("beyond horizon" in runway) == (line["date_p50"] is None)
    labels = summary["purpose_labels"]
    assert labels["detention"] in text  # purposes by label, not by key
    assert "on_exhausted = overspend" in text
    # Detailed agents, the Guard and the courts are charged to no line, said in words.
    for key in summary["unfunded_usd"]["not_against_a_line"]:
        assert labels[key] in text
    # Capacity bought: beds by kind and hires, as in capacity_bought.
    for kind in summary["capacity_bought"]["beds_by_kind"]:
        assert kind["label"] in text
    hired = summary["capacity_bought"]["hiring"]["hired"]["p50"]
    assert f"{hired:,.0f}" in text and "Officer-equivalents at the end" in text
    assert "e+" not in text and not EXPONENT.search(text)


def test_the_budget_chart_draws_each_line_as_a_band_against_its_amount(funded_run):
    out, summary, html = funded_run
    chart = budget_chart(out)
    assert chart is not None and chart.key == "budget"
    runway = summary["funding_runway"]
    assert _names(chart) == [r["label"] for r in runway]  # one legend entry per line
    colors: set[str] = set()
    for r in runway:
        group = [t for t in chart.figure.data if t.legendgroup == r["label"]]
        fills = [t for t in group if t.fill == "tonexty"]
        assert len(fills) == 2  # p5-p95 and p25-p75 bands, not one line
        median = next(t for t in group if t.name == r["label"])
        amount = next(t for t in group if t.name == f"{r['label']}: amount")
        assert amount.line.dash == "dash"
        assert set(amount.y) == {r["amount_usd"]["p50"]}
        assert median.line.color not in colors  # two lines in one colour would read as one
        colors.add(median.line.color)
        # The median path ends at the median spent (cumulative, so it never falls).
        assert np.all(np.diff(median.y) >= -1e-6)
        lo, hi = r["spent_usd"]["p5"], r["spent_usd"]["p95"]
        assert lo - 1 <= median.y[-1] <= hi + 1
    assert "Cumulative spending against each funding line" in _section(html, "budget")


def test_under_stop_the_budget_section_says_what_is_cut(tmp_path):
    path = tmp_path / "stop.toml"
    path.write_text(
        f"""extends = "{OPERATION}"
name = "Stop"
description = "One small line for beds and seats."

[budget]
on_exhausted = "stop"

[budget.lines.custody]
label = "Beds and seats"
purposes = ["detention", "transport"]
available_from = 2025-06-01
available_until = 2026-09-30
[budget.lines.custody.amount]
value = 2e8
unit = "USD"
assumption = true
range = [1e8, 3e8]
rationale = "Small, so that it runs out."
"""
    )
    _, summary, html = _run(path, days=20)
    assert summary["on_exhausted"] == "stop"
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", _section(html, "budget")))
    assert "on_exhausted = stop" in text and "released" in text
    assert "on_exhausted = overspend" not in text
    assert "Capacity bought" not in text  # no procurement, no hiring


def test_a_run_without_a_budget_has_no_budget_section_but_its_fiscal_years():
    out, summary, html = _run(OPERATION, days=8)
    assert not summary["mechanisms"]["budget"]
    assert "<section id=budget" not in html and budget_chart(out) is None
    assert "Funding lines" not in _text(html.split("<section id=parameters>")[0])
    years = _section(html, "fiscal-years")
    for row in summary["cost_by_fiscal_year"]:
        assert f"FY{row['fiscal_year']}" in years


def test_fiscal_years_name_their_largest_purposes():
    summary = {
        "purpose_labels": {"a": "Alpha", "b": "Beta", "c": "Gamma", "d": "Delta"},
        "cost_by_fiscal_year": [
            {
                "fiscal_year": 2026,
                "days": 243,
                "cost_usd": {"mean": 3e9, "p5": 2.5e9, "p50": 3e9, "p95": 3.5e9},
                "by_purpose": {"a": 1e6, "b": 2e9, "c": 0.0, "d": 9e8},
            }
        ],
    }
    (row,) = fiscal_year_rows(summary)
    assert row["fiscal_year"] == "FY2026" and row["days"] == "243"
    assert (row["median"], row["band"]) == ("$3.00bn", "$2.50bn – $3.50bn")
    assert row["largest"] == "Beta $2.00bn; Delta $900.0m; Alpha $1.0m"  # no zero purpose


@given(
    date=st.one_of(st.none(), st.dates().map(dt.date.isoformat)),
    share=st.floats(0, 1),
)
def test_a_runway_is_a_date_or_beyond_the_horizon_with_its_share(date, share):
    text = runway_text({"date_p50": date, "beyond_horizon_share": share})
    if date is None:
        assert text.startswith("beyond horizon")
    else:
        assert text.startswith(date)
    assert (f"{share:.0%}" in text) == (date is None or share > 0)


def test_only_purposes_beyond_their_lines_are_listed_as_not_paid():
    zero = {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0}
    over = {"mean": 2e6, "p5": 0.0, "p50": 1.5e6, "p95": 4e6}
    summary = {
        "purpose_labels": {"detention": "Detention", "transport": "Transport", "court": "Courts"},
        "unfunded_usd": {
            "against_lines": {"detention": over, "transport": zero},
            "not_against_a_line": ["court"],
        },
    }
    u = _unfunded(summary)
    assert u["rows"] == [{"purpose": "Detention", "median": "$1.5m", "band": "$0 – $4.0m"}]
    assert u["not_against"].startswith("Courts is charged to no funding line")

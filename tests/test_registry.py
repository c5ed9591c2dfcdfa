"""The registry of daily measures and KPIs: complete, read by every consumer, computed by
its rules, and written in formats that read back as the numbers they stand for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis.kpis import BY_OFFICE, KPI_KEYS, KPIS, kpi_values, listed
from atlarge.model.measures import GROUP_MEASURES, MEASURES, NATIONAL_SERIES, OFFICE_MEASURES
from atlarge.report.format import format_difference, format_value
from atlarge.scenario import load_scenario
from tests.conftest import FUNDED, ROOT, small_scenario


@pytest.fixture(scope="module")
def run():
    """A small run of Operation At Large (regime on, transfers on, the Guard deployed, all
    arrest channels, departures and countries that limit removals): the shipped scenario
    holds overflow, so transfers are switched on here to have every stage on."""
    import atlarge

    sc = small_scenario(FUNDED, days=30, detention__overflow="transfer")
    res = atlarge.simulate(sc, reps=4, seed=3, timeseries="full")
    return res.output, res.summary()


def test_every_kpi_of_the_summary_is_in_the_registry_and_the_other_way_round(run):
    _, summary = run
    assert list(KPIS) == list(KPI_KEYS)
    # KPIs of a stage the run has off that are listed only when on are left out.
    on = summary["mechanisms"]
    assert list(summary["kpis"]) == [k for k, kpi in KPIS.items() if listed(kpi, on)]
    assert not {k for k, kpi in KPIS.items() if not listed(kpi, on)}  # their stages are on
    # With every stage off, the KPIs listed only when their stage is on are left out.
    off = dict.fromkeys(on, False)
    assert {k for k, kpi in KPIS.items() if not listed(kpi, off)} == {
        "arrests_custodial",
        "arrests_at_large",
        "arrests_collateral",
        "pool_departures",
        "releases_post_order_limit",
        "court_backlog_end",
        "court_completions",
        "removal_orders",
        "in_absentia_orders",
        "detained_court_wait_days",
        "beds_added",
        "officers_hired",
    }
    assert summary["definitions"] == {k: kpi.definition for k, kpi in KPIS.items()}
    for key, kpi in KPIS.items():
        assert kpi.key == key
        for text in (kpi.label, kpi.short, kpi.unit, kpi.definition, kpi.format):
            assert text.strip() == text and text, (key, text)
        assert all(kpi.aggregation.values()), key
        assert kpi.needs is None or kpi.needs in summary["mechanisms"], key
        assert kpi.needs is not None or not kpi.only_when_on, key


def test_every_recorded_measure_is_in_the_registry_and_names_its_columns(run):
    out, _ = run
    from atlarge.runs.timeseries import national_table, timeseries_table

    recorded = set(out.series) - {"path_entries"}  # court cases by path: costs, not a column
    assert recorded == set(MEASURES) == set(OFFICE_MEASURES) | set(GROUP_MEASURES)
    for m in MEASURES.values():
        assert all((m.label, m.unit, m.definition)) and m.smooth_days >= 1, m.key
    groups = out.inputs.group_keys
    expected = [
        *OFFICE_MEASURES,
        *(MEASURES[m].column(g) for m in GROUP_MEASURES for g in groups),
    ]
    assert timeseries_table(out).column_names == ["rep", "office", "day", "date", *expected]
    assert national_table(out).column_names == ["rep", "day", *NATIONAL_SERIES]


def test_kpis_follow_their_rules(run):
    out, _ = run
    v = kpi_values(out)
    assert np.array_equal(v["arrests_per_day"], v["arrests_total"] / out.days)
    assert np.array_equal(v["cost_per_removal_usd"], v["cost_total_usd"] / v["removals_total"])
    assert np.array_equal(v["peak_detention"], out.national("detained").max(axis=1))
    assert np.array_equal(v["processing_backlog_end"], out.national("processing_backlog")[:, -1])
    assert np.all(v["releases_for_lack_of_beds"] <= v["releases_total"])
    # Per office, a total adds up to the national value and a peak never exceeds it.
    for key in BY_OFFICE:
        per_office = KPIS[key].rule.per_office(out)
        assert per_office.shape == (out.reps, out.inputs.n_offices)
        if KPIS[key].rule.days == "sum":
            assert np.array_equal(per_office.sum(axis=1), v[key]), key
        else:
            assert np.all(per_office.max(axis=1) <= v[key]), key


def test_bands_take_labels_units_and_smoothing_from_the_registry(run):
    from atlarge.analysis import national_bands

    out, _ = run
    b = national_bands(out)
    assert list(b["series"]) == list(NATIONAL_SERIES)
    for key, s in b["series"].items():
        m = MEASURES[key]
        assert (s["label"], s["unit"], s["smooth_days"]) == (m.label, m.unit, m.smooth_days)
    assert {g["smooth_days"] for g in b["groups"]} == {MEASURES["arrests_by_group"].smooth_days}


def test_terminal_and_report_tables_label_and_define_every_kpi(run):
    from rich.console import Console

    from atlarge.report import render_report
    from atlarge.report.terminal import kpi_table

    out, summary = run
    console = Console(width=200, record=True)
    console.print(kpi_table(summary))
    text = console.export_text()
    html = render_report(out, summary)
    for key, kpi in KPIS.items():
        # Shown: listed in the summary and its stage (if any) on (analysis.kpis.shown_kpis).
        shown = kpi.needs is None or summary["mechanisms"][kpi.needs]
        assert (key in summary["kpis"]) is (shown or not kpi.only_when_on), key
        assert (kpi.label in text) is (key in summary["kpis"] and shown), key
        assert (f"<tr data-kpi={key}>" in html) is shown, key
        if shown:
            row = html.split(f"<tr data-kpi={key}>")[1].split("</tr>")[0]
            assert kpi.label in row and _escaped(kpi.definition) in row, key


def _escaped(text: str) -> str:
    """As the report's templates escape it (Jinja2's autoescape, MarkupSafe)."""
    from markupsafe import escape

    return str(escape(text))


def test_the_page_keeps_no_copy_of_the_registry():
    from atlarge.api.app import STATIC

    js = (STATIC / "explorer.js").read_text()
    for kpi in KPIS.values():
        assert f'"{kpi.label}"' not in js and kpi.definition not in js, kpi.key
    for m in MEASURES.values():
        assert f'"{m.label}"' not in js and f'"{m.unit}"' not in js, m.key


# ------------------------------------------------------------ formats read back


def _read(text: str) -> tuple[float | None, float]:
    """A formatted value read back as a number, with half its last shown digit (the most
    the format may round away)."""
    if text in ("never", "n/a"):
        return None, 0.0
    t = text.replace(",", "")
    if t.startswith("day "):
        return float(t[4:]), 0.5
    if t.endswith("%"):
        return float(t[:-1]) / 100, 0.0005
    if t.startswith("$"):
        t = t[1:]
        if t.endswith("bn"):
            return float(t[:-2]) * 1e9, 0.005e9
        if t.endswith("m"):
            return float(t[:-1]) * 1e6, 0.05e6
    return float(t), 0.5


def _read_difference(text: str) -> tuple[float | None, float]:
    if text == "n/a":
        return None, 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body.endswith(" pts"):
        return sign * float(body[:-4]) / 100, 0.0005
    if body.endswith(" days"):
        return sign * float(body[:-5]), 0.5
    value, half = _read(body)
    return sign * value, half


VALUES = st.one_of(st.none(), st.floats(0, 1e13, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KPI_KEYS), VALUES)
def test_a_formatted_value_reads_back_as_the_value(key, value):
    text = format_value(key, value)
    got, half = _read(text)
    if value is None:
        assert got is None and text == ("never" if KPIS[key].format == "day" else "n/a")
    else:
        assert abs(got - value) <= half * (1 + 1e-9) + 1e-9 * abs(value), text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KPI_KEYS), st.one_of(st.none(), st.floats(-1e13, 1e13, allow_nan=False)))
def test_a_formatted_difference_reads_back_with_its_sign(key, value):
    text = format_difference(key, value)
    got, half = _read_difference(text)
    if value is None:
        assert got is None
    else:
        assert abs(got - value) <= half * (1 + 1e-9) + 1e-9 * abs(value), text
        if abs(value) > half:
            assert text.startswith("+" if value > 0 else "-"), text


def test_a_kpi_of_a_mechanism_that_is_off_is_shown_nowhere():
    """Regime off: no leadership-replacements row in the terminal table, the report or the
    API's comparison (and so the page), all through analysis.kpis.shown_kpis."""
    import time

    from fastapi.testclient import TestClient
    from rich.console import Console

    import atlarge
    from atlarge.analysis.kpis import shown_kpis
    from atlarge.api import ApiSettings, create_app
    from atlarge.report import render_report
    from atlarge.report.terminal import kpi_table
    from tests.conftest import SCENARIOS

    res = atlarge.simulate(small_scenario(days=10, **{"regime__enabled": False}), reps=2, seed=3)
    summary = res.summary()
    assert "leadership_replacements" in summary["kpis"]  # computed, but not shown
    assert "leadership_replacements" not in shown_kpis(summary)
    label = KPIS["leadership_replacements"].label
    console = Console(width=200, record=True)
    console.print(kpi_table(summary))
    assert label not in console.export_text()
    assert "data-kpi=leadership_replacements" not in render_report(res.output, summary)
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, max_cells=10**7))
    with TestClient(app) as c:
        body = {"scenario": "operation-at-large", "reps": 2, "days": 10}
        job = c.post("/api/runs", json={**body, "overrides": {"regime.enabled": False}}).json()
        deadline = time.time() + 60
        while c.get(f"/api/runs/{job['job_id']}").json()["status"] != "done":
            assert time.time() < deadline
            time.sleep(0.05)
        kpis = c.get("/api/compare", params={"a": job["job_id"]}).json()["kpis"]
    assert "leadership_replacements" not in kpis and "arrests_total" in kpis


def test_a_scenario_name_that_looks_like_markup_prints_as_written(run):
    """Rich reads '[...]' as markup: a name like 'Op [/bold] x' must print, not fail."""
    from rich.console import Console

    from atlarge.report.terminal import kpi_table, runs_table

    _, summary = run
    named = {**summary, "scenario": {**summary["scenario"], "name": "Op [/bold] x [red]"}}
    console = Console(width=200, record=True)
    console.print(kpi_table(named))
    row = {"run_id": "a" * 16, "finished_at": "2025-06-01", "scenario_name": "Op [/bold] x",
           "overrides": "{}", "reps": 2, "seed": 1, "arrests_per_day_p50": 1.0}  # fmt: skip
    console.print(runs_table([row], "runs"))
    text = console.export_text()
    assert "Op [/bold] x [red]" in text and "Op [/bold] x" in text


def test_a_kpi_only_when_on_is_in_the_summary_when_its_stage_is_on():
    import atlarge

    sc = load_scenario(ROOT / "tests" / "scenarios" / "small-limited.toml", set={"days": 60})
    summary = atlarge.simulate(sc, reps=2, seed=1).summary()
    on = summary["mechanisms"]
    assert on["limited_countries"]
    assert list(summary["kpis"]) == [k for k, kpi in KPIS.items() if listed(kpi, on)]
    assert "releases_post_order_limit" in summary["kpis"]
    assert summary["kpis"]["releases_post_order_limit"]["mean"] > 0

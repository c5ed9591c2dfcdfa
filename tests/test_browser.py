"""The explorer page end to end, in real headless Chromium driven by Playwright.

The server is the real app under uvicorn on a free localhost port; the
browser is Debian's Chromium (``make test`` installs it where it can, see
scripts/install-chromium.sh). Where there is no Chromium, every test here
skips with the reason, which pytest's summary prints (-ra).

A screenshot of the page comparing Operation At Large with and without the
Guard is written to out/test-artifacts/explorer-compare.png, and one of a run
drawn from its replications so far to explorer-partial.png.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from atlarge.api import ApiSettings, create_app
from tests.conftest import ROOT, SCENARIOS

ARTIFACTS = Path(os.environ.get("ATLARGE_TEST_ARTIFACTS", ROOT / "out" / "test-artifacts"))

# Chromium on a machine with a closed network: no background connections,
# no first-run work, no sandbox (the tests may run as root).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    env = os.environ.get("ATLARGE_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        pytest.skip(
            "Chromium not found (make test installs Debian's chromium with apt-get when it "
            "runs as root or with sudo; or set ATLARGE_CHROMIUM to a Chromium binary)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def serving(settings: ApiSettings):
    """The real app under uvicorn on a free port, in a thread of this process; yields its
    address and stops it after."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def server():
    with serving(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=2)) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    expected = "the server responded with a status of 422"  # a bad lever, on purpose

    def console(msg) -> None:
        if msg.type == "error" and expected not in msg.text:
            problems.append(msg.text)

    pg.on("console", console)
    pg.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    pg.goto(server + "/")
    pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
    yield pg
    context.close()
    assert problems == []  # no script error, no failed request (no CDN either)


def _run(pg, expect_columns: int) -> None:
    """Press Run and wait until the KPI table has ``expect_columns`` columns."""
    pg.click("#run-button")
    pg.wait_for_function(
        "n => document.querySelectorAll('#kpi-table tr:first-child th').length === n "
        "&& !document.getElementById('run-button').disabled",
        arg=expect_columns,
        timeout=120_000,
    )


def _traces(pg, chart: str) -> list[dict]:
    return pg.evaluate(
        "id => document.getElementById(id).data.map(t => ({name: t.name, x: t.x, y: t.y}))",
        f"chart-{chart}",
    )


def _small_run(pg) -> None:
    pg.fill("#reps", "20")
    pg.fill("#days", "60")


def test_compare_operation_at_large_with_and_without_the_guard(page):
    pg = page
    assert pg.input_value("#scenario") == "operation-at-large"
    assert pg.is_checked("#switch-support-national_guard-headcount")
    assert pg.is_checked("#uncertainty")  # parameter draws by default
    pg.uncheck("#uncertainty")  # this comparison: chance alone
    _small_run(pg)
    _run(pg, 3)  # measure, A median, A band
    cost = {t["name"]: t for t in _traces(pg, "costs")}
    guard_stage = cost["A (median, p5–p95)"]["x"].index("national guard")
    assert cost["A (median, p5–p95)"]["y"][guard_stage] > 0

    pg.uncheck("#switch-support-national_guard-headcount")
    assert pg.is_disabled("#lever-support-national_guard-headcount")
    _run(pg, 6)  # + B median, B band, B - A

    cost = {t["name"]: t for t in _traces(pg, "costs")}
    assert cost["B (median, p5–p95)"]["y"][guard_stage] == 0
    assert cost["A (median, p5–p95)"]["y"][guard_stage] > 0
    diff = pg.inner_text("#kpi-table tr[data-kpi=cost_total_usd] td:last-child")
    assert diff.startswith("-$")
    names = [t["name"] for t in _traces(pg, "arrests")]
    assert "A: Arrests per day (median)" in names and "B: Arrests per day (median)" in names
    assert "Guard not deployed" in pg.inner_text("#runs")
    assert "chance variation only" in pg.inner_text("#results-meta")
    # The parameter table marks what differs between the runs.
    pg.select_option("#param-filter", "changed")
    assert pg.locator("#param-table tr[data-path]").count() >= 1
    assert pg.locator("#param-table tr[data-path='support.national_guard.headcount']").count() == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "explorer-compare.png"
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_a_lever_moves_the_charts(page):
    pg = page
    _small_run(pg)
    _run(pg, 3)  # a new page pairs only its own runs: this one is A, alone
    pg.fill("#lever-target-arrests_per_day", "2000")
    pg.fill("#lever-detention-beds", "60000")
    _run(pg, 6)  # the new one becomes B
    arrests = {t["name"]: t for t in _traces(pg, "arrests")}
    assert set(arrests["B: Target"]["y"]) == {2000}
    assert set(arrests["A: Target"]["y"]) != {2000}
    beds = {t["name"]: t for t in _traces(pg, "detention")}
    assert set(beds["B: Beds"]["y"]) == {60000}
    downloads = pg.locator("#runs tbody tr").first.locator("a")
    assert downloads.count() == 7  # summary, CSV, Parquet, report, KPIs, offices, XLSX
    with pg.expect_download() as dl:
        downloads.nth(1).click()  # the CSV
    assert dl.value.suggested_filename.endswith("-national.csv")
    with pg.expect_download() as dl:
        downloads.nth(6).click()  # the KPI and office tables as a workbook
    assert dl.value.suggested_filename.endswith("-results.xlsx")
    from openpyxl import load_workbook

    with open(dl.value.path(), "rb") as fh:  # saved without its extension
        assert load_workbook(fh).sheetnames == ["KPIs", "Offices", "About"]
    # Every chart counts from 0 (detention from 38,000 would make a small rise look large).
    starts = pg.evaluate(
        "() => [...document.querySelectorAll('.chart')]"
        ".filter(d => !d.closest('#budget-panel[hidden]') && d.id !== 'chart-home').map(d => "
        "[d.id, d.layout.yaxis.rangemode, d._fullLayout.yaxis.range[0]])"
    )
    # The operation has arrest channels, hold and courts: their panels too.
    assert len(starts) == 12
    for chart, mode, low in starts:
        assert mode == "tozero" and low == 0, chart
    assert set(_home_axis_starts(pg)) == {0}  # its bars lie along x, one axis per unit
    assert pg.locator("#compare-warning").is_hidden()  # same horizon and start


def _home_axis_starts(pg) -> list[float]:
    """Where each value axis of the home-missions chart starts (one per unit)."""
    return pg.evaluate(
        "() => { const l = document.getElementById('chart-home')._fullLayout;"
        " return Object.keys(l).filter(k => /^xaxis\\d*$/.test(k)).map(k => l[k].range[0]); }"
    )


def _pick(pg, scenario_id: str) -> None:
    """Choose a scenario and wait until its levers and description are on the page."""
    wanted = pg.evaluate(
        "id => fetch('/api/scenarios').then(r => r.json()).then(l => "
        "l.find(s => s.id === id).description)",
        scenario_id,
    )
    pg.select_option("#scenario", scenario_id)
    pg.wait_for_function(
        "d => document.getElementById('scenario-description').textContent === d", arg=wanted
    )


def _visible_charts(pg) -> set[str]:
    return set(
        pg.evaluate(
            "() => [...document.querySelectorAll('.chart')].filter(d => !d.hidden).map(d => d.id)"
        )
    )


def test_the_court_stage_and_what_binds_when_the_run_has_courts(page):
    pg = page
    meta = pg.evaluate("() => fetch('/api/meta').then(r => r.json())")["measures"]
    _small_run(pg)
    _run(pg, 3)  # Operation At Large: courts on
    assert {"chart-court-backlog", "chart-court-docket", "chart-binding"} <= _visible_charts(pg)
    backlog = {t["name"]: t for t in _traces(pg, "court-backlog")}
    median = backlog[f"A: {meta['court_backlog']['label']} (median)"]["y"]
    assert len(median) == 60 and min(median) > 1_000_000  # the national backlog, in cases
    docket = [t["name"] for t in _traces(pg, "court-docket")]
    assert f"A: {meta['court_detained_waiting']['label']} (median)" in docket
    binding = {t["name"]: t for t in _traces(pg, "binding")}
    assert set(binding) == {
        "Book-in",
        "Beds",
        "Judges (detained docket)",
        "Seats",
        "Most replications",
    }
    for name, t in binding.items():
        assert len(t["y"]) == 60 and all(0 <= y <= 100 for y in t["y"]), name
    assert set(binding["Most replications"]["y"]) == {50}
    text = pg.inner_text("#binding-text p[data-run=A]")
    assert text.startswith(("First to bind: ", "No capacity is full")), text
    assert pg.locator("#binding-text dd[data-constraint=judges]").count() == 1

    # A run without courts as B: the court charts keep A's bands only; B has no judges.
    _pick(pg, "baseline-2024-fitted")
    _small_run(pg)
    _run(pg, 6)
    names = [t["name"] for t in _traces(pg, "court-backlog")]
    assert names and not [n for n in names if n and n.startswith("B:")]
    binding = {t["name"] for t in _traces(pg, "binding")}
    assert {"A: Judges (detained docket)", "B: Seats", "B: Beds", "B: Book-in"} <= binding
    assert "B: Judges (detained docket)" not in binding
    assert pg.locator("#binding-text p").count() == 2
    assert pg.inner_text("#binding-text p[data-run=B]").startswith("B: ")


def test_a_run_without_courts_shows_no_court_stage(page):
    pg = page
    _pick(pg, "baseline-2024-fitted")
    _small_run(pg)
    _run(pg, 3)
    visible = _visible_charts(pg)
    assert "chart-court-backlog" not in visible and "chart-court-docket" not in visible
    assert "chart-binding" in visible
    binding = {t["name"] for t in _traces(pg, "binding")}
    assert binding == {"Book-in", "Beds", "Seats", "Most replications"}
    assert pg.locator("#binding-text dd[data-constraint=judges]").count() == 0
    assert pg.is_hidden("#budget-panel")  # no [budget]: no funding lines to show


def test_the_budget_panel_shows_each_line_for_a_funded_run(page):
    pg = page
    _pick(pg, "operation-at-large-funded")
    pg.fill("#reps", "8")
    pg.fill("#days", "60")
    _run(pg, 3)
    assert pg.is_visible("#budget-panel") and "chart-budget" in _visible_charts(pg)
    job = pg.evaluate("() => state.a")
    lines = pg.evaluate(
        "id => fetch(`/api/runs/${id}/summary`).then(r => r.json()).then(s => s.funding_runway)",
        job,
    )
    rows = pg.locator("#runway-table tr[data-line]")
    assert rows.count() == len(lines)
    for i, line in enumerate(lines):
        row = rows.nth(i)
        assert row.get_attribute("data-line") == line["line"]
        assert row.locator("td").first.inner_text() == line["label"]
        runway = row.locator("td.runway").inner_text()
        assert runway.startswith("beyond horizon") or re.match(r"\d{4}-\d{2}-\d{2}", runway)
    assert "overspend" in pg.inner_text("#budget-note")
    traces = {t["name"]: t for t in _traces(pg, "budget")}
    for line in lines:
        median, amount = traces[line["label"]], traces[f"{line['label']}: amount"]
        assert len(median["y"]) == 60 and median["y"][-1] == pytest.approx(
            line["spent_usd"]["p50"], abs=0.01
        )
        assert set(amount["y"]) == {line["amount_usd"]["p50"]}
    bands = pg.evaluate(
        "() => document.getElementById('chart-budget').data.filter(t => t.fill === 'tonexty')"
        ".length"
    )
    assert bands == 2 * len(lines)  # p5-p95 and p25-p75 for every line
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.locator("#budget-panel").screenshot(path=str(ARTIFACTS / "explorer-budget.png"))
    assert (
        pg.evaluate("() => document.getElementById('chart-budget')._fullLayout.yaxis.range[0]") == 0
    )


def test_the_home_missions_panel_shows_each_row_for_the_operation_and_none_for_baseline(page):
    pg = page
    pg.fill("#reps", "4")
    pg.fill("#days", "30")
    _run(pg, 3)  # Operation At Large details agents of HSI, FBI, DEA, USMS, IRS
    assert pg.is_visible("#home-panel") and "chart-home" in _visible_charts(pg)
    job = pg.evaluate("() => state.a")
    rows = pg.evaluate(
        "id => fetch(`/api/runs/${id}/summary`).then(r => r.json())"
        ".then(s => s.home_output_forgone)",
        job,
    )
    assert rows
    shown = pg.locator("#home-table tr[data-row]")
    assert shown.count() == len(rows)
    for i, r in enumerate(rows):
        tr = shown.nth(i)
        assert tr.get_attribute("data-row") == f"{r['key']}.{r['measure']}"
        cells = tr.locator("td")
        assert cells.nth(0).inner_text() == r["agency"]
        assert cells.nth(1).inner_text().startswith(r["label"])
        assert cells.nth(5).inner_text() == r["unit"]
        assert f"{r['marginal_loss']['value']:g} (range" in cells.nth(6).inner_text()
        assert f"{r['lag_days']['value']:g} days" in cells.nth(7).inner_text()
    assert "not measured losses" in pg.inner_text("#home-panel")
    assert pg.inner_text("#home-title") == "What home missions lose"
    bars = pg.evaluate(
        "() => document.getElementById('chart-home').data.map(t => ({unit: t.name, x: t.x}))"
    )
    assert {b["unit"] for b in bars} == {r["unit"] for r in rows}  # one axis per unit
    for b in bars:
        medians = [r["forgone"]["p50"] for r in rows if r["unit"] == b["unit"]]
        assert b["x"] == pytest.approx(medians)
    assert set(_home_axis_starts(pg)) == {0}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.locator("#home-panel").screenshot(path=str(ARTIFACTS / "explorer-home-missions.png"))

    # The baseline as B details no one: the panel stays A's and says so.
    _pick(pg, "baseline-2024")
    pg.fill("#reps", "4")
    pg.fill("#days", "30")
    _run(pg, 6)
    assert pg.is_visible("#home-panel")
    assert pg.inner_text("#home-title") == "What home missions lose in run A"
    # The baseline alone (as A, so B is the same run): no panel.
    pg.locator("#runs tbody tr").first.locator("input[name=pick-a]").check()
    pg.wait_for_function("document.querySelectorAll('#kpi-table tr:first-child th').length === 3")
    assert pg.is_hidden("#home-panel")


def test_the_page_pairs_only_its_own_runs_and_says_what_differs(page, browser, server):
    pg = page
    pg.fill("#reps", "10")
    pg.fill("#days", "30")
    _run(pg, 3)  # another client's run, now on the server
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        mine = other.new_page()
        mine.goto(server + "/")
        mine.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert mine.locator("#runs tbody tr").count() == 0  # none of this page's
        assert mine.is_hidden("#results")
        mine.fill("#reps", "10")
        mine.fill("#days", "30")
        _run(mine, 3)  # alone as A: never paired with the other client's run
        assert mine.locator("#runs tbody tr").count() == 1
        mine.reload()
        mine.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert mine.locator("#runs tbody tr").count() == 1  # a reload keeps its own
        mine.wait_for_function("document.querySelectorAll('#kpi-table th').length === 3")
        mine.fill("#reps", "10")
        mine.fill("#days", "15")
        _run(mine, 6)
        warning = mine.locator("#compare-warning")
        assert warning.is_visible()
        assert "horizon: A 30 days, B 15 days" in warning.inner_text()
        assert mine.get_attribute("#compare-warning", "role") == "alert"
        # Draws as run, with their grammar.
        mine.check("#uncertainty")
        mine.fill("#inner", "5")
        _run(mine, 6)
        meta = mine.inner_text("#results-meta")
        assert "2 draws of" in meta and "5 replications each" in meta
        assert "2 parameter draws × 5 replications" in mine.inner_text("#runs")
    finally:
        other.close()


def test_the_page_takes_labels_units_and_definitions_from_the_api(page):
    """The page keeps no copy of the registry: what /api/meta says is what it shows."""
    pg = page
    meta = pg.evaluate("() => fetch('/api/meta').then(r => r.json())")

    def altered(route) -> None:
        response = route.fetch()
        doc = response.json()
        doc["measures"]["arrests"]["unit"] = "arrests each day, says the API"
        doc["measures"]["released"]["smooth_days"] = 3
        doc["kpis"]["cost_total_usd"]["definition"] = "Every dollar, says the API."
        route.fulfill(response=response, json=doc)

    pg.route("**/api/meta", altered)
    pg.reload()
    pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
    _small_run(pg)
    _run(pg, 3)
    rows = pg.evaluate(
        "() => [...document.querySelectorAll('#kpi-table tr[data-kpi]')].map(tr => "
        "[tr.dataset.kpi, tr.cells[0].textContent, tr.cells[0].title])"
    )
    # The registry's order; a KPI of a stage the run has off (transfers under hold) is left out.
    keys = [key for key, _, _ in rows]
    assert keys == [k for k in meta["kpis"] if k in keys]
    assert {"arrests_total", "arrests_forgone_capacity", "arrests_custodial"} <= set(keys)
    for key, label, title in rows:
        assert label == meta["kpis"][key]["label"], key
        expected = meta["kpis"][key]["definition"]
        assert title == ("Every dollar, says the API." if key == "cost_total_usd" else expected)
    defined = pg.text_content("#kpi-definitions dd[data-kpi=cost_total_usd]")
    assert defined == "Every dollar, says the API."
    axes = pg.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.chart')]"
        ".filter(d => !d.closest('#budget-panel[hidden]') && d.id !== 'chart-home').map(d => "
        "[d.id, [d.layout.title.text, d.layout.yaxis.title.text]]))"
    )
    assert axes["chart-arrests"][1] == "arrests each day, says the API"
    assert axes["chart-releases"][0] == "Releases per day (trailing 3-day average)"
    assert axes["chart-detention"][1] == meta["measures"]["detained"]["unit"]
    assert axes["chart-costs"][1] == meta["kpis"]["cost_total_usd"]["unit"]


def test_a_bad_lever_gets_a_message_naming_the_field(page):
    pg = page
    _small_run(pg)
    pg.fill("#lever-detention-beds", "-5")
    pg.click("#run-button")
    pg.wait_for_selector("#error:not([hidden])")
    message = pg.inner_text("#error")
    assert "overrides › detention.beds" in message
    assert not pg.is_disabled("#run-button")


def test_every_input_has_a_name_a_screen_reader_can_read(page):
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, select, button')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.textContent.trim())
            .map(e => e.id || e.outerHTML)"""
    )
    assert unnamed == []


def test_a_run_shows_its_results_so_far_then_the_whole_run(browser, monkeypatch):
    """While a run goes on the page draws the replications finished so far, saying how
    many in a live region; at the end the run's own results replace them. The run is held
    after its second chunk of 25 (the server runs in this process), so the page is seen
    in the middle whatever the machine's speed."""
    import json
    import urllib.request

    from atlarge.runs import replications

    gate = threading.Event()
    run_kept_chunk = replications.run_kept_chunk

    def held(inputs, seed, reps, timeseries):
        if reps[0] >= 50:
            gate.wait(120)
        return run_kept_chunk(inputs, seed, reps, timeseries)

    monkeypatch.setattr(replications, "run_kept_chunk", held)
    problems: list[str] = []
    settings = ApiSettings(scenarios_dir=SCENARIOS, max_jobs=2, chunk_size=25)
    with serving(settings) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            pg = context.new_page()
            pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            pg.goto(url + "/")
            pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
            pg.fill("#reps", "100")
            pg.fill("#days", "60")
            pg.click("#run-button")
            pg.wait_for_function(
                "document.getElementById('partial-note').textContent"
                ".includes('50 of 100 replications so far')",
                timeout=120_000,
            )
            note = pg.locator("#partial-note")
            assert note.get_attribute("aria-live") == "polite" and note.is_visible()
            assert "Run in progress" in pg.inner_text("#results-title")
            assert pg.is_hidden("#kpi-table") and pg.is_hidden("#chart-costs")
            so_far = {t["name"]: t for t in _traces(pg, "arrests")}
            median = so_far["A: Arrests per day (median)"]
            assert len(median["x"]) == 60
            job = pg.get_attribute("#runs tr[data-job]", "data-job")
            with urllib.request.urlopen(f"{url}/api/runs/{job}/bands") as res:
                partial = json.load(res)
            assert (partial["partial"], partial["reps_done"]) == (True, 50)
            assert median["y"] == partial["series"]["arrests"]["bands"]["p50"]
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            pg.evaluate("window.scrollTo(0, 0)")
            pg.screenshot(path=str(ARTIFACTS / "explorer-partial.png"))

            gate.set()
            _run_done = (
                "document.querySelectorAll('#kpi-table tr:first-child th').length === 3 "
                "&& !document.getElementById('run-button').disabled"
            )
            pg.wait_for_function(_run_done, timeout=120_000)
            assert pg.inner_text("#partial-note") == ""
            assert pg.inner_text("#results-title") == "Run A"
            assert pg.is_visible("#kpi-table") and pg.is_visible("#chart-costs")
            with urllib.request.urlopen(f"{url}/api/runs/{job}/bands") as res:
                final = json.load(res)
            assert (final["partial"], final["reps_done"]) == (False, 100)
            median = {t["name"]: t for t in _traces(pg, "arrests")}["A: Arrests per day (median)"]
            assert median["y"] == final["series"]["arrests"]["bands"]["p50"]
            assert median["y"] != partial["series"]["arrests"]["bands"]["p50"]
        finally:
            gate.set()
            context.close()
    assert problems == []


def test_a_run_draws_parameters_by_default_and_says_so(page):
    pg = page
    assert pg.is_checked("#uncertainty") and pg.input_value("#inner") == ""
    _small_run(pg)  # 20 replications: about 20 whole draws, so 20 draws of 1
    _run(pg, 3)
    assert "chance variation and parameter uncertainty" in pg.inner_text("#results-meta")
    assert "20 parameter draws × 1 replication" in pg.inner_text("#runs")

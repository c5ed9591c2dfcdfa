"""The HTTP API: scenarios, background runs, results, limits and safety."""

from __future__ import annotations

import io
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from atlarge.analysis.binding import binding
from atlarge.analysis.kpis import KPIS, listed
from atlarge.analysis.summary import mechanisms
from atlarge.api import ApiSettings, create_app
from atlarge.runs.replications import run_model
from atlarge.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def client():
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=2, max_cells=60 * 30 * 25))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _wait(client, job_id, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = client.get(f"/api/runs/{job_id}").json()
        if st["status"] in ("done", "failed"):
            return st
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def _run(client, **body):
    res = client.post(
        "/api/runs", json={"scenario": "operation-at-large", "reps": 4, "days": 20, **body}
    )
    assert res.status_code == 202, res.text
    st = _wait(client, res.json()["job_id"])
    assert st["status"] == "done", st
    return st["job_id"]


def test_scenarios_and_their_parameters(client):
    ids = {s["id"] for s in client.get("/api/scenarios").json()}
    assert {"operation-at-large", "operation-at-large-no-guard", "baseline-2024"} <= ids
    sc = client.get("/api/scenarios/operation-at-large").json()
    params = {p["path"]: p for p in sc["parameters"]}
    assert params["target.arrests_per_day"]["value"] == 3000
    assert params["target.arrests_per_day"]["unit"] == "arrests/day"
    assert params["target.arrests_per_day"]["source"]
    assert params["targeting.pressure_shift"]["assumption"] is True
    assert params["dispositions.expedited.share"]["fitted"]["fitted_on"]
    assert params["dispositions.expedited.share"]["fitted"]["method"]
    assert client.get("/api/scenarios/nope").status_code == 404


def test_a_run_with_overrides_and_its_results(client):
    job = _run(client, overrides={"target.arrests_per_day": 2000})
    s = client.get(f"/api/runs/{job}/summary").json()
    assert s["reps"] == 4 and s["days"] == 20
    st = client.get(f"/api/runs/{job}").json()
    assert st["done"] == st["total"] == 4
    js = client.get(f"/api/runs/{job}/timeseries").json()
    assert js["columns"][:2] == ["rep", "day"] and len(js["rows"]) == 4 * 20
    csv = client.get(f"/api/runs/{job}/timeseries", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") == 81
    pqt = client.get(f"/api/runs/{job}/timeseries", params={"format": "parquet"})
    assert pq.read_table(io.BytesIO(pqt.content)).num_rows == 80


def test_compare_with_and_without_the_guard(client):
    a = _run(client)
    b = _run(client, scenario="operation-at-large-no-guard")
    cmp = client.get("/api/compare", params={"a": a, "b": b}).json()
    cost = cmp["kpis"]["cost_total_usd"]
    assert cost["difference_p50"] < 0  # no Guard, no Guard costs


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"overrides": {"detention.bedz": 5}}, 422, "detention.bedz"),
        ({"overrides": {"detention.beds": -5}}, 422, "below the minimum"),
        ({"scenario": "../../etc/passwd"}, 404, "no scenario"),
        ({"reps": 2000, "days": 365}, 422, "exceeds the cap"),
        ({"reps": 0}, 422, "greater than or equal"),
        ({"path": "/tmp/x"}, 422, "Extra inputs"),
    ],
)
def test_bad_requests_name_the_problem(client, body, status, fragment):
    res = client.post(
        "/api/runs", json={"scenario": "operation-at-large", "reps": 2, "days": 5, **body}
    )
    assert res.status_code == status, res.text
    assert fragment in res.text and "Traceback" not in res.text
    if status == 422 and "overrides" in body:
        loc = res.json()["detail"][0]["loc"]
        assert loc[:2] == ["body", "overrides"]


def test_body_size_and_unknown_jobs(client):
    big = {"scenario": "operation-at-large", "overrides": {f"override{i}": 1 for i in range(10000)}}
    assert client.post("/api/runs", json=big).status_code == 413
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/runs/nope/summary").status_code == 404


def test_concurrent_jobs_are_capped():
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=1))
    with TestClient(app) as c:
        body = {"scenario": "operation-at-large", "reps": 20, "days": 200}
        first = c.post("/api/runs", json=body)
        second = c.post("/api/runs", json=body)
        assert first.status_code == 202
        assert second.status_code == 429
        _wait(c, first.json()["job_id"])


def test_openapi_schema_is_served(client):
    schema = client.get("/openapi.json").json()
    assert "/api/runs" in schema["paths"] and "/api/scenarios/{scenario_id}" in schema["paths"]
    assert "/api/runs/{job_id}/bands" in schema["paths"]


def test_the_page_and_its_files_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Everything the page loads comes from this server (no CDN: it works offline).
    assert 'src="/static/plotly.min.js"' in page.text and "https://" not in page.text
    for name, kind in [
        ("plotly.min.js", "text/javascript"),
        ("explorer.js", "text/javascript"),
        ("explorer.css", "text/css"),
    ]:
        res = client.get(f"/static/{name}")
        assert res.status_code == 200 and res.headers["content-type"].startswith(kind), name
    assert len(client.get("/static/plotly.min.js").content) > 1_000_000
    # Only the fixed table of files: no other name, no path.
    for name in ("index.html", "app.py", "..%2Fapp.py", "%2Fetc%2Fpasswd"):
        assert client.get(f"/static/{name}").status_code == 404, name


def test_meta_serves_the_registry_for_every_kpi_measure_and_cost_stage(client):
    meta = client.get("/api/meta").json()
    job = _run(client)
    s = client.get(f"/api/runs/{job}/summary").json()
    # Every KPI, in the summary's order; one shown only when its stage is on is absent
    # from this run's summary.
    assert [k for k in meta["kpis"] if k in s["kpis"]] == list(s["kpis"])
    assert set(meta["kpis"]) - set(s["kpis"]) == {
        k for k, kpi in KPIS.items() if not listed(kpi, s["mechanisms"])
    }
    assert s["mechanisms"]["limited_countries"]  # the shipped scenarios have them
    for key, kpi in meta["kpis"].items():
        assert kpi["key"] == key
        assert kpi["definition"] == s["definitions"][key]
        assert all(kpi[f] for f in ("label", "unit", "definition", "format")), key
        assert all(kpi["aggregation"].values()), key
    columns = client.get(f"/api/runs/{job}/timeseries").json()["columns"]
    assert set(columns[2:]) <= set(meta["measures"])
    assert meta["measures"]["removed"]["smooth_days"] == 7
    assert meta["measures"]["detained"]["kind"] == "stock"
    assert meta["cost_stages"] == list(s["cost_by_stage_usd"])
    assert meta["limits"]["max_cells"] == 60 * 30 * 25


def test_the_summary_served_is_the_summary_computed(client):
    """The typed response changes nothing: same keys, same order, ints stay ints, absent
    keys stay absent (share_reached only where a day may never come)."""
    import json

    import atlarge
    from atlarge.scenario import load_scenario

    job = _run(client, overrides={"target.arrests_per_day": 2000})
    served = client.get(f"/api/runs/{job}/summary").text
    sc = load_scenario(SCENARIOS / "operation-at-large.toml", set={"target.arrests_per_day": 2000})
    computed = atlarge.simulate(sc, reps=4, seed=1, days=20).summary()
    assert json.dumps(json.loads(served)) == json.dumps(computed)
    kpis = json.loads(served)["kpis"]
    assert "share_reached" in kpis["day_detention_full"]
    assert "share_reached" not in kpis["arrests_total"]


def test_levers_follow_the_scenario(client):
    op = {lv["path"]: lv for lv in client.get("/api/scenarios/operation-at-large").json()["levers"]}
    guard = op["support.national_guard.headcount"]
    assert guard["value"] == 21000 and guard["off_value"] == 0 and guard["switch_label"]
    assert op["regime.enabled"]["kind"] == "toggle" and op["regime.enabled"]["value"] is True
    assert op["target.arrests_per_day"]["value"] == 3000
    assert op["workforce.irs.headcount"]["value"] == 250
    base = {lv["path"]: lv for lv in client.get("/api/scenarios/baseline-2024").json()["levers"]}
    assert base["support.national_guard.headcount"]["value"] == 0  # the switch starts off
    assert base["target.arrests_per_day"]["note"] == ""


def test_bands_match_the_timeseries(client):
    job = _run(client, overrides={"detention.beds": 45000})
    bands = client.get(f"/api/runs/{job}/bands").json()
    assert len(bands["dates"]) == 20 and bands["reps"] == 4
    assert bands["reference"]["beds"] == [45000] * 20
    assert bands["reference"]["target"] == [3000] * 20
    rows = client.get(f"/api/runs/{job}/timeseries").json()
    cols = rows["columns"]
    arrests = np.array([r[cols.index("arrests")] for r in rows["rows"]]).reshape(4, 20)
    b = bands["series"]["arrests"]["bands"]
    assert np.allclose(b["p50"], np.median(arrests, axis=0), atol=0.01)
    assert np.allclose(b["mean"], arrests.mean(axis=0), atol=0.01)
    for s in [*bands["series"].values(), *bands["groups"]]:
        q = s["bands"]
        assert all(
            q["p5"][d] <= q["p25"][d] <= q["p50"][d] <= q["p75"][d] <= q["p95"][d]
            for d in range(20)
        )
    assert [g["key"] for g in bands["groups"]] == [
        g["key"] for g in client.get(f"/api/runs/{job}/summary").json()["by_group"]
    ]


def test_bands_say_which_capacity_binds(client):
    """The page draws the binding chart from the bands: the same shares as the report's,
    judges only with courts, and the sentence that says which binds first."""
    job = _run(client, overrides={"courts.judges": 40})
    # The same run in this process (the numbers do not depend on the chunking).
    sc = load_scenario(SCENARIOS / "operation-at-large.toml", set={"days": 20, "courts.judges": 40})
    out = run_model(sc, 4, 1)
    doc = client.get(f"/api/runs/{job}/bands").json()["binding"]
    keys = [c["key"] for c in doc["constraints"]]
    assert keys == ["book_in", "beds", "judges", "seats"]
    expected = binding(out)
    for c in doc["constraints"]:
        assert c["share"] == pytest.approx(expected.share[c["key"]].tolist(), abs=1e-4)
        assert c["first_day"] == expected.first_day[c["key"]]
        assert c["label"] and c["definition"]
    assert expected.first_day["judges"] is not None  # 40 judges: the detained docket waits
    assert doc["text"].startswith("First to bind: ")
    base = _run(client, scenario="baseline-2024")
    keys = [
        c["key"] for c in client.get(f"/api/runs/{base}/bands").json()["binding"]["constraints"]
    ]
    assert keys == ["book_in", "beds", "seats"]


def test_bands_carry_the_funding_lines_of_a_run_with_a_budget(client):
    """The explorer's Budget panel: each line of summary.json with its runway formatted as
    the report writes it and daily bands of cumulative spending; none without a budget."""
    from jsonschema import Draft202012Validator

    job = _run(client, scenario="operation-at-large-funded", days=30)
    summary = client.get(f"/api/runs/{job}/summary").json()
    bands = client.get(f"/api/runs/{job}/bands").json()
    Draft202012Validator(_bands_schema(client)).validate(bands)  # as /openapi.json says
    budget = bands["budget"]
    assert budget["on_exhausted"] == summary["on_exhausted"] == "overspend"
    assert "overspend" in budget["on_exhausted_text"]
    runway = summary["funding_runway"]
    assert [b["line"] for b in budget["lines"]] == [r["line"] for r in runway]
    for b, r in zip(budget["lines"], runway, strict=True):
        assert {k: b[k] for k in r} == r  # the summary's row, unchanged
        q = b["cumulative"]
        assert len(q["p50"]) == 30
        assert q["p50"][-1] == pytest.approx(r["spent_usd"]["p50"], abs=0.01)
        assert all(
            q["p5"][d] <= q["p25"][d] <= q["p50"][d] <= q["p75"][d] <= q["p95"][d]
            for d in range(30)
        )
        assert all(x <= y for x, y in zip(q["p50"], q["p50"][1:], strict=False))  # cumulative
        f = b["formatted"]
        assert f["runway"].startswith("beyond horizon") == (r["date_p50"] is None)
        assert f["amount"].startswith("$")
    assert summary["cost_by_fiscal_year"][0]["fiscal_year"] == 2025
    plain = _run(client)
    assert client.get(f"/api/runs/{plain}/bands").json()["budget"] is None
    plain_summary = client.get(f"/api/runs/{plain}/summary").json()
    assert "funding_runway" not in plain_summary and "cost_by_fiscal_year" in plain_summary


def _bands_schema(client) -> dict:
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/api/runs/{job_id}/bands"]["get"]["responses"]["200"]
    return {**ok["content"]["application/json"]["schema"], "components": spec["components"]}


def test_bands_carry_what_home_missions_lose_when_agents_are_detailed(client):
    """The explorer's panel "What home missions lose": summary.json's rows unchanged, each
    formatted as the report writes it, with the definition; none for a run that takes no
    agent-days from another agency."""
    from jsonschema import Draft202012Validator

    from atlarge.report.html import home_rows

    job = _run(client, days=30)
    summary = client.get(f"/api/runs/{job}/summary").json()
    bands = client.get(f"/api/runs/{job}/bands").json()
    Draft202012Validator(_bands_schema(client)).validate(bands)
    home = bands["home_missions"]
    assert home["definition"] == summary["home_output_forgone_definition"]
    assert "not measured losses" in home["definition"]
    assert "held at their values" in home["band_text"]  # no draws: assumptions fixed
    expected = summary["home_output_forgone"]
    assert expected and [(r["key"], r["measure"]) for r in home["rows"]] == [
        (r["key"], r["measure"]) for r in expected
    ]
    for row, r, report in zip(home["rows"], expected, home_rows(summary), strict=True):
        assert {k: row[k] for k in r} == r  # the summary's row, unchanged
        f = row["formatted"]
        assert f["median"] == report["median"] and f["band"] == report["band"]
        assert f["loss"].startswith(f"{r['marginal_loss']['value']:g} (range ")
        assert f["lag"].startswith(f"{r['lag_days']['value']:g} days")
    usms = next(r for r in home["rows"] if r["key"] == "usms")
    assert usms["forgone"]["p50"] > 0 and usms["formatted"]["median"] != "0.0"
    dollars = [r for r in home["rows"] if r["unit"] == "USD"]
    assert dollars and all(r["formatted"]["median"].startswith("$") for r in dollars)

    baseline = _run(client, scenario="baseline-2024", days=30)
    assert client.get(f"/api/runs/{baseline}/summary").json()["home_output_forgone"] == []
    assert client.get(f"/api/runs/{baseline}/bands").json()["home_missions"] is None


def test_home_missions_band_says_when_it_holds_the_drawn_assumptions(client):
    job = _run(client, reps=4, uncertainty_inner=2)
    assert (
        "drawn marginal losses"
        in (client.get(f"/api/runs/{job}/bands").json()["home_missions"]["band_text"])
    )


def test_downloads_name_their_run(client):
    job = _run(client)
    for path, what in [
        (f"/api/runs/{job}/timeseries?format=csv", "national.csv"),
        (f"/api/runs/{job}/timeseries?format=parquet", "national.parquet"),
        (f"/api/runs/{job}/report", "report.html"),
    ]:
        res = client.get(path)
        assert res.status_code == 200
        assert f'filename="operation-at-large-{job}-{what}"' in res.headers["content-disposition"]
    report = client.get(f"/api/runs/{job}/report").text
    assert report.startswith("<!DOCTYPE html>") and "set by an override" not in report
    listed = [r["job_id"] for r in client.get("/api/runs").json()]
    assert job in listed
    assert client.get(f"/api/runs/{job}").json()["request"]["reps"] == 4


def test_the_report_shows_what_the_scenario_file_changes_from_its_parent(client):
    """As atlarge run's: the API knows the file a run started from, so its report has the
    table "Changes from" the scenario that file extends."""
    from atlarge.scenario.diff import changes_from_parent

    job = _run(client, scenario="operation-at-large-no-guard")
    report = client.get(f"/api/runs/{job}/report").text
    start = report.index("id=from-parent")
    section = report[start : report.index("</section>", start)]
    assert "Changes from operation-at-large.toml" in section
    assert "national_guard" in section and "21,000" in section
    expected = changes_from_parent(SCENARIOS / "operation-at-large-no-guard.toml").diff
    assert section.count("<tr>") == len(expected.changes) + 1  # a row each, and the head


def test_runs_are_recorded_in_the_results_store_with_db(tmp_path):
    from atlarge.runs.store import Store

    db = tmp_path / "results.duckdb"
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, db=db))
    with TestClient(app) as c:
        jobs = [_run(c, overrides={"target.arrests_per_day": 2000}) for _ in range(2)]
        ids = {c.get(f"/api/runs/{j}").json()["stored_run_id"] for j in jobs}
        summary = c.get(f"/api/runs/{jobs[0]}/summary").json()
    assert len(ids) == 1 and None not in ids  # the same numbers are stored once
    (row,) = Store(db).runs()
    assert row["run_id"] in ids and row["sweep_id"] is None
    assert row["overrides"] == '{"days": 20, "target.arrests_per_day": 2000}'  # as sweeps record
    assert (row["reps"], row["days"], row["seed"]) == (4, 20, 1)
    assert Store(db).kpis(row["run_id"])["arrests_total"] == summary["kpis"]["arrests_total"]
    assert pq.read_table(row["timeseries_path"]).num_rows == 4 * 20


def test_compare_labels_and_formats_as_the_report(client):
    a = _run(client)
    b = _run(client, scenario="operation-at-large-no-guard")
    cost = client.get("/api/compare", params={"a": a, "b": b}).json()["kpis"]["cost_total_usd"]
    assert cost["label"] == KPIS["cost_total_usd"].label == "Cost, total"
    assert cost["formatted"]["a"]["p50"].startswith("$")
    assert cost["formatted"]["difference_p50"].startswith("-$")
    alone = client.get("/api/compare", params={"a": a}).json()
    assert alone["b"] is None and "difference_p50" not in alone["kpis"]["arrests_total"]
    assert set(alone["kpis"]["arrests_total"]["formatted"]) == {"a"}


def test_compare_refuses_runs_over_other_days_unless_asked(client):
    a = _run(client)
    b = _run(client, days=10)
    res = client.get("/api/compare", params={"a": a, "b": b})
    assert res.status_code == 409
    detail = res.json()["detail"]
    assert "horizon: A 20 days, B 10 days" in detail and "allow_different=true" in detail
    ok = client.get("/api/compare", params={"a": a, "b": b, "allow_different": "true"}).json()
    (diff,) = ok["differences"]
    assert (diff["field"], diff["a"], diff["b"], diff["blocking"]) == ("days", 20, 10, True)
    assert ok["kpis"]["arrests_total"]["difference_p50"] < 0
    # Like with like: no differences, no refusal; bands of another kind are named, not refused.
    same = client.get("/api/compare", params={"a": a, "b": _run(client)}).json()
    assert same["differences"] == []
    drawn = _run(client, reps=4, uncertainty_inner=2)
    mixed = client.get("/api/compare", params={"a": a, "b": drawn})
    assert mixed.status_code == 200
    (diff,) = mixed.json()["differences"]
    assert diff["field"] == "uncertainty" and not diff["blocking"]


@pytest.mark.parametrize(("reps", "inner"), [(5, 10), (10, 10), (7, 2)])
def test_uncertainty_runs_must_split_into_whole_draws(client, reps, inner):
    body = {"scenario": "operation-at-large", "reps": reps, "days": 5}
    res = client.post("/api/runs", json={**body, "uncertainty_inner": inner})
    assert res.status_code == 422, res.text
    msg = res.json()["detail"][0]["msg"]
    assert f"reps {reps}" in msg and f"uncertainty_inner {inner}" in msg


def test_uncertainty_summary_reports_draws_as_run(client):
    job = _run(client, reps=6, uncertainty_inner=3)
    u = client.get(f"/api/runs/{job}/summary").json()["uncertainty"]
    assert (u["draws"], u["replications_per_draw"]) == (2, 3)


# -- input errors are 4xx naming the field -----------------------------------------------------

DIGITS = "9" * 60_000


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ('{"detention.beds": "' + DIGITS + '"}', ["body", "overrides", "detention.beds"]),
        ('{"detention.beds": ' + "9" * 4000 + "}", ["body", "overrides", "detention.beds"]),
        ('{"detention.beds": NaN}', ["body", "overrides", "detention.beds"]),
        ('{"detention.beds": 1e400}', ["body", "overrides", "detention.beds"]),
        ('{"' + "x" * 500 + '": 1}', ["body", "overrides"]),
    ],
)
def test_unusable_override_values_are_422_naming_the_field(client, raw, loc):
    body = '{"scenario": "operation-at-large", "reps": 2, "days": 5, "overrides": ' + raw + "}"
    res = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    assert res.status_code == 422, res.text
    assert res.json()["detail"][0]["loc"][: len(loc)] == loc
    assert "internal error" not in res.text


def test_input_errors_raised_while_handling_a_request_are_422(client, monkeypatch):
    """Any ScenarioError, AtlargeInputError or ValueError from handling a run request is a
    422 that names a field, whatever raised it."""
    import atlarge.api.app as app_module
    from atlarge.errors import AtlargeInputError, OptionError, ScenarioError
    from atlarge.scenario.loader import SET_ORIGIN

    cases = [
        (ScenarioError(SET_ORIGIN, "detention.beds", "too many"), ["body", "overrides"]),
        (ScenarioError("x.toml", "days", "bad"), ["body"]),
        (OptionError("seed", "bad seed"), ["body", "seed"]),
        (OptionError("sets", "bad `sets`"), ["body", "overrides"]),
        (AtlargeInputError("bad input"), ["body"]),
        (ValueError("Exceeds the limit (4300 digits)"), ["body", "overrides"]),
        (OverflowError("int too large"), ["body", "overrides"]),
    ]
    for exc, loc in cases:

        def boom(*_a, _exc=exc, **_k):
            raise _exc

        monkeypatch.setattr(app_module, "load_scenario", boom)
        res = client.post("/api/runs", json={"scenario": "operation-at-large", "reps": 1})
        assert res.status_code == 422, (exc, res.text)
        assert res.json()["detail"][0]["loc"][: len(loc)] == loc


MAX_SEED = 2**63 - 1


def test_the_seed_range_is_the_same_for_the_api_the_cli_and_simulate(client, cli, tmp_path):
    from atlarge.errors import OptionError
    from atlarge.simulation import simulate
    from tests.conftest import small_scenario

    ok = client.post(
        "/api/runs", json={"scenario": "operation-at-large", "reps": 1, "days": 5, "seed": MAX_SEED}
    )
    assert ok.status_code == 202, ok.text
    assert _wait(client, ok.json()["job_id"])["status"] == "done"
    for bad in (MAX_SEED + 1, -1):
        res = client.post("/api/runs", json={"scenario": "operation-at-large", "seed": bad})
        assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["body", "seed"]
    sc = small_scenario(days=5)
    assert simulate(sc, reps=1, seed=MAX_SEED).summary()["seed"] == MAX_SEED
    for bad in (MAX_SEED + 1, -1):
        with pytest.raises(OptionError, match=r"^seed: ") as err:
            simulate(sc, reps=1, seed=bad)
        assert err.value.parameter == "seed"
    small = SCENARIOS.parent / "tests" / "scenarios" / "small-open.toml"
    res = cli("run", small, "--days", "5", "--reps", "1", "--seed", MAX_SEED, "--quiet",
              "--out", tmp_path / "out")  # fmt: skip
    assert res.code == 0, res.err
    for command in (
        ("run", small), ("sweep", small, "--vary", "detention.beds=1:2"),
        ("sensitivity", small), ("backtest",), ("calibrate",),
    ):  # fmt: skip
        for bad in (MAX_SEED + 1, -1):
            res = cli(*command, "--seed", bad)
            assert res.code == 2 and "--seed" in res.err, (command, res.err)


# -- serving beyond this machine -----------------------------------------------------------------

TOKEN = "test-token-0123456789abcdef"


def _api_routes(app):
    """Every /api route of the OpenAPI schema, as (method, path)."""
    return [
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        if path.startswith("/api")
        for method in ops
    ]


def test_with_a_token_every_api_route_needs_it():
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, max_cells=60 * 30 * 25, token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, raise_server_exceptions=False) as c:
        body = {"scenario": "operation-at-large", "reps": 2, "days": 5}
        start = c.post("/api/runs", json=body, headers=auth)
        assert start.status_code == 202, start.text
        job = start.json()["job_id"]
        _wait_auth = time.time() + 60
        while c.get(f"/api/runs/{job}", headers=auth).json()["status"] != "done":
            assert time.time() < _wait_auth
            time.sleep(0.05)
        routes = _api_routes(app)
        assert len(routes) >= 10
        for method, path in routes:
            url = path.format(scenario_id="operation-at-large", job_id=job)
            kwargs = {"params": {"a": job}} if path == "/api/compare" else {}
            if method == "POST":
                kwargs["json"] = body
            for headers in (
                {},
                {"Authorization": "Bearer wrong-token-0123456789abcdef"},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": TOKEN},
                {"Authorization": f"Bearer {TOKEN}x"},
            ):
                res = c.request(method, url, headers=headers, **kwargs)
                assert res.status_code == 401, (method, path, headers)
                assert res.headers["www-authenticate"] == "Bearer"
            res = c.request(method, url, headers=auth, **kwargs)
            assert res.status_code in (200, 202), (method, path, res.text)
            if method == "POST":
                _wait(_Authed(c, auth), res.json()["job_id"])
        for page in ("/", "/static/explorer.js"):  # the page loads, then asks for the token
            assert c.get(page).status_code == 200


class _Authed:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, url):
        return self.client.get(url, headers=self.headers)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"])
def test_on_loopback_nothing_changes(host):
    from atlarge.api.app import access_token

    assert access_token(host, env={}) == (None, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org", "10.0.0.1"])
def test_beyond_loopback_a_token_is_required(host, tmp_path):
    from atlarge.api.app import access_token
    from atlarge.errors import OptionError

    with pytest.raises(OptionError, match=r"^host: ") as err:
        access_token(host, env={})
    assert "ATLARGE_TOKEN" in str(err.value) and "token_file" in str(err.value)
    token, warning = access_token(host, env={}, insecure=True)
    assert token is None and "WITHOUT an access token" in warning
    assert access_token(host, env={"ATLARGE_TOKEN": f" {TOKEN}\n"}) == (TOKEN, None)
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    assert access_token(host, token_file=f, env={}) == (TOKEN, None)
    for bad, message in (
        (tmp_path / "missing", "does not exist"),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(OptionError, match=r"^token_file: ") as err:
            access_token(host, token_file=bad, env={})
        assert message in str(err.value)
    f.write_text("short")
    with pytest.raises(OptionError, match="at least 16"):
        access_token(host, token_file=f, env={})
    with pytest.raises(OptionError, match="ATLARGE_TOKEN"):
        access_token(host, env={"ATLARGE_TOKEN": "has space inside it!!"})


def test_serve_beyond_loopback_refuses_before_binding(cli, monkeypatch):
    import socket

    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append((app, kw)))
    monkeypatch.delenv("ATLARGE_TOKEN", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    scenarios = (SCENARIOS, "--port", port)  # a free port: the bind is tried first
    res = cli("serve", "--host", "0.0.0.0", "--scenarios", *scenarios)
    assert res.code == 2 and "--host" in res.err and not started
    res = cli("serve", "--host", "0.0.0.0", "--scenarios", *scenarios, "--insecure-no-token")
    assert res.code == 0 and "WITHOUT an access token" in res.err
    assert started[-1][1]["host"] == "0.0.0.0"
    monkeypatch.setenv("ATLARGE_TOKEN", TOKEN)
    res = cli("serve", "--host", "0.0.0.0", "--scenarios", *scenarios)
    assert res.code == 0 and "#token=TOKEN" in res.out and TOKEN not in res.out
    with TestClient(started[-1][0]) as c:
        assert c.get("/api/meta").status_code == 401
        assert c.get("/api/meta", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    monkeypatch.delenv("ATLARGE_TOKEN")
    res = cli("serve", "--scenarios", *scenarios)  # loopback: as before
    assert res.code == 0 and len(started) == 3
    with TestClient(started[-1][0]) as c:
        assert c.get("/api/meta").status_code == 200


@pytest.fixture
def gated(monkeypatch):
    """Runs whose chunks after the first wait for ``gate`` (set it to let them go): a run
    that is held in the middle, to ask for its results so far."""
    import threading

    from atlarge.runs import replications

    gate = threading.Event()
    run_kept_chunk = replications.run_kept_chunk

    def held(inputs, seed, reps, timeseries):
        if reps[0] > 0:
            assert gate.wait(120), "the test did not let the run go on"
        return run_kept_chunk(inputs, seed, reps, timeseries)

    monkeypatch.setattr(replications, "run_kept_chunk", held)
    yield gate
    gate.set()


def _bands_when(client, job, ready, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        res = client.get(f"/api/runs/{job}/bands")
        if ready(res):
            return res
        time.sleep(0.05)
    raise AssertionError("the bands never got there")


def _valid_bands(client, bands):
    """``bands`` validates against the Bands schema the server publishes."""
    from jsonschema import Draft202012Validator

    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/api/runs/{job_id}/bands"]["get"]["responses"]["200"]
    schema = {**ok["content"]["application/json"]["schema"], "components": spec["components"]}
    Draft202012Validator(schema).validate(bands)


def test_bands_of_the_replications_so_far_while_a_run_goes_on(client, gated):
    """After its first chunk a running job answers with the bands of the replications
    finished so far, marked partial; they are a run of that many replications. When it is
    done, the run's own bands, no longer partial, as a run not watched gives them."""
    body = {"scenario": "operation-at-large", "reps": 50, "days": 12, "seed": 5}
    job = client.post("/api/runs", json=body).json()["job_id"]  # chunks of 25
    res = _bands_when(client, job, lambda r: r.status_code == 200)
    part = res.json()
    assert client.get(f"/api/runs/{job}").json()["status"] == "running"
    assert (part["partial"], part["reps_done"], part["reps_total"], part["reps"]) == (
        True,
        25,
        50,
        25,
    )
    sc = load_scenario(SCENARIOS / "operation-at-large.toml", set={"days": 12})
    first = run_model(sc, 25, 5)
    b = part["series"]["arrests"]["bands"]
    assert np.allclose(b["p50"], np.median(first.national("arrests"), axis=0), atol=0.01)
    assert part["mechanisms"] == mechanisms(sc) and part["mechanisms"]["courts"]
    _valid_bands(client, part)
    # Still running: the results that need the whole run are not there yet.
    assert client.get(f"/api/runs/{job}/summary").status_code == 409
    gated.set()
    assert _wait(client, job)["status"] == "done"
    final = client.get(f"/api/runs/{job}/bands").json()
    assert (final["partial"], final["reps_done"], final["reps_total"], final["reps"]) == (
        False,
        50,
        50,
        50,
    )
    whole = run_model(sc, 50, 5)
    b = final["series"]["arrests"]["bands"]
    assert np.allclose(b["p50"], np.median(whole.national("arrests"), axis=0), atol=0.01)
    assert final["series"] != part["series"]


def test_a_running_job_has_no_bands_before_its_first_chunk(client, monkeypatch):
    """Before any chunk is in, and for jobs that failed or are unknown, the answers are
    those of before: 409 and 404."""
    import threading

    from atlarge.runs import replications

    gate = threading.Event()
    run_kept_chunk = replications.run_kept_chunk

    def held(*args):
        assert gate.wait(120)
        return run_kept_chunk(*args)

    monkeypatch.setattr(replications, "run_kept_chunk", held)
    body = {"scenario": "operation-at-large", "reps": 4, "days": 5}
    job = client.post("/api/runs", json=body).json()["job_id"]
    try:
        res = client.get(f"/api/runs/{job}/bands")
        assert res.status_code == 409 and ("queued" in res.text or "running" in res.text)
    finally:
        gate.set()
    assert _wait(client, job)["status"] == "done"
    assert client.get(f"/api/runs/{job}/bands").json()["partial"] is False
    assert client.get("/api/runs/nope/bands").status_code == 404


def test_a_cancelled_run_keeps_no_partial_bands(client, gated):
    body = {"scenario": "operation-at-large", "reps": 50, "days": 12}
    job = client.post("/api/runs", json=body).json()["job_id"]
    _bands_when(client, job, lambda r: r.status_code == 200)
    assert client.delete(f"/api/runs/{job}").status_code == 200
    gated.set()
    deadline = time.time() + 120
    while client.get(f"/api/runs/{job}").json()["status"] != "cancelled":
        assert time.time() < deadline
        time.sleep(0.05)
    res = client.get(f"/api/runs/{job}/bands")
    assert res.status_code == 409 and "cancelled" in res.text


def test_the_server_chunk_size_sets_how_often_results_arrive():
    """``ApiSettings.chunk_size`` cuts runs finer (more partial results), same numbers."""
    seen = []
    app = create_app(ApiSettings(scenarios_dir=SCENARIOS, chunk_size=3))
    with TestClient(app) as c:
        job = c.post(
            "/api/runs", json={"scenario": "operation-at-large", "reps": 7, "days": 5}
        ).json()["job_id"]
        while (st := c.get(f"/api/runs/{job}").json())["status"] not in ("done", "failed"):
            seen.append(st["done"])
            time.sleep(0.01)
        assert st["status"] == "done"
        assert set(seen) <= {0, 3, 6, 7}
        bands = c.get(f"/api/runs/{job}/bands").json()
    sc = load_scenario(SCENARIOS / "operation-at-large.toml", set={"days": 5})
    out = run_model(sc, 7, 1)
    assert bands["series"]["arrests"]["bands"]["mean"] == pytest.approx(
        out.national("arrests").mean(axis=0).tolist(), abs=0.01
    )

"""The KPI and field-office tables as CSV and XLSX: from ``atlarge run --export``, in the
report, from the API; every value read back equals summary.json's."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import math
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atlarge.analysis.kpis import KPIS, shown_kpis
from atlarge.errors import OptionError
from atlarge.report.exports import (
    FORMATS,
    KPI_COLUMNS,
    STATS,
    band_kind,
    band_sentence,
    export_formats,
    kpis_csv,
    office_columns,
    offices_csv,
    to_csv,
    to_xlsx,
)
from tests.conftest import ROOT, SCENARIOS, run_atlarge

SMALL = ROOT / "tests" / "scenarios" / "small-open.toml"
RUN = ("run", str(SMALL), "--reps", "4", "--days", "10", "--seed", "2", "--quiet")
TABLES = ("kpis.csv", "offices.csv", "atlarge-results.xlsx")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports") / "run"
    proc = run_atlarge(*RUN, "--export", "csv,xlsx", "--out", out, timeout=300)
    return out, proc, json.loads((out / "summary.json").read_text())


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _check_kpis(rows: list[dict], summary: dict, read=_number) -> None:
    """Each row's statistics equal summary.json's; one row per KPI the run shows."""
    assert [r["kpi"] for r in rows] == list(shown_kpis(summary))
    for r in rows:
        s = summary["kpis"][r["kpi"]]
        for q in STATS:
            assert read(r[q]) == s[q], (r["kpi"], q)
        assert read(r["share_reached"]) == s.get("share_reached")
        assert r["unit"] == KPIS[r["kpi"]].unit
        assert r["label"] == KPIS[r["kpi"]].label
        assert r["band"] == band_kind(summary)


def _check_offices(rows: list[dict], summary: dict, read=_number) -> None:
    offices = summary["by_office"]
    assert [r["office"] for r in rows] == [o["office"] for o in offices]
    figures = {c.rsplit("_", 1)[0] for c in office_columns(summary)[2:-1]}
    assert figures and figures <= set(KPIS)
    for r, o in zip(rows, offices, strict=True):
        for key in figures:
            for q in STATS:
                assert read(r[f"{key}_{q}"]) == o[key][q], (o["office"], key, q)
        assert r["band"] == band_kind(summary)


class Spreadsheet:
    """An XLSX cell's value, equal to a summary figure as a spreadsheet holds numbers:
    openpyxl writes 16 significant digits (Excel keeps 15), so the last of the 17 a float
    may need can differ; empty cells are None."""

    def __init__(self, value: float | None) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if self.value is None or other is None:
            return self.value is other
        return math.isclose(self.value, other, rel_tol=1e-15, abs_tol=0.0)

    def __repr__(self) -> str:
        return repr(self.value)


# -------------------------------------------------------------------- the command line


def test_run_writes_the_tables_into_its_folder_and_manifest(run_dir):
    out, proc, _ = run_dir
    names = {p.name for p in out.iterdir()}
    assert set(TABLES) <= names
    manifest = json.loads((out / ".atlarge-manifest.json").read_text())
    assert set(TABLES) <= set(manifest["files"])  # written by atlarge: replaced next time
    assert all(name in proc.stdout.replace("\n", "") for name in TABLES)


def test_csv_values_equal_summary_json(run_dir):
    out, _, summary = run_dir
    _check_kpis(_read_csv((out / "kpis.csv").read_text()), summary)
    _check_offices(_read_csv((out / "offices.csv").read_text()), summary)
    assert band_kind(summary) == "assumption draws x replications"  # the run's default


def test_xlsx_opens_with_its_sheets_and_the_same_values(run_dir):
    from openpyxl import load_workbook

    out, _, summary = run_dir
    wb = load_workbook(out / "atlarge-results.xlsx")
    assert wb.sheetnames == ["KPIs", "Offices", "About"]

    def records(ws) -> list[dict]:
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    _check_kpis(records(wb["KPIs"]), summary, read=Spreadsheet)
    _check_offices(records(wb["Offices"]), summary, read=Spreadsheet)
    assert [c.value for c in wb["KPIs"][1]] == list(KPI_COLUMNS)
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True)}
    assert about["Scenario"] == summary["scenario"]["name"]
    assert about["Seed"] == "2" and about["Replications"] == "4" and about["Days"] == "10"
    assert about["Band kind"] == "assumption draws x replications"
    assert about["atlarge version"] == summary["atlarge_version"]
    assert "aggregate" in about["Counts"] and "person" in about["Counts"]
    assert "4 draws" in about["Bands"]


def test_the_report_links_both_tables_and_the_xlsx_beside_it(run_dir):
    out = run_dir[0]
    html = (out / "report.html").read_text()
    links = dict(re.findall(r'<a href="([^"]+)" download="([^"]+)">', html))
    by_file = {name: href for href, name in links.items()}
    assert set(by_file) == set(TABLES)
    for name in ("kpis.csv", "offices.csv"):  # inside the report: it stays one file
        head, data = by_file[name].split(",", 1)
        assert head == "data:text/csv;charset=utf-8;base64"
        assert base64.b64decode(data) == (out / name).read_bytes()
    assert by_file["atlarge-results.xlsx"] == "atlarge-results.xlsx"


def test_without_export_the_folder_has_no_tables_and_the_report_no_xlsx_link(tmp_path):
    from atlarge import simulate
    from tests.conftest import small_scenario

    res = simulate(small_scenario(SMALL, days=5), reps=2, seed=1)
    plain = res.report(tmp_path / "plain")
    assert not {p.name for p in plain.iterdir()} & set(TABLES)
    html = (plain / "report.html").read_text()
    assert 'download="kpis.csv"' in html and 'download="offices.csv"' in html
    assert "atlarge-results.xlsx" not in html
    # The Python API takes the same formats (a string or a list).
    both = res.report(tmp_path / "both", exports="xlsx,csv")
    assert set(TABLES) <= {p.name for p in both.iterdir()}
    assert (both / "kpis.csv").read_bytes().decode() == kpis_csv(res.summary())  # as written


@pytest.mark.parametrize("value", ["pdf", "xls", "csv,", "", "csv,,xlsx", "csv;xlsx"])
def test_a_bad_export_value_exits_2_naming_the_option(cli, tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    res = cli(*RUN, "--export", value, "--out", tmp_path / "bad")
    assert res.code == 2, res.err
    assert "--export" in res.err and "csv or xlsx" in res.err
    assert "Traceback" not in res.err and len(res.err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # refused before any work or any file


def test_a_folder_with_files_atlarge_did_not_write_is_left_alone(cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "kpis.csv").write_text("my own table\n")
    res = cli(*RUN, "--export", "csv", "--out", out)
    assert res.code == 2 and "--out" in res.err
    assert [p.name for p in out.iterdir()] == ["kpis.csv"]
    assert (out / "kpis.csv").read_text() == "my own table\n"


# ------------------------------------------------------------------------ the functions

NAMES = st.sampled_from(FORMATS).map(lambda f: f.upper() if len(f) % 2 else f)


@given(st.lists(st.lists(NAMES, min_size=1, max_size=3), min_size=1, max_size=3), st.booleans())
def test_formats_repeat_or_comma_list_alike(groups, spaced):
    sep = ", " if spaced else ","
    items = [sep.join(g) for g in groups]
    wanted = {n.lower() for g in groups for n in g}
    assert export_formats(items) == tuple(f for f in FORMATS if f in wanted)
    assert export_formats(",".join(items)) == export_formats(items)
    assert export_formats(None) == ()


@given(st.text(max_size=8).filter(lambda t: t.strip().lower() not in FORMATS and "," not in t))
def test_any_other_format_is_refused_naming_exports(name):
    with pytest.raises(OptionError) as err:
        export_formats(["csv", name])
    assert err.value.parameter == "exports"


CELLS = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**15), 10**15),
)


@given(st.lists(st.tuples(st.text(max_size=12), CELLS, CELLS), max_size=6))
def test_csv_numbers_read_back_exactly_and_text_never_runs_as_a_formula(rows):
    records = [{"name": n, "a": a, "b": b} for n, a, b in rows]
    back = _read_csv(to_csv(records, ["name", "a", "b"]))
    assert len(back) == len(records)
    for got, r in zip(back, records, strict=True):
        for c in ("a", "b"):
            assert _number(got[c]) == r[c]
        starts_a_formula = r["name"][:1] in ("=", "+", "-", "@", "\t", "\r")
        assert got["name"] == ("'" if starts_a_formula else "") + r["name"]


def test_text_that_looks_like_a_formula_stays_text(run_dir):
    from openpyxl import load_workbook

    summary = copy.deepcopy(run_dir[2])
    summary["scenario"]["name"] = '=HYPERLINK("http://example.invalid")'
    summary["by_office"][0]["office"] = "=1+1"
    wb = load_workbook(io.BytesIO(to_xlsx(summary)))
    assert wb["Offices"]["A2"].value == "=1+1" and wb["Offices"]["A2"].data_type == "s"
    about = {r[0].value: r[1] for r in wb["About"].iter_rows()}
    assert about["Scenario"].data_type == "s"
    assert _read_csv(offices_csv(summary))[0]["office"] == "'=1+1"


def _with_posterior(summary: dict, others: str | None, joint: list[str]) -> dict:
    """``summary`` as if its draws had used a posterior of ``joint`` (None: a posterior
    left unused, every ranged parameter drawn)."""
    out = copy.deepcopy(summary)
    u = out["uncertainty"]
    u |= {"posterior": others is not None, "posterior_others": others}
    u["posterior_parameters"] = joint if others else []
    if others == "held":
        u["drawn_parameters"] = joint
    elif others == "drawn":
        u["drawn_parameters"] = sorted(set(u["drawn_parameters"]) | set(joint))
    return out


def test_band_kind_says_what_the_bands_contain(run_dir):
    summary = run_dir[2]
    joint = summary["uncertainty"]["drawn_parameters"][:2]
    drawn = _with_posterior(summary, "drawn", joint)
    assert band_kind(drawn) == "posterior and assumption draws x replications"
    assert "posterior (drawn jointly) and the ranged assumptions (each drawn independently" in (
        band_sentence(drawn)
    )
    # Others held: no ranged assumption is drawn, and neither the cell nor the About sheet
    # says one is.
    held = _with_posterior(summary, "held", joint)
    assert band_kind(held) == "posterior draws x replications"
    assert {r["band"] for r in _read_csv(kpis_csv(held))} == {"posterior draws x replications"}
    assert "assumption" not in band_sentence(held)
    assert "every other parameter held at its value" in band_sentence(held)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(to_xlsx(held)))["About"]
    about = {r[0].value: r[1].value for r in sheet.iter_rows()}
    assert about["Bands"] == band_sentence(held) and "assumptions" not in about["Bands"]
    # A posterior left unused (a posterior path changed): the ranged assumptions alone.
    unused = _with_posterior(summary, None, joint)
    assert band_kind(unused) == "assumption draws x replications"
    assert "posterior" not in band_sentence(unused)
    summary = copy.deepcopy(summary)
    summary["uncertainty"] = {"kind": "stochastic", "draws": 0}
    assert band_kind(summary) == "randomness alone"
    assert {r["band"] for r in _read_csv(kpis_csv(summary))} == {"randomness alone"}


# -------------------------------------------------------------------------------- the API


@pytest.fixture(scope="module")
def api():
    from fastapi.testclient import TestClient

    from atlarge.api import ApiSettings, create_app

    with TestClient(create_app(ApiSettings(scenarios_dir=SCENARIOS))) as client:
        body = {"scenario": "operation-at-large", "reps": 4, "days": 10}
        job = client.post("/api/runs", json=body).json()["job_id"]
        deadline = time.time() + 120
        while client.get(f"/api/runs/{job}").json()["status"] not in ("done", "failed"):
            assert time.time() < deadline, "the run did not finish"
            time.sleep(0.05)
        yield client, job


def test_api_csv_endpoints_serve_the_summarys_numbers(api):
    client, job = api
    summary = client.get(f"/api/runs/{job}/summary").json()
    kpis = client.get(f"/api/runs/{job}/export.csv?table=kpis")
    assert kpis.status_code == 200 and kpis.headers["content-type"].startswith("text/csv")
    assert f'filename="operation-at-large-{job}-kpis.csv"' in kpis.headers["content-disposition"]
    _check_kpis(_read_csv(kpis.text), summary)
    assert client.get(f"/api/runs/{job}/export.csv").text == kpis.text  # kpis by default
    offices = client.get(f"/api/runs/{job}/export.csv", params={"table": "offices"})
    assert offices.status_code == 200
    _check_offices(_read_csv(offices.text), summary)
    assert len(_read_csv(offices.text)) == 25
    assert client.get(f"/api/runs/{job}/export.csv?table=people").status_code == 422
    assert client.get("/api/runs/nope/export.csv").status_code == 404


def test_api_xlsx_endpoint_serves_the_workbook(api):
    from openpyxl import load_workbook

    from atlarge.report.exports import XLSX_TYPE

    client, job = api
    res = client.get(f"/api/runs/{job}/export.xlsx")
    assert res.status_code == 200 and res.headers["content-type"] == XLSX_TYPE
    assert "results.xlsx" in res.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(res.content))
    assert wb.sheetnames == ["KPIs", "Offices", "About"]
    summary = client.get(f"/api/runs/{job}/summary").json()
    rows = list(wb["KPIs"].iter_rows(values_only=True))
    _check_kpis([dict(zip(rows[0], r, strict=True)) for r in rows[1:]], summary, Spreadsheet)
    assert client.get("/api/runs/nope/export.xlsx").status_code == 404


def test_openapi_lists_the_export_endpoints_with_their_media_types(api):
    client, _ = api
    paths = client.get("/openapi.json").json()["paths"]
    csv_ok = paths["/api/runs/{job_id}/export.csv"]["get"]["responses"]["200"]["content"]
    xlsx_ok = paths["/api/runs/{job_id}/export.xlsx"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in csv_ok
    assert any("spreadsheetml" in t for t in xlsx_ok)

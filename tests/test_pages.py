"""Every page atlarge writes comes from the packaged templates: one layout and one
stylesheet shared by the report, the backtest page and the sensitivity page, and nothing
from a scenario or a document reaches a page unescaped."""

from __future__ import annotations

import fnmatch
import importlib.resources
import tomllib

import pytest

from atlarge._version import __version__
from atlarge.analysis import summarize
from atlarge.report import render_report
from atlarge.report.backtest_page import render_backtest
from atlarge.report.pages import TEMPLATES, environment
from atlarge.report.sensitivity_page import render_sensitivity
from atlarge.runs.replications import run_model
from atlarge.scenario import load_scenario
from tests.conftest import ROOT, copy_scenarios

INJECTED = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
FOOTER = "Aggregate counts per field office and day only; no person-level data."


def _templates():
    return importlib.resources.files("atlarge.report").joinpath(TEMPLATES)


def _backtest_doc(note: str = "") -> dict:
    row = {
        "metric": "arrests", "period": "FY2017", "kind": "fit", "observed": 1000.0,
        "sim_p5": 900.0, "sim_p50": 1000.0, "sim_p95": 1100.0, "rel_error": 0.0,
        "in_sample": True, "from_memory": False,
    }  # fmt: skip
    summary = {"in_sample": {"arrests": {"max_abs_rel_error": 0.0, "median_abs_rel_error": 0.0}}}
    return {"atlarge_version": __version__, "reps": 2, "seed": 1, "rows": [row], "summary": summary}


def _sensitivity_doc(skipped: str = "undefined in some sample points") -> dict:
    return {
        "method": "morris", "parameters": ["detention.beds"], "bounds": [[8000.0, 12000.0]],
        "units": {"detention.beds": "beds"}, "samples": 2, "points": 4, "reps": 2, "seed": 1,
        "indices": {
            "arrests_per_day": [
                {"parameter": "detention.beds", "mu_star": 1.0, "mu_star_conf": 0.1,
                 "sigma": 0.1},
            ],
            "day_detention_full": {"skipped": skipped},
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A run whose scenario carries markup in its name, description and a source."""
    folder = tmp_path_factory.mktemp("hostile")
    copy_scenarios(folder)
    path = folder / "hostile.toml"
    path.write_text(
        'extends = "operation-at-large.toml"\n'
        f'name = "Hostile {INJECTED}"\n'
        "days = 4\n"
        f'description = "Described {INJECTED}"\n'
        '[detention.beds]\nvalue = 41500\nunit = "beds"\n'
        f'source = "Sourced {INJECTED}"\n'
    )
    out = run_model(load_scenario(path), 2, 1)
    return out, summarize(out)


def test_templates_ship_as_package_data():
    names = {p.name for p in _templates().iterdir()}
    assert {"base.html", "atlarge.css", "report.html", "backtest.html", "sensitivity.html"} <= names
    # The environment loads what importlib.resources finds, and nothing else.
    assert set(environment().list_templates()) == names
    # A non-editable wheel carries them: each matches a package-data pattern.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["atlarge"]
    for name in names:
        assert any(fnmatch.fnmatch(f"report/{TEMPLATES}/{name}", p) for p in patterns), name


def test_the_three_pages_share_one_layout_and_stylesheet(hostile_run):
    css = _templates().joinpath("atlarge.css").read_text()
    pages = {
        "report": render_report(*hostile_run),
        "backtest": render_backtest(_backtest_doc()),
        "sensitivity": render_sensitivity(_sensitivity_doc()),
    }
    for name, page in pages.items():
        assert page.startswith("<!DOCTYPE html>"), name
        assert page.count("<style>") == 1 and css in page, name  # inlined: works offline
        assert "<script src=" not in page, name
        assert f"<p class=meta>atlarge {__version__} · " in page, name
        assert f"<footer><p class=note>{FOOTER}</p></footer>" in page, name
        assert page.rstrip().endswith("</main></body></html>"), name


def test_scenario_text_reaches_the_report_escaped(hostile_run):
    page = render_report(*hostile_run)
    assert INJECTED not in page
    assert f"<h1>Hostile {ESCAPED}</h1>" in page
    assert f"<title>atlarge — Hostile {ESCAPED}</title>" in page
    assert f"Described {ESCAPED}" in page
    assert f"Sourced {ESCAPED}" in page


def test_an_override_value_reaches_the_report_escaped(hostile_run):
    out, summary = hostile_run
    summary = {
        **summary,
        "overrides": {
            **summary["overrides"],
            "regime.ranking": {"value": INJECTED, "file_value": "absolute"},
        },
    }
    page = render_report(out, summary)
    changes = page[page.index("<section id=changes") :]
    changes = changes[: changes.index("</section>")]
    assert INJECTED not in changes and f"<td>{ESCAPED}</td><td>absolute</td>" in changes


def test_document_text_reaches_the_other_pages_escaped():
    page = render_sensitivity(_sensitivity_doc(skipped=INJECTED))
    assert INJECTED not in page and f"{ESCAPED}</li>" in page
    doc = _backtest_doc()
    doc["atlarge_version"] = INJECTED
    entry = {
        "from": "2016-06-03", "scope": "narrow", "publisher": INJECTED, "document": INJECTED,
        "date": "2014-11-20", "note": "", "priority": {"no_criminal": 0.3},
    }  # fmt: skip
    doc["policy"] = {"years": {"FY2017": [entry]}}
    doc["calibration"] = {"years": {"FY2017": {"posture": 1.25}}}
    page = render_backtest(doc)
    assert INJECTED not in page and f"atlarge {ESCAPED} · " in page
    assert f"<td>{ESCAPED}</td><td>{ESCAPED}</td>" in page
    assert "narrow: policy.priority no_criminal 0.3" in page and ">1.250</td>" in page

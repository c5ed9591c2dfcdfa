"""The documentation site: it builds strictly, its generated references cover every
scenario path, command and endpoint, its gallery shows the numbers of the runs it made,
every code example on it is of a kind that runs, and CITATION.cff, the changelog and the
version agree.

The site's ``sh`` and ``python`` blocks run in tests/test_readme.py, after the README's
(it runs every page under docs/); the gallery's code runs in the build itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from jsonschema import Draft7Validator
from pydantic import BaseModel, Field

import atlarge
from atlarge.analysis.kpis import KPIS
from atlarge.docs_gen import gallery
from atlarge.docs_gen.cli_reference import cli_reference
from atlarge.docs_gen.http_reference import endpoints, http_reference, openapi
from atlarge.docs_gen.meanings import MEANINGS, meaning_of
from atlarge.docs_gen.scenario_reference import (
    NO_DESCRIPTION,
    scenario_reference,
    schema_entries,
    shipped_scenarios,
    template_of,
)
from atlarge.report.format import format_value
from atlarge.scenario.params import MAX_BEDS, P
from tests.conftest import ROOT, SCENARIOS
from tests.test_readme import readme_blocks

DOCS = ROOT / "docs"
RUN_KINDS = {"sh", "python", "toml"}
"""Blocks tests/test_readme.py runs (sh, python) or parses (toml)."""
SHOWN_KINDS = {"mermaid", "text"}
"""Blocks that are not code: diagrams, and output shown as text."""
QUIET = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}


def _heading_paths(page: str) -> set[str]:
    """The code paths of a generated page's headings (``### `detention.beds` {...}``)."""
    return set(re.findall(r"^#+ `([^`]+)`", page, re.M))


# ----------------------------------------------------------------- the whole build


@pytest.mark.slow
def test_site_builds_strictly_with_every_generated_page(tmp_path):
    """``mkdocs build --strict``: a broken link, a missing page or a page left out of the
    navigation fails. The gallery runs with few replications here (its pages are the
    same code at any count)."""
    site = tmp_path / "site"
    env = {
        **os.environ,
        **QUIET,
        "PYTHONPATH": str(ROOT / "src"),
        gallery.REPS_ENV: "4",
    }
    config = str(ROOT / "mkdocs.yml")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config, "-d", str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    for page in (
        "index.html",
        "getting-started/index.html",
        "concepts/index.html",
        "model/index.html",
        "reference/scenario/index.html",
        "reference/cli/index.html",
        "reference/http-api/index.html",
        "reference/python/index.html",
        "changelog/index.html",
        *(f"gallery/{q.slug}/index.html" for q in gallery.QUESTIONS),
        *(f"how-to/{p.stem}/index.html" for p in (DOCS / "how-to").glob("*.md")),
    ):
        assert (site / page).is_file(), page
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert not (site / "gen_pages.py").exists(), "the generator script is not a page"
    python_api = (site / "reference/python/index.html").read_text()
    assert "uncertainty_inner" in python_api, "mkdocstrings rendered simulate's signature"
    guard = (site / "gallery/guard/index.html").read_text()
    assert "plotly-graph-div" in guard and "../../assets/plotly.min.js" in guard


def test_generated_pages_stay_out_of_git():
    """The references and the gallery exist only in the build."""
    listing = subprocess.run(
        ["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = set(listing.stdout.split())
    for generated in ("scenario.md", "cli.md", "http-api.md"):
        assert f"docs/reference/{generated}" not in tracked
    assert not any(p.startswith("docs/gallery/") for p in tracked)


def test_every_page_is_in_the_navigation():
    """Static pages and generated ones alike (mkdocs would only warn about the first)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    def pages(nav):
        for item in nav:
            if isinstance(item, str):
                yield item
            else:
                for value in item.values():
                    yield from [value] if isinstance(value, str) else pages(value)

    nav = set(pages(config["nav"]))
    static = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    generated = {
        "reference/scenario.md",
        "reference/cli.md",
        "reference/http-api.md",
        "changelog.md",
        "gallery/index.md",
        *(f"gallery/{q.slug}.md" for q in gallery.QUESTIONS),
    }
    assert static | generated == nav


# ----------------------------------------------------------------- code examples


def _static_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_every_code_block_on_the_site_runs_or_is_not_code():
    """A block the README test would skip (``bash``, ``console``, no language) is an
    example nobody runs: the site writes ``sh`` and ``python`` (run), ``toml`` (parsed),
    ``mermaid`` and ``text`` (not code)."""
    fence = re.compile(r"^```(\w*)", re.M)
    for page in _static_pages():
        text = page.read_text()
        kinds = fence.findall(text)[::2]  # opening fences
        assert set(kinds) <= RUN_KINDS | SHOWN_KINDS, (page, kinds)
        runnable = [lang for lang, _ in readme_blocks(text) if lang in RUN_KINDS]
        assert len(runnable) == sum(k in RUN_KINDS for k in kinds), page


def test_getting_started_includes_the_readmes_two_commands():
    """The page includes the README's first block by line numbers: they must still
    select that block, whole."""
    page = (DOCS / "getting-started.md").read_text()
    first, last = map(int, re.search(r'--8<-- "README.md:(\d+):(\d+)"', page).groups())
    lines = (ROOT / "README.md").read_text().splitlines()[first - 1 : last]
    assert lines[0] == "```sh" and lines[-1] == "```"
    assert [line.split()[:2] for line in lines[1:-1]] == [["make", "run"], ["make", "test"]]


def test_the_site_has_examples_to_run():
    """The how-to guides are worked through by the README test, command by command."""
    blocks = {p.name: readme_blocks(p.read_text()) for p in (DOCS / "how-to").glob("*.md")}
    assert all(any(lang == "sh" for lang, _ in b) for b in blocks.values()), blocks.keys()
    compare = " ".join(code for _, code in blocks["compare.md"])
    assert "atlarge diff" in compare and "atlarge compare" in compare


def test_toml_examples_are_scenario_fragments_that_validate(tmp_path):
    """A TOML example on the site is valid TOML and, over a shipped scenario, a valid
    scenario."""
    for page in _static_pages():
        for lang, code in readme_blocks(page.read_text()):
            if lang != "toml":
                continue
            tomllib.loads(code)
            fragment = tmp_path / "fragment.toml"
            fragment.write_text(f'extends = "{SCENARIOS / "operation-at-large.toml"}"\n{code}')
            atlarge.load_scenario(fragment)


# ----------------------------------------------------------------- scenario reference


@pytest.fixture(scope="module")
def scenario_page() -> str:
    return scenario_reference(SCENARIOS)


def test_scenario_reference_lists_every_schema_path(scenario_page):
    headings = _heading_paths(scenario_page)
    entries = list(schema_entries())
    assert len(entries) > 150
    for e in entries:
        assert e.path in headings, e.path
    for path in ("detention.beds", "courts.judges", "groups.<group>.initial_pool"):
        assert path in headings


def test_scenario_reference_gives_unit_and_bounds_of_every_parameter(scenario_page):
    for e in schema_entries():
        if e.kind != "parameter" or e.spec is None:
            continue
        section = scenario_page.split(f"`{e.path}`", 1)[1].split("\n#", 1)[0]
        if e.spec.unit:
            assert f"Unit: `{e.spec.unit}`" in section, e.path
        assert "Bounds: " in section, e.path


def test_scenario_reference_shows_every_shipped_value_with_its_provenance(scenario_page):
    shipped = shipped_scenarios(SCENARIOS)
    assert {s.file for s in shipped} >= {"operation-at-large.toml", "baseline-2024.toml"}
    templates = [e.path for e in schema_entries() if e.kind == "parameter"]
    for s in shipped:
        for path, param in s.params.items():
            assert template_of(path, templates) is not None, path
            template = template_of(path, templates)
            section = scenario_page.split(f"`{template}` {{", 1)[1].split("\n#", 1)[0]
            rows = [r for r in section.splitlines() if r.startswith("| ")][1:]  # no header
            if path != template:
                rows = [r for r in rows if r.startswith(f"| `{path}` |")]
            mine = [r for r in rows if s.file in r.split(" | ")[-3]]
            assert len(mine) == 1, (s.file, path)
            if param.assumption:
                assert "assumption" in mine[0], path
            elif param.fitted is None:
                assert param.source is not None
                assert (param.source.publisher or param.source.note or "")[:20] in mine[0]


def test_every_field_has_a_meaning_from_the_schema_or_the_docs():
    """A field is described in the schema or, until it is, in docs_gen/meanings.py; an
    entry there that the schema now describes, or that names no field, is stale."""
    entries = [e for e in schema_entries() if e.kind != "section"]
    undescribed = [e.path for e in entries if not e.description]
    assert not [p for p in undescribed if meaning_of(p) is None]
    for pattern in MEANINGS:
        matched = [e for e in entries if meaning_of(e.path) == MEANINGS[pattern]]
        assert matched, f"{pattern} names no field of the schema"
        assert any(not e.description for e in matched), f"{pattern}: the schema describes it"
    assert NO_DESCRIPTION not in scenario_reference(SCENARIOS)


def test_a_field_added_to_the_schema_appears_in_the_walk():
    """The walk reads the models, so a new field needs no change to the generator."""
    from typing import Literal

    from atlarge.scenario.params import Param

    class Inner(BaseModel):
        """A section of tables."""

        size: P("beds", ge=1.0, le=MAX_BEDS)
        mode: Literal["a", "b"] = Field(description="A choice.")

    class Outer(BaseModel):
        extra: P("beds", le=10.0) | None = Field(default=None, description="New one.")
        rooms: dict[str, Inner]
        weights: dict[str, Param] = Field(default_factory=dict)

    found = {e.path: e for e in schema_entries(Outer)}
    assert found["extra"].kind == "parameter" and found["extra"].optional
    assert found["extra"].spec.le == 10.0 and found["extra"].description == "New one."
    assert found["rooms"].kind == "section"
    assert found["rooms.<key>.size"].spec.ge == 1.0
    assert "`'a'`, `'b'`" in found["rooms.<key>.mode"].allowed
    assert found["weights.<key>"].kind == "parameter"


# ----------------------------------------------------------------- CLI and HTTP references


def _click_commands(command, path="atlarge"):
    """Every (path, command) by the group's own table, not the generator's walk."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _click_commands(sub, f"{path} {name}")


def test_cli_reference_lists_every_command_and_option():
    from atlarge.cli import app

    page = cli_reference()
    headings = _heading_paths(page)
    found = list(_click_commands(typer.main.get_command(app)))
    assert len(found) >= 13
    for path, command in found:
        assert path in headings, path
        section = page.split(f"`{path}` {{", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            for flag in param.opts if param.param_type_name == "option" else ():
                assert f"`{flag}" in section, (path, flag)
            if param.help:
                assert param.help.split("\n")[0][:30] in section.replace("\\|", "|"), (path, param)
    for documented in ("sweep", "sensitivity", "results compare", "forecast", "checks"):
        assert f"atlarge {documented}" in headings


def test_cli_reference_follows_a_new_command():
    extra = typer.Typer()

    @extra.command()
    def hello(name: str = typer.Option("x", "--name", help="Who to greet.")) -> None:
        """Say hello."""

    @extra.command()
    def bye() -> None:
        """Say bye."""

    page = cli_reference(extra)
    assert "`atlarge hello`" in page and "`--name`" in page and "Who to greet." in page


def test_http_reference_lists_every_endpoint_and_schema():
    spec = openapi()
    page = http_reference(spec)
    ops = endpoints(spec)
    assert len(ops) >= 10
    for method, path, _ in ops:
        assert f"### `{method} {path}`" in page
    for name in spec["components"]["schemas"]:
        assert f"### {name} {{" in page
    run_request = page.split("### RunRequest {", 1)[1].split("\n### ", 1)[0]
    assert "`reps`" in run_request and "at most 2,000" in run_request


# ----------------------------------------------------------------- gallery


@pytest.fixture(scope="module")
def guard_runs():
    """The first question, on a short horizon with few replications."""
    q = gallery.QUESTIONS[0]
    results = gallery.run_questions(ROOT, reps=3, days=30, questions=(q,))
    return q, *results[q.slug]


def test_gallery_tables_are_the_numbers_of_the_runs(guard_runs):
    q, ra, rb = guard_runs
    page = gallery.question_page(q, ra, rb, "plotly.js")
    assert ra.summary["reps"] == 3 and ra.summary["days"] == 30
    assert ra.summary["uncertainty"]["kind"] == "stochastic"  # parameters at their values
    assert "3 replications of each run, 30 days" in page and "chance alone" in page
    rows = {r.split(" | ")[0].strip("| "): r for r in page.splitlines() if r.startswith("| ")}
    for key in q.kpis:
        kpi = KPIS[key]
        row = rows[f"{kpi.label} ({kpi.unit})"]
        for r in (ra, rb):
            s = r.summary["kpis"][key]
            band = f"{format_value(key, s['p50'])} ({format_value(key, s['p5'])} to "
            assert band in row, (key, row)
        diff = gallery.paired_difference(ra.values[key], rb.values[key])
        expected = np.percentile(rb.values[key] - ra.values[key], 50)
        assert diff["p50"] == pytest.approx(expected)


def test_gallery_code_is_the_code_that_ran(guard_runs):
    """The code a page shows, run again, gives the same summary (same seed)."""
    q, ra, _ = guard_runs
    page = gallery.question_page(q, ra, guard_runs[2], "plotly.js")
    assert f"```python\n{ra.code}```" in page
    again = gallery.run_arm(q.a, ROOT, reps=3, days=30)
    assert again.summary["kpis"] == ra.summary["kpis"]


def test_gallery_inputs_are_read_from_the_scenarios_as_run(guard_runs):
    """The inputs table holds what differs between A and B and nothing else; the changes
    from the file are the run's own record (here the shortened horizon)."""
    _, ra, rb = guard_runs
    rows = [r for r in gallery.inputs_table(ra, rb).splitlines() if r.startswith("| `")]
    assert len(rows) == 1 and rows[0].startswith("| `support.national_guard.headcount` |")
    guard = ra.output.scenario.support.national_guard.headcount.value
    assert f"{guard:,.0f} troops" in rows[0] and "| 0 troops |" in rows[0]
    assert "- `days`: 30 (in the file: 365)" in gallery.changes_from_file(ra)
    assert "None: the two runs have the same inputs" in gallery.inputs_table(ra, ra)


def test_gallery_figures_overlay_both_runs(guard_runs):
    q, ra, rb = guard_runs
    fig = gallery.figure(ra, rb, q.measures[0])
    medians = [t for t in fig.data if t.name and t.name.endswith("(median)")]
    assert [t.name for t in medians] == [f"{ra.arm.label} (median)", f"{rb.arm.label} (median)"]
    assert len(medians[0].y) == 30
    html = gallery.figure_html(fig, "x")
    assert "\n\n" not in html and 'id="x"' in html


def test_gallery_arms_name_shipped_scenarios_and_valid_changes():
    for q in gallery.QUESTIONS:
        for arm in (q.a, q.b):
            atlarge.load_scenario(ROOT / arm.scenario, set=arm.sets)
        assert set(q.kpis) <= set(KPIS)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, 7, elements=st.floats(-1e9, 1e9)),
    st.floats(-1e6, 1e6),
)
def test_paired_difference_of_a_shift_is_the_shift(a, shift):
    d = gallery.paired_difference(a, a + shift)
    for q in ("p5", "p50", "p95"):
        assert d[q] == pytest.approx(shift, abs=1e-6 * (1 + abs(a).max()))
    b = a.copy()
    b[0] = np.nan
    assert gallery.paired_difference(a, b) is None


def test_gallery_replications_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(gallery.REPS_ENV, "12")
    assert gallery.gallery_reps() == 12
    monkeypatch.delenv(gallery.REPS_ENV)
    assert gallery.gallery_reps() == gallery.DEFAULT_REPS
    for bad in ("1", "x", "-3", "100000"):
        monkeypatch.setenv(gallery.REPS_ENV, bad)
        with pytest.raises(ValueError, match=gallery.REPS_ENV):
            gallery.gallery_reps()


# ----------------------------------------------------------------- citation, changelog, version


def test_citation_cff_is_valid_cff_and_carries_the_version():
    """CFF 1.2.0, checked against the format's schema (shipped in tests/data: cffconvert,
    which bundles it, needs jsonschema<4), and the package's version."""
    schema = json.loads((ROOT / "tests/data/citation-file-format-1.2.0.schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER).validate(citation)
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == atlarge.__version__


def test_the_version_is_written_in_one_place():
    """pyproject.toml reads the version from src/atlarge/_version.py; nothing else in the
    project's metadata types it (CITATION.cff is checked to equal it)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "atlarge._version.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", atlarge.__version__)


def test_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    versions = re.findall(r"^## \[([^\]]+)\](.*)$", text, re.M)
    assert versions[0][0] == "Unreleased"
    for version, rest in versions[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
        assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), rest
    assert atlarge.__version__ in [v for v, _ in versions]
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_readme_names_the_documentation():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    assert "make docs" in section
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^docs: .*\n\t.*mkdocs serve --strict", makefile, re.M)

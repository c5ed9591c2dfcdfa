"""Every generated page of the site, by its path under the docs folder.

``docs/gen_pages.py`` (run by mkdocs-gen-files at each build) writes what
:func:`generated_pages` returns; the tests call the same function. Generated pages
exist only in the build, never in git.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import plotly

from atlarge.docs_gen.cli_reference import cli_reference
from atlarge.docs_gen.gallery import QUESTIONS, index_page, question_page, run_questions
from atlarge.docs_gen.http_reference import http_reference
from atlarge.docs_gen.scenario_reference import scenario_reference

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
"""Plotly.js from the installed package (as the explorer page serves it): the site
works offline, nothing comes from a CDN."""
PLOTLY_PAGE_PATH = "assets/plotly.min.js"
GALLERY_ENV = "ATLARGE_DOCS_GALLERY"
"""``0`` leaves the gallery's runs out of a build (its pages then say so): for a quick
look at the other pages. The tests and ``make docs`` build it."""


def reference_pages(root: Path) -> dict[str, str]:
    """The three references: scenario schema, command line, HTTP API."""
    return {
        "reference/scenario.md": scenario_reference(root / "scenarios"),
        "reference/cli.md": cli_reference(),
        "reference/http-api.md": http_reference(),
    }


def gallery_pages(
    root: Path,
    reps: int | None = None,
    days: int | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """The gallery: its index and one page per question, from runs made now."""
    pages = {"gallery/index.md": index_page()}
    if os.environ.get(GALLERY_ENV, "1").strip() == "0":
        note = (
            f'\n\n!!! warning "Gallery left out of this build"\n    {GALLERY_ENV}=0: the '
            "questions were not run.\n"
        )
        for q in QUESTIONS:
            pages[f"gallery/{q.slug}.md"] = f"# {q.title}\n{note}"
        return pages
    results = run_questions(
        root, reps, days, on_arm=(lambda a: log(f"gallery: {a.label}")) if log else None
    )
    for q in QUESTIONS:
        ra, rb = results[q.slug]
        # gallery/<slug>.md is served at gallery/<slug>/: the assets are two levels up
        pages[f"gallery/{q.slug}.md"] = question_page(q, ra, rb, f"../../{PLOTLY_PAGE_PATH}")
    return pages


def changelog_page(root: Path) -> dict[str, str]:
    """CHANGELOG.md at the root of the project, as the site's changelog page."""
    return {"changelog.md": (root / "CHANGELOG.md").read_text(encoding="utf-8")}


def generated_pages(root: Path, log: Callable[[str], None] | None = None) -> dict[str, str]:
    """Every generated Markdown page, path -> text."""
    return {**reference_pages(root), **changelog_page(root), **gallery_pages(root, log=log)}

"""Worked questions for the site's gallery: each page's tables and figures come from runs
made while the site is built, never from numbers pasted into a page.

A question compares two runs, A and B: a shipped scenario as it is, and another
scenario or the same one with a stated change. Both run with the same seed, so
replication ``i`` of A and of B share their random numbers (common random numbers) and
their difference is read replication by replication. Parameters are held at their
stated values (as ``atlarge run --fixed``), so every band shows chance alone; the page
says so, and says how few replications it used. The code shown on each page is the code
that ran: :func:`run_arm` executes that text.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from atlarge.analysis import bands, trailing_mean
from atlarge.analysis.kpis import KPIS, kpi_values
from atlarge.analysis.summary import setting_rows, stats
from atlarge.cli import FLAGS
from atlarge.docs_gen.markdown import cell, code, table, text
from atlarge.model.measures import MEASURES
from atlarge.report.charts import band_traces
from atlarge.report.format import format_difference, format_value, param_value, setting_value
from atlarge.report.html import override_rows
from atlarge.scenario import iter_params

REPS_ENV = "ATLARGE_DOCS_REPS"
"""Replications per run of the gallery (default :data:`DEFAULT_REPS`): fewer for a quick
look at the site, more for steadier bands."""
DEFAULT_REPS = 20
SEED = 1
COLORS = {"A": "#1f77b4", "B": "#ff7f0e"}
"""A blue, B orange: as the explorer page draws a comparison."""


@dataclass(frozen=True)
class Arm:
    """One run of a question: a shipped scenario file and the values changed in it."""

    label: str
    scenario: str  # path from the project root
    sets: dict[str, str] = field(default_factory=dict)

    def code(self, reps: int, days: int | None = None) -> str:
        """The Python that runs this arm (what the page shows and :func:`run_arm` runs)."""
        horizon = f", days={days}" if days is not None else ""
        if self.sets:
            sets = ", ".join(f'"{k}": "{v}"' for k, v in self.sets.items())
            load = f'sc = atlarge.load_scenario(\n    "{self.scenario}",\n    set={{{sets}}},\n)\n'
        else:
            load = f'sc = atlarge.load_scenario("{self.scenario}")\n'
        return (
            "import atlarge\n\n"
            + load
            + f"res = atlarge.simulate(sc, reps={reps}, seed={SEED}{horizon})\n"
        )


@dataclass(frozen=True)
class Question:
    """A worked question: two arms, the KPIs to compare and the daily measures to draw."""

    slug: str
    title: str
    question: str
    about: str
    a: Arm
    b: Arm
    kpis: tuple[str, ...]
    measures: tuple[str, ...]


OAL = "scenarios/operation-at-large.toml"
SHORT_BEDS = {"detention.beds": "32000", "detention.initial_population": "30000"}
"""Fewer beds than Operation At Large's 41,500 (and fewer people detained on the first
day, so that they fit), so that detention fills and the overflow policy has something to
decide: at the stated values 41,500 beds never fill."""

QUESTIONS: tuple[Question, ...] = (
    Question(
        "guard",
        "Operation At Large with and without the National Guard",
        "What do the National Guard troops change: arrests, removals, detention, cost?",
        "The Guard supports book-in and removal transport (it makes no arrests) and is paid "
        "per troop-day. `operation-at-large-no-guard.toml` is Operation At Large with the "
        "Guard's headcount at 0 (its deployment had not been approved when the operation "
        "was reported).",
        Arm("A: with the Guard", OAL),
        Arm("B: without the Guard", "scenarios/operation-at-large-no-guard.toml"),
        (
            "arrests_per_day",
            "removals_total",
            "peak_detention",
            "cost_total_usd",
            "cost_per_removal_usd",
        ),
        ("removed", "detained"),
    ),
    Question(
        "funded",
        "Operation At Large, funded or not",
        "What changes when the operation runs with the money of the time: 2025's "
        "appropriations and the 2025 act's lines buying beds and ERO officers?",
        "`operation-at-large-funded.toml` extends Operation At Large with "
        "`funding/us-2025.toml`: funding lines, bed procurement and hiring. Without it "
        "beds and headcounts are as typed and costs are reported without lines.",
        Arm("A: as typed", OAL),
        Arm("B: funded", "scenarios/operation-at-large-funded.toml"),
        (
            "arrests_per_day",
            "beds_added",
            "officers_hired",
            "peak_detention",
            "removals_total",
            "cost_total_usd",
        ),
        ("detained", "arrests"),
    ),
    Question(
        "judges",
        "How many immigration judges?",
        "What would 800 judges (the bench Congress funded in 2025) change against the "
        "scenario's own bench, which falls over the year?",
        "Judges are a parameter of the `[courts]` section: `courts.judges` (dated in the "
        f"scenario). `{FLAGS['sets']} courts.judges=800` on the command line, or `set=` in "
        "Python, makes it 800 for the whole run.",
        Arm("A: bench as in the scenario", OAL),
        Arm("B: 800 judges", OAL, {"courts.judges": "800"}),
        (
            "court_backlog_end",
            "court_completions",
            "removal_orders",
            "in_absentia_orders",
            "detained_court_wait_days",
            "arrests_per_day",
        ),
        ("court_backlog", "removal_orders"),
    ),
    Question(
        "no-release",
        "A no-release policy when beds run short",
        "When detention is full, what differs between holding everyone (arrests wait for "
        "room) and releasing for lack of beds?",
        "`detention.overflow` decides what happens to a book-in no office has a bed for: "
        "`'hold'` (Operation At Large's setting: people wait in short-term holding, and when "
        "that is full arrests wait) or `'transfer'` (moved to an office with a free bed, "
        "released when none is free nationally). Both runs have fewer beds than the "
        "scenario, and fewer people detained on the first day so that they fit, so that "
        "beds fill within days (the inputs below).",
        Arm("A: hold (no release)", OAL, SHORT_BEDS),
        Arm(
            "B: transfer, release when full", OAL, {**SHORT_BEDS, "detention.overflow": "transfer"}
        ),
        (
            "arrests_per_day",
            "arrests_forgone_capacity",
            "releases_for_lack_of_beds",
            "peak_detention",
            "removals_total",
            "day_detention_full",
        ),
        ("detained", "arrests"),
    ),
)


@dataclass
class ArmResult:
    """A finished arm: its summary and its per-replication KPI values."""

    arm: Arm
    code: str
    output: Any  # ModelOutput
    summary: dict[str, Any]
    values: dict[str, np.ndarray]


def gallery_reps() -> int:
    """Replications per run: ``ATLARGE_DOCS_REPS`` or the default."""
    raw = os.environ.get(REPS_ENV, "").strip()
    if not raw:
        return DEFAULT_REPS
    if not raw.isdigit() or not 2 <= int(raw) <= 10_000:
        raise ValueError(f"{REPS_ENV}={raw!r}: expected a whole number from 2 to 10000")
    return int(raw)


def run_arm(arm: Arm, root: Path, reps: int, days: int | None = None) -> ArmResult:
    """Run ``arm`` by executing the code its page shows, from the project root ``root``."""
    source = arm.code(reps, days)
    here = Path.cwd()
    namespace: dict[str, Any] = {}
    try:
        os.chdir(root)
        exec(compile(source, f"<gallery {arm.label}>", "exec"), namespace)
    finally:
        os.chdir(here)
    res = namespace["res"]
    return ArmResult(arm, source, res.output, res.summary(), kpi_values(res.output))


def _band_text(key: str, s: dict[str, Any] | None) -> str:
    """'631 (629-633)': median and p5-p95, in the KPI's format."""
    if s is None:
        return "not in this run (its stage is off)"
    p50, p5, p95 = (format_value(key, s.get(q)) for q in ("p50", "p5", "p95"))
    return f"{p50} ({p5} to {p95})"


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, float | None] | None:
    """Median, p5 and p95 of B - A over replications, replication by replication (the
    runs share their random numbers); None when some replication has no value (a day
    that never came, a ratio over zero)."""
    diff = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if not np.isfinite(diff).all():
        return None
    return stats(diff)


def _difference_text(key: str, d: dict[str, float | None] | None) -> str:
    if d is None:
        return "not defined in every replication"
    p50, p5, p95 = (format_difference(key, d[q]) for q in ("p50", "p5", "p95"))
    return f"{p50} ({p5} to {p95})"


def kpi_rows(ra: ArmResult, rb: ArmResult, keys: tuple[str, ...]) -> list[list[str]]:
    """One row per KPI: label, A, B, B - A (paired)."""
    rows = []
    for key in keys:
        kpi = KPIS[key]
        sa, sb = ra.summary["kpis"].get(key), rb.summary["kpis"].get(key)
        diff = paired_difference(ra.values[key], rb.values[key])
        rows.append(
            [
                cell(f"{kpi.label} ({kpi.unit})"),
                cell(_band_text(key, sa)),
                cell(_band_text(key, sb)),
                cell(_difference_text(key, diff)),
            ]
        )
    return rows


def _inputs(sc: Any) -> dict[str, str]:
    """Every parameter and setting of a scenario as people read it, by path."""
    shown = {path: param_value(p.value, p.schedule, p.unit) for path, p in iter_params(sc)}
    for row in setting_rows(sc):
        shown[row["path"]] = setting_value(row["path"], row["value"])
    return shown


ABSENT = "absent"
LABELS = ("name", "description")
"""Scenario fields that name it rather than set anything (left out of the inputs table)."""
FOLD_ROWS = 12
"""A table of inputs longer than this is folded (a funded scenario adds dozens)."""


def inputs_table(ra: ArmResult, rb: ArmResult) -> str:
    """The parameters and settings whose values differ between A's and B's scenarios as
    run (read from the scenarios, so the page never restates an input by hand); an
    optional section one of them leaves out reads 'absent'."""

    def shown(values: dict[str, str], path: str) -> str:
        value = values.get(path, ABSENT)
        return ABSENT if value.startswith(ABSENT) else value

    a, b = _inputs(ra.output.scenario), _inputs(rb.output.scenario)
    rows = [
        [code(path), cell(shown(a, path)), cell(shown(b, path))]
        for path in [*a, *(p for p in b if p not in a)]
        if shown(a, path) != shown(b, path) and path not in LABELS
    ]
    if not rows:
        return "None: the two runs have the same inputs.\n"
    body = table(["Path", text(ra.arm.label), text(rb.arm.label)], rows)
    if len(rows) <= FOLD_ROWS:
        return body
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return f'??? info "{len(rows)} parameters and settings differ"\n\n{indented}'


def changes_from_file(r: ArmResult) -> str:
    """What an arm changed from its scenario file (``set=``): each path as run and as in
    the file, from the run's own record of its changes."""
    summary = r.summary
    items = [
        f"- {code(c['path'])}: {text(c['run'])} (in the file: {text(c['was'])})\n"
        for c in override_rows(summary, summary["scenario"].get("start_date"))
    ]
    return ("Changed from the file:\n\n" + "".join(items)) if items else ""


def _series(out: Any, key: str) -> np.ndarray:
    series = out.national(key).astype(np.float64)
    if series.ndim == 3:  # by priority group: summed
        series = series.sum(axis=1)
    smooth = MEASURES[key].smooth_days
    return trailing_mean(series, smooth) if smooth > 1 else series


def figure(ra: ArmResult, rb: ArmResult, key: str) -> go.Figure:
    """A's and B's p5-p95 band and median of one daily measure, overlaid."""
    fig = go.Figure()
    for name, r in (("A", ra), ("B", rb)):
        x = r.output.inputs.dates.astype("datetime64[D]").astype(str)
        b = bands(_series(r.output, key))
        band_traces(fig, x, b, color=COLORS[name], group=name, band_name=name,
                    median_name=f"{r.arm.label} (median)")  # fmt: skip
    m = MEASURES[key]
    title = m.label + (f" (trailing {m.smooth_days}-day average)" if m.smooth_days > 1 else "")
    fig.update_yaxes(rangemode="tozero", title=m.unit)
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
    )
    return fig


def figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as one HTML block for a Markdown page (no blank line inside it, so
    Markdown keeps it whole); Plotly.js is loaded once per page (:func:`question_page`)."""
    html = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id)
    return "\n".join(line for line in html.splitlines() if line.strip()) + "\n"


def _steady(ra: ArmResult, rb: ArmResult, keys: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """KPIs whose paired p5-p95 of B - A lies wholly above or below zero, and those whose
    band holds zero (or that are the same in every replication)."""
    moved, not_moved = [], []
    for key in keys:
        d = paired_difference(ra.values[key], rb.values[key])
        if d is None:
            continue
        label = KPIS[key].label[0].lower() + KPIS[key].label[1:]
        lo, hi = d["p5"], d["p95"]
        if lo is not None and hi is not None and (lo > 0 or hi < 0):
            moved.append(f"{label} ({'higher' if lo > 0 else 'lower'} in B)")
        else:
            not_moved.append(label)
    return moved, not_moved


def question_page(q: Question, ra: ArmResult, rb: ArmResult, plotly_src: str) -> str:
    """The page of one question, from its two finished runs."""
    reps, days = ra.summary["reps"], ra.summary["days"]
    kind = ra.summary["uncertainty"]["kind"]
    out = [
        f"# {text(q.title)}\n",
        f"**Question.** {text(q.question)}\n",
        f"{q.about}\n",
        '!!! note "What these numbers are"\n'
        f"    Made by this site's build: {reps} replications of each run, {days} days from "
        f"{ra.summary['scenario'].get('start_date', 'the start date')}, seed {SEED}. Every "
        f"parameter is held at its stated value (bands of {text(kind)} variation: chance "
        "alone, not what is unknown about the parameters). Each figure is the median "
        "(5th to 95th percentile) over replications. B - A is taken replication by "
        "replication: both runs share their random numbers. With so few replications "
        "the 5th and 95th percentiles are rough; run more with `atlarge run`, whose "
        "bands by default also vary every ranged parameter.\n",
        "## What ran\n",
    ]
    for r in (ra, rb):
        out.append(f"**{text(r.arm.label)}** ({text(r.summary['scenario']['name'])}):\n")
        out.append(f"```python\n{r.code}```\n")
        changes = changes_from_file(r)
        if changes:
            out.append(changes)
    out.append("## Inputs that differ\n")
    out.append(inputs_table(ra, rb))
    out.append("## Key results\n")
    out.append(
        table(
            [
                "KPI",
                f"{text(ra.arm.label)}: median (p5 to p95)",
                f"{text(rb.arm.label)}: median (p5 to p95)",
                "B - A, paired: median (p5 to p95)",
            ],
            kpi_rows(ra, rb, q.kpis),
        )
    )
    moved, not_moved = _steady(ra, rb, q.kpis)
    if moved:
        out.append(
            "The paired 5th-95th percentile band of B - A lies wholly on one side of zero "
            f"for: {text('; '.join(moved))}."
            + (
                f" For {text(', '.join(not_moved))} the paired band holds zero."
                if not_moved
                else ""
            )
            + "\n"
        )
    elif not_moved:
        out.append(
            f"For every KPI here the paired band holds zero: {text(', '.join(not_moved))}.\n"
        )
    out.append("## Figures\n")
    out.append(f'<script src="{plotly_src}"></script>\n')
    for key in q.measures:
        out.append(figure_html(figure(ra, rb, key), f"fig-{q.slug}-{key}"))
    definitions = "".join(
        f"- **{text(KPIS[k].label)}**: {text(KPIS[k].definition)}\n" for k in q.kpis
    )
    out.append("## Definitions\n")
    out.append(definitions)
    return "\n".join(out)


def index_page(questions: tuple[Question, ...] = QUESTIONS) -> str:
    """The gallery's front page: the questions, each linked."""
    items = "".join(f"- [{text(q.title)}]({q.slug}.md): {text(q.question)}\n" for q in questions)
    return (
        "# Gallery of worked questions\n\n"
        "Each page compares two runs made while this site was built (small replications: "
        "the numbers are the model's, the bands are rough). Nothing on these pages is "
        "typed in by hand: change a scenario and the next build shows its effect.\n\n" + items
    )


_RUNS: dict[tuple[str, int, int, int | None], ArmResult] = {}
"""Finished runs of this process (see :func:`run_questions`)."""


def _scenario_key(arm: Arm, root: Path) -> str:
    """The sha256 of the arm's scenario as loaded, with its changes."""
    from atlarge.scenario import load_scenario, scenario_sha256

    return scenario_sha256(load_scenario(root / arm.scenario, set=arm.sets))


def run_questions(
    root: Path,
    reps: int | None = None,
    days: int | None = None,
    questions: tuple[Question, ...] = QUESTIONS,
    on_arm: Callable[[Arm], None] | None = None,
) -> dict[str, tuple[ArmResult, ArmResult]]:
    """Run every question's two arms (an arm shared by questions runs once).

    Runs are kept for the life of the process, keyed by what determines their numbers
    (the scenario as loaded, with its changes: its sha256; replications, seed, days), so
    ``mkdocs serve`` rebuilding after an edit to a page does not run them again, while an
    edited scenario file is run again. (The model's code cannot change under a running
    process: it is imported once.)
    """
    reps = reps or gallery_reps()
    results = {}
    for q in questions:
        pair = []
        for arm in (q.a, q.b):
            key = (_scenario_key(arm, root), reps, SEED, days)
            if key not in _RUNS:
                if on_arm:
                    on_arm(arm)
                _RUNS[key] = run_arm(arm, root, reps, days)
            r = _RUNS[key]
            pair.append(ArmResult(arm, r.code, r.output, r.summary, r.values))
        results[q.slug] = (pair[0], pair[1])
    return results

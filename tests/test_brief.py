""" "In brief" (report/brief.py): every figure in it is a figure of summary.json, read back
from the text; 5-8 sentences; each band worded with its kind; the same text in brief.md,
at the top of report.html and from the API the explorer page reads.

The checks parse the brief as a reader would (numbers as written: '$2.50bn', '19.8%',
'day 30', '1,234') and compare each with the summary field it stands for, within the
rounding its format allows, so a wrong field, a wrong statistic or a number the brief
makes up fails.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from atlarge.report.brief import (
    BAND_KINDS,
    FIXED,
    POSTERIOR,
    POSTERIOR_VARIED,
    TITLE,
    VARIED,
    brief_json,
    brief_markdown,
    brief_paragraphs,
    brief_text,
)
from tests.conftest import ROOT
from tests.test_browser import browser  # noqa: F401  (the fixture: real Chromium or a skip)

SMALL = ROOT / "tests" / "scenarios"
REGIME = SMALL / "small-regime.toml"

NUMBER = r"(?:day [\d,]+|\$?\d[\d,]*(?:\.\d+)?(?:bn|m\b|%)?)"
TRIPLE = re.compile(
    rf"(?P<mid>{NUMBER})(?P<unit>[^()\d$]*?) \((?:between (?P<lo>{NUMBER}) and (?P<hi>{NUMBER})"
    r"|(?P<same>the same))"
)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CODE = re.compile(r"`([^`]*)`")
SECTION = "docs/model.md, section 7"


# ---------------------------------------------------------------- reading numbers back


def read_number(token: str) -> tuple[float, float]:
    """A number as the brief writes it -> (value, half its last written digit)."""
    if token.startswith("day "):
        return float(token[4:].replace(",", "")), 0.5
    t = token.lstrip("$").replace(",", "")
    scale = 1.0
    if t.endswith("bn"):
        t, scale = t[:-2], 1e9
    elif t.endswith("m"):
        t, scale = t[:-1], 1e6
    elif t.endswith("%"):
        t, scale = t[:-1], 0.01
    decimals = len(t.split(".")[1]) if "." in t else 0
    return float(t) * scale, 0.5 * 10**-decimals * scale


def same(token: str, value: float | None) -> bool:
    if value is None:
        return False
    v, half = read_number(token)
    return abs(v - value) <= half * (1 + 1e-9) + 1e-9 * abs(value)


def sentences(md: str) -> list[str]:
    body = md.split("\n", 1)[1] if md.startswith("## ") else md
    text = " ".join(body.split())
    return [s for s in re.split(r"(?<=\.)\s+(?=[A-Z\"0-9])", text) if s]


def triple_field(summary: dict[str, Any], m: re.Match, sentence: str) -> tuple[str, dict]:
    """The summary field a band stands for, from the words around it."""
    before = sentence[: m.start()]
    after = sentence[m.end() :]
    unit = m["unit"]
    k = summary["kpis"]
    if "arrests a day" in unit:
        return "arrests_per_day", k["arrests_per_day"]
    if "field office leadership" in unit:
        return "leadership_replacements", k["leadership_replacements"]
    if "agent-days" in unit:
        return "agent_days_diverted", k["agent_days_diverted"]
    tail = after.split(")", 1)[1] if ")" in after else ""
    if tail.startswith((" of the target", " of the daily target")):
        return "target_attainment", k["target_attainment"]
    for g in summary["by_group"]:
        if before.endswith(f'"{g["group"]}" '):
            return f"by_group.{g['key']}.share_of_arrests", g["share_of_arrests"]
    near = before[-40:]
    for words, key in (
        ("first full on ", "day_detention_full"),
        ("peaks at ", "peak_detention"),
        ("Removals total ", "removals_total"),
        ("releases from detention ", "releases_total"),
        ("Releases from detention total ", "releases_total"),
        ("cost per removal is ", "cost_per_removal_usd"),
        ("which totals ", "cost_total_usd"),
        ("operation costs ", "cost_total_usd"),
    ):
        if near.endswith(words):
            return key, k[key]
    raise AssertionError(f"a band the test cannot map to a summary field: {m[0]!r}")


def scalar_fields(summary: dict[str, Any]) -> dict[str, float]:
    """summary.json figures that the brief may write on their own (not as a band)."""
    u = summary.get("uncertainty") or {}
    params = summary["parameters"]
    full = summary["kpis"].get("day_detention_full") or {}
    out = {
        "reps": summary["reps"],
        "days": summary["days"],
        "uncertainty.draws": u.get("draws"),
        "uncertainty.replications_per_draw": u.get("replications_per_draw"),
        "len(uncertainty.drawn_parameters)": len(u.get("drawn_parameters") or []),
        "len(uncertainty.posterior_parameters)": len(u.get("posterior_parameters") or []),
        "parameters drawn independently": len(
            set(u.get("drawn_parameters") or []) - set(u.get("posterior_parameters") or [])
        ),
        "labelled assumptions": sum(p["assumption"] and not p.get("fitted") for p in params),
        "len(parameters)": len(params),
        "kpis.day_detention_full.share_reached": full.get("share_reached"),
        "kpis.day_detention_full.p5": full.get("p5"),
        "kpis.day_detention_full.p50": full.get("p50"),
        # the band's own definition: the low percentile and the share between p5 and p95
        "p5 (low end of a band)": 0.05,
        "p95 - p5 (share a band holds)": 0.90,
    }
    for p in params:
        if p["path"] == "target.arrests_per_day" and not p.get("schedule"):
            out["parameters.target.arrests_per_day"] = p["value"]
    return {k: v for k, v in out.items() if v is not None}


def check_brief(
    summary: dict[str, Any], md: str, sensitivity: dict[str, Any] | None = None
) -> dict[str, int]:
    """Every check of one brief against its summary; returns how many bands each field
    got (for tests that want a field shown)."""
    assert md.startswith(f"## {TITLE}\n\n") and md.endswith("\n")
    said = sentences(md)
    assert 5 <= len(said) <= 8, said

    # Names in code are names (parameter or setting paths, a command), never figures.
    names = {p["path"] for p in summary["parameters"]} | {
        s["path"] for s in summary.get("settings") or []
    }
    names |= set((sensitivity or {}).get("parameters") or []) | {"atlarge sensitivity"}
    for name in CODE.findall(md):
        assert name in names, name

    dates = DATE.findall(md)
    assert all(d == summary["scenario"]["start_date"] for d in dates), dates

    # The band's kind: one sentence with a band says it, in the run's words, once. A
    # posterior is named only when the run used it, and ranged assumptions as varied only
    # when they were drawn (summary.json's posterior and posterior_others).
    u = summary.get("uncertainty") or {}
    independent = set(u.get("drawn_parameters") or []) - set(u.get("posterior_parameters") or [])
    if u.get("kind") != "stochastic and parameter":
        kind = FIXED
    elif not u.get("posterior"):
        kind = VARIED
    else:
        others = u.get("posterior_others") == "drawn" and independent
        kind = POSTERIOR_VARIED if others else POSTERIOR
    if not u.get("posterior"):
        assert "posterior" not in md
    varied = kind != FIXED and bool(independent)
    assert ("correlations between the uncertain parameters" in md) == varied
    assert ("each independently over its range" in md) == (varied and not sensitivity)
    if u.get("posterior") and not sensitivity:
        held = kind == POSTERIOR
        assert ("every other parameter held at its value" in md) == held
    fields: dict[str, int] = {}
    scalars = scalar_fields(summary)
    for sentence in said:
        text = DATE.sub("DATE", CODE.sub("NAME", sentence).replace(SECTION, ""))
        bands = list(TRIPLE.finditer(text))
        if bands:
            assert text.count(kind) == 1, sentence
        for other in set(BAND_KINDS) - {kind}:
            assert other not in text, sentence
        rest = text
        for m in reversed(bands):
            key, s = triple_field(summary, m, text)
            lo, hi = (m["mid"], m["mid"]) if m["same"] else (m["lo"], m["hi"])
            assert same(m["mid"], s["p50"]), (key, "p50", m[0], s)
            assert same(lo, s["p5"]), (key, "p5", m[0], s)
            assert same(hi, s["p95"]), (key, "p95", m[0], s)
            fields[key] = fields.get(key, 0) + 1
            rest = rest[: m.start()] + " BAND " + rest[m.end() :]
        # Every other number is a figure of the summary too (a group's name is a name).
        for g in summary["by_group"]:
            rest = rest.replace(f'"{g["group"]}"', '"GROUP"')
        for token in re.findall(NUMBER, rest):
            hits = [k for k, v in scalars.items() if same(token, v)]
            assert hits, f"{token!r} in {sentence!r} is no figure of summary.json"
    return fields


# ---------------------------------------------------------------- varied summaries


def _stats(draw, lo: float, hi: float, integer: bool = False) -> dict[str, float]:
    xs = sorted(draw(st.floats(lo, hi, allow_nan=False)) for _ in range(3))
    if integer:
        xs = [float(round(x)) for x in xs]
    mean = sum(xs) / 3
    return {"mean": mean, "p5": xs[0], "p50": xs[1], "p95": xs[2]}


@st.composite
def summaries(draw) -> dict[str, Any]:
    """Summaries as summary.json has them, with figures over wide ranges and every case
    of the brief: bands of each kind, detention full always / sometimes / never, agents
    detailed or not, removals or none, the regime on or off, a target that is a schedule."""
    band = draw(st.sampled_from(["fixed", "varied", "posterior_held", "posterior_drawn", "unused"]))
    kpis: dict[str, Any] = {
        "arrests_total": _stats(draw, 0, 5e6),
        "arrests_per_day": _stats(draw, 0, 2e4),
        "target_attainment": _stats(draw, 0, 2),
        "peak_detention": _stats(draw, 0, 3e5, integer=True),
        "removals_total": _stats(draw, 0, 2e6),
        "releases_total": _stats(draw, 0, 1e6),
        "cost_total_usd": _stats(draw, 0, 5e11),
        "cost_per_removal_usd": _stats(draw, 100, 1e7),
        "agent_days_diverted": _stats(draw, 0, 5e7),
        "leadership_replacements": _stats(draw, 0, 60, integer=True),
    }
    if draw(st.booleans()):
        kpis["agent_days_diverted"] = {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0}
    if draw(st.booleans()):
        kpis["cost_per_removal_usd"] = {"mean": None, "p5": None, "p50": None, "p95": None}
    days = draw(st.integers(1, 3650))
    share = draw(st.sampled_from([0.0, 0.01, 0.05, 0.3, 0.5, 0.8, 0.95, 1.0]))
    d = sorted(float(draw(st.integers(1, days))) for _ in range(3))
    full = {"mean": d[1] if share else None, "share_reached": share}
    full |= {
        "p5": d[0] if share >= 0.05 else None,
        "p50": d[1] if share >= 0.5 else None,
        "p95": d[2] if share >= 0.95 else None,
    }
    kpis["day_detention_full"] = full
    regime = draw(st.booleans())
    labels = ["Final order and conviction", "Other convictions, pending charges", "Neither"]
    groups = [
        {"group": label, "key": f"g{i}", "share_of_arrests": _stats(draw, 0, 1)}
        for i, label in enumerate(labels)
    ]
    params = [
        {
            "path": f"{draw(st.sampled_from(['groups', 'workforce', 'regime', 'courts', 'x_y']))}"
            f".p{i}",
            "value": 1.0,
            "assumption": draw(st.booleans()),
            "fitted": None,
            "schedule": None,
        }
        for i in range(draw(st.integers(1, 12)))
    ]
    schedule = {"2025-09-01": 2000.0} if draw(st.booleans()) else None
    target = draw(st.integers(1, 10_000))
    params.append(
        {
            "path": "target.arrests_per_day",
            "value": float(target),
            "assumption": False,
            "fitted": None,
            "schedule": schedule,
        }
    )
    reps = draw(st.integers(1, 2000))
    if band == "fixed":
        u = {"kind": "stochastic", "draws": 0, "replications_per_draw": None, "inner": reps}
        u |= {"drawn_parameters": [], "posterior": False, "posterior_parameters": []}
        u |= {"posterior_others": None}
    else:
        n = draw(st.integers(1, 40))
        per = draw(st.one_of(st.none(), st.integers(1, 50)))
        u = {"kind": "stochastic and parameter", "draws": n, "replications_per_draw": per}
        paths = [p["path"] for p in params[:-1]]
        # Under a posterior, its paths are drawn jointly ("held": nothing else is drawn).
        joint = paths[: draw(st.integers(1, len(paths)))] if band.startswith("post") else []
        drawn = joint if band == "posterior_held" else paths
        u |= {"drawn_parameters": sorted(set(drawn)), "posterior_parameters": sorted(set(joint))}
        u |= {"posterior": bool(joint), "posterior_others": band[10:] if joint else None}
    return {
        "scenario": {"name": "S", "sha256": "0" * 64, "start_date": "2025-01-20"},
        "reps": reps,
        "days": days,
        "uncertainty": u,
        "kpis": kpis,
        "by_group": groups,
        "parameters": params,
        "settings": [{"path": "regime.enabled", "value": regime, "description": ""}],
        "mechanisms": {"regime": regime, "courts": draw(st.booleans())},
    }


def example_summary() -> dict[str, Any]:
    """A fixed summary for the tests of wording (regime on, detention full in every run)."""

    def s(lo: float, mid: float, hi: float) -> dict[str, float]:
        return {"mean": mid, "p5": lo, "p50": mid, "p95": hi}

    params = [
        {"path": p, "value": 1.0, "assumption": a, "fitted": None, "schedule": None}
        for p, a in (("groups.a", True), ("groups.b", True), ("workforce.c", False))
    ]
    params.append(
        {"path": "target.arrests_per_day", "value": 3000.0, "assumption": False,
         "fitted": None, "schedule": None}
    )  # fmt: skip
    return {
        "scenario": {"name": "S", "sha256": "0" * 64, "start_date": "2025-06-01"},
        "reps": 200,
        "days": 365,
        "uncertainty": {"kind": "stochastic", "draws": 0, "drawn_parameters": []},
        "kpis": {
            "arrests_total": s(1e5, 2e5, 3e5),
            "arrests_per_day": s(500.2, 600.7, 700.1),
            "target_attainment": s(0.16, 0.2, 0.24),
            "peak_detention": s(37000, 38000, 41500),
            "day_detention_full": s(30, 41, 77) | {"share_reached": 1.0},
            "removals_total": s(7e4, 8e4, 9e4),
            "releases_total": s(3000, 4000, 5000),
            "cost_total_usd": s(2.1e9, 2.5e9, 2.9e9),
            "cost_per_removal_usd": s(24000, 28000, 32000),
            "agent_days_diverted": s(320000, 360000, 410000),
            "leadership_replacements": s(6, 6, 6),
        },
        "by_group": [
            {"group": "Neither", "key": "n", "share_of_arrests": s(0.45, 0.57, 0.66)},
            {"group": "Group 2", "key": "g", "share_of_arrests": s(0.34, 0.43, 0.55)},
        ],
        "parameters": params,
        "settings": [{"path": "regime.enabled", "value": True, "description": ""}],
        "mechanisms": {"regime": True, "courts": True},
    }


def test_the_example_brief_reads_as_intended():
    md = brief_markdown(example_summary())
    fields = check_brief(example_summary(), md)
    assert fields == {
        "arrests_per_day": 1,
        "target_attainment": 1,
        "day_detention_full": 1,
        "peak_detention": 1,
        "removals_total": 1,
        "releases_total": 1,
        "cost_per_removal_usd": 1,
        "cost_total_usd": 1,
        "agent_days_diverted": 1,
        "leadership_replacements": 1,
        "by_group.n.share_of_arrests": 1,
        "by_group.g.share_of_arrests": 1,
    }
    assert (
        "Across 200 simulated runs over 365 days from 2025-06-01, the median outcome is 601 "
        "arrests a day (between 500 and 700 in 90% of simulated outcomes, with the assumptions "
        "held fixed: randomness alone), 20.0% (between 16.0% and 24.0%) of the target of "
        "3,000 a day." in md
    )
    assert "Detention is first full on day 41 (between day 30 and day 77 in 90%" in md
    assert "6 field office leaderships (the same in 90% of simulated outcomes" in md
    assert '"Group 2" 43.0% (between 34.0% and 55.0%)' in md


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summaries())
def test_every_number_is_a_figure_of_the_summary_with_its_band_and_kind(summary):
    md = brief_markdown(summary)
    fields = check_brief(summary, md)
    k = summary["kpis"]
    # The headline KPIs are there whenever the summary has them.
    for key in ("arrests_per_day", "target_attainment", "removals_total", "releases_total"):
        assert fields.get(key) == 1, key
    assert fields.get("cost_per_removal_usd", 0) == (k["cost_per_removal_usd"]["p50"] is not None)
    assert fields.get("agent_days_diverted", 0) == (k["agent_days_diverted"]["p95"] > 0)
    assert fields.get("leadership_replacements", 0) == summary["mechanisms"]["regime"]
    assert fields.get("day_detention_full", 0) == (k["day_detention_full"]["p95"] is not None)
    if k["day_detention_full"]["share_reached"] == 0:
        assert "not full on any day" in md


def test_a_wrong_or_made_up_number_fails_the_check():
    """The check itself: a figure swapped for another statistic, a band end changed or a
    number the summary does not have are each caught."""
    summary = example_summary()
    summary["kpis"]["removals_total"] = {"mean": 5.0, "p5": 1000.0, "p50": 2000.0, "p95": 3000.0}
    md = brief_markdown(summary)
    check_brief(summary, md)
    for wrong in (
        md.replace("Removals total 2,000", "Removals total 1,000"),  # p5 shown as median
        md.replace("between 1,000 and 3,000", "between 1,000 and 3,100"),
        md.replace("over the horizon.", "over the horizon, 123,457 of them."),
    ):
        assert wrong != md
        with pytest.raises(AssertionError):
            check_brief(summary, wrong)


# ---------------------------------------------------------------- the wording of bands


def _base(kind: str) -> dict[str, Any]:
    summary = example_summary()
    summary["uncertainty"] = {
        "fixed": {"kind": "stochastic", "draws": 0, "drawn_parameters": []},
        "varied": {
            "kind": "stochastic and parameter",
            "draws": 20,
            "replications_per_draw": 10,
            "drawn_parameters": ["groups.a", "groups.b"],
            "posterior": False,
        },
        "posterior": {
            "kind": "stochastic and parameter",
            "draws": 20,
            "replications_per_draw": 10,
            "drawn_parameters": ["groups.a"],
            "posterior": True,
            "posterior_parameters": ["groups.a"],
            "posterior_others": "held",
        },
        "posterior_drawn": {
            "kind": "stochastic and parameter",
            "draws": 20,
            "replications_per_draw": 10,
            "drawn_parameters": ["groups.a", "groups.b", "workforce.c"],
            "posterior": True,
            "posterior_parameters": ["groups.a"],
            "posterior_others": "drawn",
        },
        # A scenario with a posterior whose path a change moved: the posterior unused.
        "unused": {
            "kind": "stochastic and parameter",
            "draws": 20,
            "replications_per_draw": 10,
            "drawn_parameters": ["groups.b", "workforce.c"],
            "posterior": False,
            "posterior_parameters": [],
            "posterior_others": None,
        },
    }[kind]
    return summary


def test_bands_of_randomness_alone_and_of_varied_assumptions_are_worded_apart():
    fixed = brief_markdown(_base("fixed"))
    varied = brief_markdown(_base("varied"))
    posterior = brief_markdown(_base("posterior"))
    assert (
        "in 90% of simulated outcomes, with the assumptions held fixed: randomness alone" in fixed
    )
    assert "with the uncertain assumptions varied" not in fixed
    assert "in 90% of simulated outcomes, with the uncertain assumptions varied" in varied
    assert "randomness alone" not in varied.replace("show randomness alone", "")
    assert "with the fitted parameters drawn from their posterior" in posterior
    assert (
        "The bands draw 2 uncertain parameters, each independently over its range (20 draws, 10"
        in varied
    )
    assert "held at its stated value, so the bands show randomness alone" in fixed


def test_bands_under_a_posterior_say_what_was_drawn_jointly_and_what_independently():
    held = brief_markdown(_base("posterior"))
    assert (
        "The bands draw 1 fitted parameter jointly from their posterior, every other parameter "
        "held at its value (20 draws" in held
    )
    assert "correlations" not in held  # the posterior's parameters are drawn jointly
    assert "uncertain assumptions varied" not in held
    drawn = brief_markdown(_base("posterior_drawn"))
    assert (
        "with the fitted parameters' posterior and the other uncertain assumptions varied" in drawn
    )
    assert (
        "The bands draw 1 fitted parameter jointly from their posterior and 2 other uncertain "
        "parameters, each independently over its range (20 draws" in drawn
    )
    assert "correlations between the uncertain parameters drawn independently" in drawn
    unused = brief_markdown(_base("unused"))
    assert "posterior" not in unused
    assert "The bands draw 2 uncertain parameters, each independently over its range" in unused
    assert "with the uncertain assumptions varied" in unused


# ---------------------------------------------------------------- drivers and caveats


def test_sensitivity_results_name_what_drives_the_results_and_the_dominant_assumptions():
    summary = _base("varied")
    summary["parameters"][:0] = [
        {"path": "groups.pool", "value": 1.0, "assumption": True, "fitted": None, "schedule": None},
        {"path": "detention.beds", "value": 1.0, "assumption": False, "fitted": None},
    ]
    sensitivity = {
        "method": "morris",
        "parameters": ["detention.beds", "groups.pool"],
        "indices": {
            "arrests_per_day": [
                {"parameter": "groups.pool", "mu_star": 9.0},
                {"parameter": "detention.beds", "mu_star": 1.0},
            ],
            "peak_detention": [
                {"parameter": "detention.beds", "mu_star": 12345.0},
                {"parameter": "groups.pool", "mu_star": 2.0},
            ],
            "removals_total": {"skipped": "undefined"},
        },
    }
    md = brief_markdown(summary, sensitivity)
    check_brief(summary, md, sensitivity)  # no index or other number of the analysis shown
    assert (
        '(Morris screening), the results for "Arrests per day" move most with `groups.pool` '
        'and `detention.beds`; the results for "Peak detention population" move most with '
        "`detention.beds` and `groups.pool`." in md
    )
    # Only labelled assumptions are named as the assumptions that dominate.
    assert "of which the analysis ranks `groups.pool` highest" in md
    assert "no sensitivity analysis" not in md


def test_without_sensitivity_the_brief_says_what_the_bands_vary_and_what_is_left_out():
    summary = _base("varied")
    summary["mechanisms"]["courts"] = False
    md = brief_markdown(summary)
    assert "no sensitivity analysis came with this run" in md
    assert "correlations between the uncertain parameters" in md
    assert "the immigration courts, so releases leave the system" in md
    assert "(docs/model.md, section 7)." in md
    fixed = _base("fixed")
    assert "correlations" not in brief_markdown(fixed)


def test_no_judging_words():
    words = re.compile(
        r"\b(only|just|merely|massive|huge|staggering|alarming|dramatic\w*|failure|fails|"
        r"success\w*|impressive|disappointing|shocking|mere|good|bad|worse|better)\b",
        re.I,
    )
    for kind in ("fixed", "varied", "posterior", "posterior_drawn", "unused"):
        md = brief_markdown(_base(kind))
        assert not words.search(md), words.search(md)


# ---------------------------------------------------------------- a real run, everywhere


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """``atlarge run`` of a small scenario (five offices, regime on), folder written."""
    from tests.conftest import run_atlarge

    out = tmp_path_factory.mktemp("brief") / "run"
    run_atlarge("run", REGIME, "--reps", 4, "--days", 40, "--fixed", "--out", out, "--quiet")
    return out


def test_the_run_folder_has_brief_md_matching_its_summary(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    md = (run_folder / "brief.md").read_text(encoding="utf-8")
    assert md == brief_markdown(summary)
    fields = check_brief(summary, md)
    assert {"arrests_per_day", "removals_total", "leadership_replacements"} <= set(fields)
    manifest = json.loads((run_folder / ".atlarge-manifest.json").read_text())
    assert "brief.md" in manifest["files"]


def _brief_in_report(report: str) -> str:
    m = re.search(r"<section id=brief class=brief><h2>(.*?)</h2>(.*?)</section>", report, re.S)
    assert m, "no brief section in the report"
    assert m[1] == TITLE
    paragraphs = re.findall(r"<p>(.*?)</p>", m[2], re.S)
    return "\n\n".join(html.unescape(re.sub(r"</?code>", "", p)) for p in paragraphs)


def test_report_html_opens_with_the_same_brief(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    report = (run_folder / "report.html").read_text(encoding="utf-8")
    assert _brief_in_report(report) == brief_text(summary)
    first_section = re.search(r"<section id=(\w+)", report)
    assert first_section and first_section[1] == "brief"


def test_the_api_gives_the_page_the_same_brief(tmp_path):
    from fastapi.testclient import TestClient

    from atlarge.api import ApiSettings, create_app

    app = create_app(ApiSettings(scenarios_dir=SMALL, max_jobs=1))
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.post("/api/runs", json={"scenario": "small-regime", "reps": 4, "days": 30})
        assert res.status_code == 202, res.text
        job = res.json()["job_id"]
        assert client.get(f"/api/runs/{job}/brief").status_code in (200, 409)
        deadline = time.time() + 120
        while client.get(f"/api/runs/{job}").json()["status"] not in ("done", "failed"):
            assert time.time() < deadline
            time.sleep(0.05)
        summary = client.get(f"/api/runs/{job}/summary").json()
        got = client.get(f"/api/runs/{job}/brief").json()
        report = client.get(f"/api/runs/{job}/report").text
        spec = client.get("/openapi.json").json()
    assert got == brief_json(summary)
    check_brief(summary, got["markdown"])
    # The page renders the segments; their text is the report's text.
    page_text = "\n\n".join(
        " ".join("".join(seg["text"] for seg in sentence) for sentence in paragraph)
        for paragraph in got["paragraphs"]
    )
    assert page_text == brief_text(summary) == _brief_in_report(report)
    assert "/api/runs/{job_id}/brief" in spec["paths"]


def test_the_explorer_page_shows_the_brief_above_the_results(browser):  # noqa: F811
    """The page (real Chromium, when there is one; else skipped as in test_browser.py)
    shows a finished run's brief, paragraph for paragraph the API's text."""
    import httpx

    from atlarge.api import ApiSettings
    from tests.conftest import SCENARIOS
    from tests.test_browser import serving

    with serving(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=1)) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.goto(url + "/")
        pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
        pg.uncheck("#uncertainty")
        pg.fill("#reps", "8")
        pg.fill("#days", "30")
        pg.click("#run-button")
        pg.wait_for_function("document.querySelectorAll('#brief p').length > 0", timeout=120_000)
        job = pg.get_attribute("#runs tr[data-job]", "data-job")
        shown = pg.locator("#brief p").all_inner_texts()
        heading = pg.inner_text("#brief h3")
        above = pg.evaluate(
            "document.getElementById('brief').compareDocumentPosition("
            "document.getElementById('kpi-table')) & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        context.close()
        summary = httpx.get(f"{url}/api/runs/{job}/summary").json()
    assert heading == TITLE and above
    assert shown == brief_text(summary).split("\n\n")
    assert FIXED in shown[0]


SENSITIVITY = {
    "method": "sobol",
    "parameters": ["regime.productivity_dip", "detention.beds"],
    "indices": {
        "arrests_per_day": [
            {"parameter": "regime.productivity_dip", "ST": 0.7},
            {"parameter": "detention.beds", "ST": 0.1},
        ],
        "cost_total_usd": {"skipped": "not in these runs' summaries"},
    },
}


def test_run_with_a_sensitivity_file_names_its_drivers(cli, tmp_path):
    """``atlarge run --sensitivity FILE``: the brief in the folder and the report use it."""
    path = tmp_path / "sensitivity.json"
    path.write_text(json.dumps(SENSITIVITY))
    out = tmp_path / "run"
    res = cli("run", REGIME, "--reps", "2", "--days", "20", "--fixed", "--quiet",
              "--sensitivity", path, "--out", out)  # fmt: skip
    assert res.code == 0, res.err
    summary = json.loads((out / "summary.json").read_text())
    md = (out / "brief.md").read_text(encoding="utf-8")
    assert md == brief_markdown(summary, SENSITIVITY)
    check_brief(summary, md, SENSITIVITY)
    assert (
        '(Sobol\' indices), the results for "Arrests per day" move most with '
        "`regime.productivity_dip`" in md
    )
    report = (out / "report.html").read_text(encoding="utf-8")
    assert _brief_in_report(report) == brief_text(summary, SENSITIVITY)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "no 'indices'"),
        (json.dumps({"indices": {"arrests_per_day": [{"parameter": "no.such"}]}}), "no.such"),
        (json.dumps({"indices": {"nope": [{"parameter": "detention.beds"}]}}), "not a KPI"),
        (json.dumps({"indices": {"arrests_per_day": [{"mu_star": 1}]}}), "without a parameter"),
    ],
)
def test_a_sensitivity_file_that_does_not_fit_is_refused_before_the_run(
    cli, tmp_path, content, says
):
    path = tmp_path / "s.json"
    path.write_text(content)
    res = cli("run", REGIME, "--reps", "2", "--days", "5", "--quiet", "--sensitivity", path,
              "--out", tmp_path / "run")  # fmt: skip
    assert res.code == 2 and "--sensitivity" in res.err and says in res.err, res.err
    assert "Traceback" not in res.err
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- scenario text in the brief

LABEL_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("`<>[]*_#&\\!()\"' "),
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    ),
    min_size=1,
    max_size=30,
)


def _markdown_inline(md: str) -> list[list[tuple[str, str]]]:
    """brief.md as a CommonMark reader sees it: per paragraph, (token type, content)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(md)
    paragraphs = []
    for i, tok in enumerate(tokens):
        if tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            paragraphs.append([(c.type, c.content) for c in tok.children or []])
    return paragraphs


@settings(max_examples=80, deadline=None)
@given(labels=st.lists(LABEL_TEXT, min_size=1, max_size=3))
@example(labels=["Nei`ther <img src=x onerror=alert(1)>", "a`b"])
@example(labels=["*a* [b](c) &amp; _d_", "# e"])
def test_a_group_label_stays_plain_text_in_every_form_of_the_brief(labels):
    """A label (scenario text) is plain text: no figure turns into code, and brief.md read
    as CommonMark has no tag, link or emphasis, and reads as the plain text."""
    summary = example_summary()
    summary["by_group"] = [
        {"group": label, "key": f"g{i}", "share_of_arrests": s}
        for i, (label, s) in enumerate(
            zip(labels, [{"mean": 0.2, "p5": 0.1, "p50": 0.2, "p95": 0.3}] * 3, strict=False)
        )
    ]
    names = {p["path"] for p in summary["parameters"]} | {"regime.enabled", "atlarge sensitivity"}
    paragraphs = brief_paragraphs(summary)
    codes = [seg.text for p in paragraphs for sent in p for seg in sent if seg.code]
    assert set(codes) <= names, codes
    text = brief_text(summary)
    for label in labels:
        assert f'"{label}"' in text
    md = brief_markdown(summary)
    seen = _markdown_inline(md)
    assert [" ".join(t.split()) for t in text.split("\n\n")] == [
        " ".join("".join(c for _, c in p).split()) for p in seen
    ]
    assert {t for p in seen for t, _ in p} <= {"text", "code_inline", "softbreak"}
    assert [c for p in seen for t, c in p if t == "code_inline"] == codes


def test_the_reviewed_label_reads_as_text_in_brief_md_and_in_the_segments():
    summary = example_summary()
    label = "Nei`ther <img src=x onerror=alert(1)>"
    summary["by_group"][0]["group"] = label
    md = brief_markdown(summary)
    assert r'"Nei\`ther \<img src=x onerror=alert(1)\>" 57.0%' in md
    assert not re.search(r"(?<!\\)[<`]img", md) and "`57.0%" not in md
    # The segments the report and the page render (escaped): the label is plain text, and
    # the names shown as code are the setting and the command the sentences name.
    paragraphs = brief_paragraphs(summary)
    codes = [seg.text for p in paragraphs for s in p for seg in s if seg.code]
    assert codes == ["regime.enabled", "atlarge sensitivity"]
    assert f'"{label}" 57.0% (between 45.0% and 66.0%' in brief_text(summary)


def test_markdown_escapes_a_heading_at_the_start_of_a_paragraph():
    from atlarge.report.brief import markdown_escaped

    assert markdown_escaped("# not a heading", line_start=True) == r"\# not a heading"
    assert markdown_escaped("a # b") == "a # b"
    assert markdown_escaped("a*b_c[d](e)") == r"a\*b\_c\[d\](e)"


# ---------------------------------------------------------------- one of a thing


def test_one_day_and_one_leadership_read_in_the_singular():
    summary = example_summary()
    summary["days"] = 1
    summary["kpis"]["leadership_replacements"] = {"mean": 1.0, "p5": 0.0, "p50": 1.0, "p95": 3.0}
    md = brief_markdown(summary)
    assert "over 1 day from" in md and "over 1 days" not in md
    assert "1 field office leadership (between 0 and 3 in 90% of simulated outcomes" in md
    assert "leaderships" not in md and ") is replaced;" in md
    check_brief(summary, md)
    summary["kpis"]["leadership_replacements"]["p50"] = 2.0
    assert "2 field office leaderships (between 0 and 3" in brief_markdown(summary)


def test_a_kpi_label_with_a_comma_is_its_own_name_in_the_drivers_sentence():
    summary = _base("varied")
    sensitivity = {
        "method": "sobol",
        "indices": {"arrests_total": [{"parameter": "groups.a"}], "cost_total_usd": []},
    }
    md = brief_markdown(summary, sensitivity)
    assert 'the results for "Arrests, total" move most with `groups.a`.' in md
    assert "arrests, total moves" not in md


# ---------------------------------------------------------------- fitted scenarios, as run


@pytest.fixture(scope="module")
def fitted_summaries():
    """Small runs with parameter draws of the two fitted scenarios (others drawn, others
    held) and of 2025-fitted with a posterior path changed (the posterior unused)."""
    from atlarge.scenario import load_scenario
    from atlarge.simulation import simulate

    cases = {
        "drawn": ("operation-at-large-fitted", {}),
        "held": ("2025-fitted", {}),
        "unused": ("2025-fitted", {"groups.no_criminal.arrests_per_agent_day": 0.13}),
    }
    out = {}
    for case, (name, changes) in cases.items():
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml", set={"days": 6, **changes})
        out[case] = simulate(sc, reps=4, seed=3, workers=1, uncertainty_inner=2).summary()
    return out


def test_summary_says_whether_the_posterior_was_used_and_what_the_others_did(fitted_summaries):
    drawn, held, unused = (fitted_summaries[k]["uncertainty"] for k in ("drawn", "held", "unused"))
    assert drawn["posterior"] and drawn["posterior_others"] == "drawn"
    assert set(drawn["posterior_parameters"]) < set(drawn["drawn_parameters"])
    assert held["posterior"] and held["posterior_others"] == "held"
    assert held["posterior_parameters"] == held["drawn_parameters"]  # nothing else drawn
    assert not unused["posterior"] and unused["posterior_others"] is None
    assert unused["posterior_parameters"] == []
    assert not set(unused["drawn_parameters"]) & set(held["posterior_parameters"])


def test_the_brief_of_fitted_scenarios_says_what_was_drawn(fitted_summaries):
    for case, summary in fitted_summaries.items():
        md = brief_markdown(summary)
        check_brief(summary, md)
        u = summary["uncertainty"]
        if case == "drawn":
            n, m = len(u["posterior_parameters"]), len(u["drawn_parameters"])
            assert (
                f"The bands draw {n} fitted parameters jointly from their posterior and "
                f"{m - n} other uncertain parameters, each independently over its range" in md
            )
        elif case == "held":
            assert "every other parameter held at its value" in md
            assert "correlations" not in md and "varied" not in md
        else:
            assert "posterior" not in md
            assert f"The bands draw {len(u['drawn_parameters'])} uncertain parameters" in md

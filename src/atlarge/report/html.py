"""The self-contained HTML report of a run: what was run, KPIs, charts with bands, every
parameter and every setting.

It says what was run, not what the file says: overrides (``--set``, another horizon) are
listed in a box at the top with the file's values, and the title counts them; a schedule
is shown as a schedule; fitted values as fitted; and a panel of a mechanism that is off
(regime, Guard, parameter draws) is not shown. Plotly's JavaScript is embedded once, so
the file opens offline.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.offline

from atlarge.analysis.kpis import KPIS
from atlarge.model import ModelOutput
from atlarge.report.charts import MECHANISM_PATHS, build_charts
from atlarge.report.format import (
    format_value,
    param_value,
    plain_number,
    plural,
    setting_value,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222}
main{max-width:1100px;margin:auto;padding:1rem 2rem}
h1{margin-bottom:.2rem} .meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.75rem;
 background:#fde2b8;color:#7a4500} .world{background:#d8ecd8;color:#1d5c1d}
.fitted{background:#dbe4f7;color:#1b3a7a}
.drivers{font-size:.85rem;color:#444;background:#fafafa;border-left:3px solid #ccc;
 padding:.3rem .6rem;margin:.2rem 0 1.5rem}
.note{font-size:.9rem;color:#444} section{margin-top:1.5rem}
#parameters td:last-child{width:42%} code{overflow-wrap:normal;word-break:normal}
.changes{background:#fff4e0;border:2px solid #e0a040;padding:.4rem 1rem;margin:1rem 0}
.changes h2{margin:.3rem 0;font-size:1.1rem} .changed{background:#f3d4f0;color:#6a1b63}
.idle{background:#eee;color:#555} .def{font-size:.8rem;color:#555;margin-top:.1rem}
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _path(path: str) -> str:
    """A dotted path that wraps only after its dots, never inside a name."""
    return "<code>" + ".<wbr>".join(_esc(part) for part in path.split(".")) + "</code>"


def _kpi_rows(summary: dict[str, Any]) -> str:
    """One row per KPI, labelled and defined by the registry; a KPI of a mechanism the
    run has off is left out."""
    on = summary.get("mechanisms") or {}
    rows = []
    for key, kpi in KPIS.items():
        s = summary["kpis"].get(key)
        if s is None or (kpi.needs is not None and not on.get(kpi.needs, True)):
            continue
        extra = ""
        if "share_reached" in s:
            extra = f" (in {s['share_reached']:.0%} of replications)"
        rows.append(
            f"<tr data-kpi={_esc(key)}><td>{_esc(kpi.label)}{_esc(extra)}"
            f"<div class=def>{_esc(kpi.definition)}</div></td>"
            f"<td class=num>{_esc(format_value(key, s['p50']))}</td>"
            f"<td class=num>{_esc(format_value(key, s['p5']))} – "
            f"{_esc(format_value(key, s['p95']))}</td>"
            f"<td class=num>{_esc(format_value(key, s['mean']))}</td></tr>"
        )
    return "".join(rows)


def _matches(path: str, driver: str) -> bool:
    if "*" in driver:
        head, tail = driver.split("*", 1)
        return path.startswith(head) and path.endswith(tail.lstrip("."))
    return path == driver or path.startswith(driver + ".")


def _idle_prefixes(summary: dict[str, Any]) -> tuple[str, ...]:
    """Parts of the model that do nothing in this run: agencies and support that are not
    deployed (headcount always 0), and every mechanism that is off."""
    idle = []
    for p in summary["parameters"]:
        if p["path"].endswith(".headcount"):
            values = [p["value"], *(p["schedule"] or {}).values()]
            if not any(values):
                idle.append(p["path"].rsplit(".", 1)[0])
    on = summary.get("mechanisms") or {}
    idle += [path for m, path in MECHANISM_PATHS.items() if not on.get(m, True)]
    return tuple(idle)


def _value(p: dict[str, Any], start: str, unit: bool = True) -> str:
    return param_value(p["value"], p["schedule"], p["unit"] if unit else "", start)


def _drivers(summary: dict[str, Any], drivers: tuple[str, ...], start: str) -> str:
    idle = _idle_prefixes(summary)

    def hit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            r
            for r in rows
            if any(_matches(r["path"], d) for d in drivers)
            and not any(_matches(r["path"], i) for i in idle)
        ]

    params = hit(summary["parameters"])
    settings = hit([s for s in summary.get("settings", []) if s["value"] is not None])
    kinds = (
        ("Assumptions", [p for p in params if p["assumption"] and not p.get("fitted")]),
        ("Fitted values", [p for p in params if p.get("fitted")]),
        ("Sourced figures", [p for p in params if not p["assumption"] and not p.get("fitted")]),
    )
    parts = [
        f"<b>{title}:</b> "
        + "; ".join(f"{_path(p['path'])} = {_esc(_value(p, start))}" for p in rows)
        for title, rows in kinds
        if rows
    ]
    if settings:
        parts.append(
            "<b>Settings:</b> "
            + "; ".join(
                f"{_path(s['path'])} = {_esc(setting_value(s['path'], s['value']))}"
                for s in settings
            )
        )
    return "<div class=drivers>Driven by — " + "<br>".join(parts) + "</div>"


def _param_rows(summary: dict[str, Any], start: str) -> str:
    overridden = summary.get("overrides") or {}
    idle = _idle_prefixes(summary)
    rows = []
    for p in summary["parameters"]:
        if p.get("fitted"):
            badge = "<span class='badge fitted'>fitted</span>"
        elif p["assumption"]:
            badge = "<span class=badge>assumption</span>"
        else:
            badge = "<span class='badge world'>sourced</span>"
        if p["path"] in overridden:
            badge += " <span class='badge changed'>changed by this run</span>"
        if any(_matches(p["path"], i) for i in idle):
            badge += " <span class='badge idle'>not used in this run</span>"
        rng = ""
        if p["range"]:
            rng = f"{plain_number(p['range'][0])} – {plain_number(p['range'][1])}"
        prov = _esc(p["source"] or "")
        if p["rationale"]:
            prov = (prov + "<br>" if prov else "") + "<i>" + _esc(p["rationale"]) + "</i>"
        if p.get("fitted"):
            f = p["fitted"]
            prov += "<br><small>fitted on " + _esc(", ".join(f["fitted_on"])) + "</small>"
        rows.append(
            f"<tr><td>{_path(p['path'])}</td>"
            f"<td class=num>{_esc(_value(p, start, unit=False))}</td>"
            f"<td>{_esc(p['unit'])}</td><td class=num>{_esc(rng)}</td><td>{badge}</td>"
            f"<td>{prov}</td></tr>"
        )
    return "".join(rows)


def _setting_rows(summary: dict[str, Any]) -> str:
    overridden = summary.get("overrides") or {}
    rows = []
    for s in summary.get("settings", []):
        changed = s["path"] in overridden
        rows.append(
            f"<tr><td>{_path(s['path'])}</td><td>{_esc(setting_value(s['path'], s['value']))}"
            + (" <span class='badge changed'>changed by this run</span>" if changed else "")
            + f"</td><td>{_esc(s['description'] or '')}</td></tr>"
        )
    return "".join(rows)


def _changes_box(summary: dict[str, Any], start: str) -> str:
    """What this run changed from the file: each override, as run and as in the file."""
    overrides = summary.get("overrides") or {}
    if not overrides:
        return ""
    params = {p["path"]: p for p in summary["parameters"]}
    rows = []
    for path, o in overrides.items():
        p = params.get(path)
        if p is not None:
            run = param_value(o["value"], o.get("schedule"), p["unit"], start)
            was = param_value(o["file_value"], o.get("file_schedule"), p["unit"], start)
        else:
            run = setting_value(path, o["value"])
            was = setting_value(path, o["file_value"])
        rows.append(
            f"<tr><td>{_path(path)}</td><td>{_esc(run)}</td><td>{_esc(was)}</td></tr>"
        )
    return (
        "<section id=changes class=changes><h2>This run differs from the scenario file in "
        f"{_esc(plural(len(overrides), 'setting'))}</h2>"
        "<table><tr><th>Path</th><th>Value as run</th><th>Value in the file</th></tr>"
        + "".join(rows)
        + "</table></section>"
    )


def _warnings_box(summary: dict[str, Any]) -> str:
    """Schedule entries this run's horizon leaves unused (scenario/schedules.py)."""
    warnings = summary.get("warnings") or []
    if not warnings:
        return ""
    items = "".join(
        f"<li>{_path(w['path'])}: {_esc(w['message'])}</li>" for w in warnings
    )
    return (
        "<section id=warnings class=changes><h2>Warnings about this scenario</h2>"
        f"<ul>{items}</ul></section>"
    )


def _title(name: str, summary: dict[str, Any]) -> str:
    n = len(summary.get("overrides") or {})
    return f"{name}, with {plural(n, 'change')}" if n else name


def _office_rows(out: ModelOutput) -> str:
    off = out.inputs.offices
    return "".join(
        f"<tr><td>{_esc(n)}</td><td>{_esc(c)}</td><td class=num>{pw:.2%}</td>"
        f"<td class=num>{bw:.2%}</td></tr>"
        for c, n, pw, bw in zip(
            off.codes, off.names, off.population_weight, off.bed_weight, strict=True
        )
    )


def _band_kind(summary: dict[str, Any]) -> str:
    u = summary.get("uncertainty") or {}
    if u.get("kind") == "stochastic and parameter":
        per = u.get("replications_per_draw")
        each = (
            f"{plural(per, 'stochastic replication')} each"
            if per
            else "stochastic replications in draws of unequal size ("
            + ", ".join(str(n) for n in u.get("replications_by_draw", []))
            + ")"
        )
        return (
            f"<b>They contain both kinds of uncertainty:</b> {plural(u['draws'], 'draw')} of "
            f"the {plural(len(u['drawn_parameters']), 'ranged parameter')} (uniform over each "
            f"range, triangular where stated), times {each}."
        )
    return (
        "<b>They contain stochastic uncertainty only:</b> every parameter is held at its "
        "stated value."
    )


def render_report(out: ModelOutput, summary: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    sc = out.scenario
    params = summary["parameters"]
    start = sc.start_date.isoformat()
    charts = build_charts(out)
    n_assume = sum(p["assumption"] for p in params)
    chart_html = []
    for ch in charts:
        div = ch.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            config={"displaylogo": False, "responsive": True},
        )
        note = f"<p class=note>{_esc(ch.note)}</p>" if ch.note else ""
        chart_html.append(
            f"<section id='chart-{ch.key}'><h2>{_esc(ch.title)}</h2>{div}{note}"
            f"{_drivers(summary, ch.drivers, start)}</section>"
        )
    notes = out.inputs.offices.notes
    title = _title(sc.name, summary)
    n_changes = len(summary.get("overrides") or {})
    description = _esc(sc.description)
    if n_changes:
        description = (
            f"<b>As the scenario file describes it, before this run's "
            f"{_esc(plural(n_changes, 'change'))} (listed below):</b> {description}"
        )
    chain = summary.get("extends") or []
    extends = (
        " · extends " + " → ".join(f"<code>{_esc(f)}</code>" for f in chain) if chain else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atlarge — {_esc(title)}</title>
<style>{CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body><main>
<h1>{_esc(title)}</h1>
<p>{description}</p>
<p class=meta>atlarge {_esc(summary["atlarge_version"])} · scenario sha256
<code>{_esc(summary["scenario"]["sha256"][:16])}</code>{extends} · start {_esc(sc.start_date)} ·
{summary["days"]} days · {summary["reps"]} replications · seed {summary["seed"]}</p>
{_changes_box(summary, start)}
{_warnings_box(summary)}
<p class=note>Aggregate counts per field office and day only; no person-level data. Bands show
the spread over replications (light: 5th–95th percentile, dark: 25th–75th, line: median).
{_band_kind(summary)} {n_assume} of {len(params)} parameters are labelled assumptions.</p>
<section id=kpis><h2>Key results</h2>
<table><tr><th>Measure</th><th>Median</th><th>5th – 95th percentile</th><th>Mean</th></tr>
{_kpi_rows(summary)}</table></section>
{"".join(chart_html)}
<section id=parameters><h2>Every parameter, with its source</h2>
<table><tr><th>Parameter</th><th>Value</th><th>Unit</th><th>Range</th><th>Kind</th>
<th>Source or rationale</th></tr>{_param_rows(summary, start)}</table></section>
<section id=settings><h2>Every setting: switches, choices, labels and the horizon</h2>
<table><tr><th>Setting</th><th>Value</th><th>What it does</th></tr>
{_setting_rows(summary)}</table></section>
<section id=offices><h2>Field offices and how national figures are spread over them</h2>
<p class=note>Population weights: {_esc(notes["population"])}. {_esc(notes["harlingen_split"])}
Bed weights: {_esc(notes["texas_share"])}; {_esc(notes["louisiana_share"])}.
{_esc(notes["bed_split"])}</p>
<table><tr><th>Office</th><th>Code</th><th>Population weight</th><th>Bed weight</th></tr>
{_office_rows(out)}</table></section>
</main></body></html>
"""

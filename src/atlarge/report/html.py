"""The self-contained HTML report of a run: KPIs, charts with bands, every parameter.

Plotly's JavaScript is embedded once, so the file opens offline.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.offline

from atlarge.model import ModelOutput
from atlarge.report.charts import build_charts
from atlarge.report.format import KPI_LABELS, format_value

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
#parameters td:last-child{width:42%} #parameters code{word-break:break-all}
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _kpi_rows(summary: dict[str, Any]) -> str:
    rows = []
    for key, label in KPI_LABELS.items():
        s = summary["kpis"].get(key)
        if s is None:
            continue
        extra = ""
        if "share_reached" in s:
            extra = f" (in {s['share_reached']:.0%} of replications)"
        rows.append(
            f"<tr><td>{_esc(label)}{_esc(extra)}</td>"
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


def _idle_prefixes(params: list[dict[str, Any]]) -> tuple[str, ...]:
    """Sections of agencies and support that are not deployed (headcount always 0)."""
    idle = []
    for p in params:
        if p["path"].endswith(".headcount"):
            values = [p["value"], *(p["schedule"] or {}).values()]
            if not any(values):
                idle.append(p["path"].rsplit(".", 1)[0])
    return tuple(idle)


def _drivers(params: list[dict[str, Any]], drivers: tuple[str, ...]) -> str:
    idle = _idle_prefixes(params)
    hit = [
        p
        for p in params
        if any(_matches(p["path"], d) for d in drivers)
        and not any(_matches(p["path"], i) for i in idle)
    ]
    assumptions = [p for p in hit if p["assumption"]]
    world = [p for p in hit if not p["assumption"]]

    def fmt(p: dict[str, Any]) -> str:
        return f"<code>{_esc(p['path'])}</code> = {p['value']:g} {_esc(p['unit'])}"

    parts = []
    if assumptions:
        parts.append("<b>Assumptions:</b> " + "; ".join(fmt(p) for p in assumptions))
    if world:
        parts.append("<b>Sourced figures:</b> " + "; ".join(fmt(p) for p in world))
    return "<div class=drivers>Driven by — " + "<br>".join(parts) + "</div>"


def _param_rows(params: list[dict[str, Any]]) -> str:
    rows = []
    for p in params:
        if p.get("fitted"):
            badge = "<span class='badge fitted'>fitted</span>"
        elif p["assumption"]:
            badge = "<span class=badge>assumption</span>"
        else:
            badge = "<span class='badge world'>sourced</span>"
        value = f"{p['value']:g}"
        if p["schedule"]:
            value += "; " + ", ".join(f"{v:g} from {d}" for d, v in p["schedule"].items())
        rng = f"{p['range'][0]:g} – {p['range'][1]:g}" if p["range"] else ""
        prov = _esc(p["source"] or "")
        if p["rationale"]:
            prov = (prov + "<br>" if prov else "") + "<i>" + _esc(p["rationale"]) + "</i>"
        if p.get("fitted"):
            f = p["fitted"]
            prov += "<br><small>fitted on " + _esc(", ".join(f["fitted_on"])) + "</small>"
        rows.append(
            f"<tr><td><code>{_esc(p['path'])}</code></td><td class=num>{_esc(value)}</td>"
            f"<td>{_esc(p['unit'])}</td><td class=num>{_esc(rng)}</td><td>{badge}</td>"
            f"<td>{prov}</td></tr>"
        )
    return "".join(rows)


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
        return (
            f"<b>They contain both kinds of uncertainty:</b> {u['draws']} draws of the "
            f"{len(u['drawn_parameters'])} ranged parameters (uniform over each range, "
            f"triangular where stated), times {u['inner']} stochastic replications each."
        )
    return (
        "<b>They contain stochastic uncertainty only:</b> every parameter is held at its "
        "stated value (run with --uncertainty to draw the ranged ones)."
    )


def render_report(out: ModelOutput, summary: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    sc = out.scenario
    params = summary["parameters"]
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
            f"{_drivers(params, ch.drivers)}</section>"
        )
    notes = out.inputs.offices.notes
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atlarge — {_esc(sc.name)}</title>
<style>{CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body><main>
<h1>{_esc(sc.name)}</h1>
<p>{_esc(sc.description)}</p>
<p class=meta>atlarge {_esc(summary["atlarge_version"])} · scenario sha256
<code>{_esc(summary["scenario"]["sha256"][:16])}</code> · start {_esc(sc.start_date)} ·
{summary["days"]} days · {summary["reps"]} replications · seed {summary["seed"]}</p>
<p class=note>Aggregate counts per field office and day only; no person-level data. Bands show
the spread over replications (light: 5th–95th percentile, dark: 25th–75th, line: median).
{_band_kind(summary)} {n_assume} of {len(params)} parameters are labelled assumptions.</p>
<section id=kpis><h2>Key results</h2>
<table><tr><th>Measure</th><th>Median</th><th>5th – 95th percentile</th><th>Mean</th></tr>
{_kpi_rows(summary)}</table></section>
{"".join(chart_html)}
<section id=parameters><h2>Every parameter, with its source</h2>
<table><tr><th>Parameter</th><th>Value</th><th>Unit</th><th>Range</th><th>Kind</th>
<th>Source or rationale</th></tr>{_param_rows(params)}</table></section>
<section id=offices><h2>Field offices and how national figures are spread over them</h2>
<p class=note>Population weights: {_esc(notes["population"])}. {_esc(notes["harlingen_split"])}
Bed weights: {_esc(notes["texas_share"])}; {_esc(notes["louisiana_share"])}.
{_esc(notes["bed_split"])}</p>
<table><tr><th>Office</th><th>Code</th><th>Population weight</th><th>Bed weight</th></tr>
{_office_rows(out)}</table></section>
</main></body></html>
"""

"""The sensitivity page: ranked indices with confidence intervals, one panel per KPI."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.offline
from plotly.subplots import make_subplots

from atlarge.analysis.kpis import KPIS
from atlarge.report.format import plain_number
from atlarge.report.html import CSS
from atlarge.report.terminal import (
    EFFECT_NOTE,
    METHOD_WORDS,
    kpi_title,
    param_label,
)

TOP = 15


def _figure(doc: dict[str, Any]) -> go.Figure:
    outs = [o for o, rows in doc["indices"].items() if isinstance(rows, list)]
    fig = make_subplots(
        rows=len(outs),
        cols=1,
        subplot_titles=[kpi_title(o) for o in outs],
        vertical_spacing=0.25 / max(len(outs), 1),
    )
    for i, out in enumerate(outs, start=1):
        rows = doc["indices"][out][:TOP][::-1]
        units = doc.get("units", {})
        names = [param_label(r["parameter"], units.get(r["parameter"])) for r in rows]
        if doc["method"] == "sobol":
            for key, color in (("ST", "#d62728"), ("S1", "#1f77b4")):
                fig.add_trace(
                    go.Bar(
                        y=names,
                        x=[r[key] for r in rows],
                        orientation="h",
                        marker_color=color,
                        error_x={"type": "data", "array": [r[f"{key}_conf"] for r in rows]},
                        name={
                            "ST": "total index (ST): share of the variance, with interactions",
                            "S1": "first-order index (S1): share of the variance, alone",
                        }[key],
                        showlegend=i == 1,
                    ),
                    row=i,
                    col=1,
                )
        else:
            fig.add_trace(
                go.Bar(
                    y=names,
                    x=[r["mu_star"] for r in rows],
                    orientation="h",
                    marker_color="#1f77b4",
                    error_x={"type": "data", "array": [r["mu_star_conf"] for r in rows]},
                    name="mean absolute effect across the range (mu*), in the measure's units",
                    showlegend=i == 1,
                ),
                row=i,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    y=names,
                    x=[r["sigma"] for r in rows],
                    mode="markers",
                    marker_color="#d62728",
                    name="spread of the effect (sigma): interactions, non-linearity",
                    showlegend=i == 1,
                ),
                row=i,
                col=1,
            )
        fig.update_xaxes(
            title_text="share of the variance"
            if doc["method"] == "sobol"
            else f"effect on the measure ({KPIS[out].difference_unit})",
            row=i,
            col=1,
        )
    fig.update_layout(
        template="plotly_white",
        height=max(420, 36 * TOP * len(outs)),
        barmode="group",
        legend={"orientation": "h", "y": 1.02},
        margin={"l": 320, "r": 20, "t": 60, "b": 40},
    )
    return fig


def render_sensitivity(doc: dict[str, Any]) -> str:
    method = doc["method"]
    how = (
        "Sobol' variance shares (Saltelli sampling, first-order and total, 95% bootstrap "
        "intervals)"
        if method == "sobol"
        else "Morris screening (mean absolute effect, mu*, with its 95% interval, and its "
        "spread, sigma)"
    )
    units = doc.get("units", {})
    ranges = "".join(
        f"<li>{html.escape(param_label(name, units.get(name)))}: {plain_number(lo)} to "
        f"{plain_number(hi)} <code>{html.escape(name)}</code></li>"
        for name, (lo, hi) in zip(doc["parameters"], doc["bounds"], strict=True)
    )
    skipped = "".join(
        f"<li>{html.escape(kpi_title(o))}: {html.escape(r['skipped'])}</li>"
        for o, r in doc["indices"].items()
        if isinstance(r, dict)
    )
    fig = _figure(doc).to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>atlarge sensitivity</title><style>{CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script></head><body><main>
<h1>Which assumptions drive the answer</h1>
<p class=meta>{html.escape(how)} · {len(doc["parameters"])} parameters · {doc["points"]} model
runs of {doc["reps"]} replications · seed {doc["seed"]}</p>
<p class=note>Each parameter varies over its stated range; every model run uses the same random
numbers, so differences between runs come from the parameters. The {TOP} most influential
parameters are shown per measure.</p>
<p class=note>{html.escape(EFFECT_NOTE[method])}</p>
{f"<ul>{skipped}</ul>" if skipped else ""}
{fig}
<h2>Parameters and the ranges they varied over ({html.escape(METHOD_WORDS[method])})</h2>
<ul>{ranges}</ul>
</main></body></html>
"""

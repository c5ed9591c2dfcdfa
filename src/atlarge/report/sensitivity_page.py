"""The sensitivity page: ranked indices with confidence intervals, one panel per KPI."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.offline
from plotly.subplots import make_subplots

from atlarge.report.format import KPI_LABELS
from atlarge.report.html import CSS

TOP = 15


def _figure(doc: dict[str, Any]) -> go.Figure:
    outs = [o for o, rows in doc["indices"].items() if isinstance(rows, list)]
    fig = make_subplots(
        rows=len(outs),
        cols=1,
        subplot_titles=[KPI_LABELS.get(o, o) for o in outs],
        vertical_spacing=0.25 / max(len(outs), 1),
    )
    for i, out in enumerate(outs, start=1):
        rows = doc["indices"][out][:TOP][::-1]
        names = [r["parameter"] for r in rows]
        if doc["method"] == "sobol":
            for key, color in (("ST", "#d62728"), ("S1", "#1f77b4")):
                fig.add_trace(
                    go.Bar(
                        y=names,
                        x=[r[key] for r in rows],
                        orientation="h",
                        marker_color=color,
                        error_x={"type": "data", "array": [r[f"{key}_conf"] for r in rows]},
                        name={"ST": "total index", "S1": "first-order index"}[key],
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
                    name="mu* (mean absolute elementary effect)",
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
                    name="sigma (interactions, non-linearity)",
                    showlegend=i == 1,
                ),
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
        "Sobol' indices (Saltelli sampling, first-order and total, 95% bootstrap intervals)"
        if method == "sobol"
        else "Morris elementary effects (mu* with its 95% interval, and sigma)"
    )
    skipped = "".join(
        f"<li>{html.escape(KPI_LABELS.get(o, o))}: {html.escape(r['skipped'])}</li>"
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
{f"<ul>{skipped}</ul>" if skipped else ""}
{fig}
</main></body></html>
"""

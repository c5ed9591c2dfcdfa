"""The sensitivity page: ranked indices with confidence intervals, one panel per KPI.

The markup is in ``templates/sensitivity.html``; this module builds the figure and plain
rows."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from atlarge.analysis.kpis import KPIS
from atlarge.report.format import plain_number
from atlarge.report.pages import render_page
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
    """The sensitivity page as one HTML string."""
    method = doc["method"]
    how = (
        "Sobol' variance shares (Saltelli sampling, first-order and total, 95% bootstrap intervals)"
        if method == "sobol"
        else "Morris screening (mean absolute effect, mu*, with its 95% interval, and its "
        "spread, sigma)"
    )
    units = doc.get("units", {})
    ranges = [
        {
            "label": param_label(name, units.get(name)),
            "low": plain_number(lo),
            "high": plain_number(hi),
            "path": name,
        }
        for name, (lo, hi) in zip(doc["parameters"], doc["bounds"], strict=True)
    ]
    skipped = [
        {"measure": kpi_title(o), "reason": r["skipped"]}
        for o, r in doc["indices"].items()
        if isinstance(r, dict)
    ]
    fig = _figure(doc).to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )
    return render_page(
        "sensitivity.html",
        how=how,
        n_parameters=len(doc["parameters"]),
        points=doc["points"],
        reps=doc["reps"],
        seed=doc["seed"],
        top=TOP,
        effect_note=EFFECT_NOTE[method],
        skipped=skipped,
        figure_div=fig,
        method_words=METHOD_WORDS[method],
        ranges=ranges,
    )

"""The side-by-side page of two runs (``compare.html``) and its terminal table, from the
document :func:`atlarge.analysis.compare.compare_runs` builds (``compare.json``).

Every number carries its band: A and B their median and 5th-95th percentile over
replications, B - A its median and 5th-95th percentile over the differences, paired or
unpaired as the page says at the top. The charts overlay the national daily series of
both runs, each with its p5-p95 band and median.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from rich.table import Table
from rich.text import Text

from atlarge.analysis.kpis import KPIS
from atlarge.model.measures import MEASURES
from atlarge.report.charts import _layout, band_traces
from atlarge.report.format import format_difference, format_value
from atlarge.report.pages import render_page

COLORS = {"a": "#1f77b4", "b": "#d62728"}
"""Run A in blue, run B in red, on every chart."""


def _band(s: Mapping[str, Any], key: str, diff: bool = False) -> str:
    show = format_difference if diff else format_value
    return f"{show(key, s.get('p5'))} – {show(key, s.get('p95'))}"


def kpi_rows(doc: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row of text per KPI: A, B and B - A, each median with its band."""
    rows = []
    for key, k in doc["kpis"].items():
        d = k["b_minus_a"]
        defined = d.get("pairs_defined", 1.0)
        band = _band(d, key, diff=True)
        if not defined:
            band = "undefined in every pair" + (" (never reached)" if KPIS[key].never else "")
        elif defined < 1.0:
            band += f" (defined in {defined:.0%} of pairs)"
        rows.append(
            {
                "key": key,
                "label": k["label"],
                "a": format_value(key, k["a"].get("p50")),
                "a_band": _band(k["a"], key),
                "b": format_value(key, k["b"].get("p50")),
                "b_band": _band(k["b"], key),
                "diff": format_difference(key, d.get("p50")),
                "diff_band": band,
                "diff_mean": format_difference(key, d.get("mean")),
            }
        )
    return rows


def compare_table(doc: Mapping[str, Any]) -> Table:
    """``atlarge compare``: medians with their p5-p95 bands, and B - A with its band."""
    title = f"A: {doc['a']['scenario']}  B: {doc['b']['scenario']} ({doc['pairing']})"
    # Text, never markup: scenario names are their authors' words ('[sic]' prints as such).
    table = Table(title=Text(title), title_justify="left", caption=Text(doc["pairing_note"]))
    for col in ("KPI", "A", "A p5–p95", "B", "B p5–p95", "B − A", "B − A p5–p95"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for r in kpi_rows(doc):
        cells = (r["label"], r["a"], r["a_band"], r["b"], r["b_band"], r["diff"], r["diff_band"])
        table.add_row(*(Text(c) for c in cells))
    return table


def _series_figure(measure: str, sides: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Both runs' national daily series of ``measure``: p5-p95 band and median each."""
    fig = go.Figure()
    for side in ("a", "b"):
        b = sides[side]
        x = list(range(1, len(b["p50"]) + 1))
        name = f"{side.upper()}: {names[side]}"
        band_traces(fig, x, b, color=COLORS[side], group=side, band_name=name,
                    median_name=f"{name} (median)")  # fmt: skip
    fig.update_xaxes(title_text="day of the run")
    _layout(fig, MEASURES[measure].unit if measure in MEASURES else "")
    return fig.to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True}
    )


def render_compare(doc: Mapping[str, Any]) -> str:
    """``compare.html``: what was compared and how, the KPI table, the overlaid series."""
    names = {s: doc[s]["scenario"] for s in ("a", "b")}
    charts = [
        {
            "key": m,
            "title": f"{MEASURES[m].label if m in MEASURES else m} per day, national",
            "div": _series_figure(m, sides, names),
        }
        for m, sides in doc["series"].items()
    ]
    return render_page(
        "compare.html",
        a=doc["a"],
        b=doc["b"],
        pairing=doc["pairing"],
        pairing_note=doc["pairing_note"],
        differences=[d["message"] for d in doc["differences"]],
        kpis=kpi_rows(doc),
        charts=charts,
    )


__all__ = ["compare_table", "kpi_rows", "render_compare"]

"""The backtest page: observed figures over simulated bands, one panel per metric.

The markup is in ``templates/backtest.html``; this module builds the figure and plain rows."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from atlarge.analysis.observed import METRIC_LABELS, TARGET_METRICS
from atlarge.report.pages import render_page

KINDS = {
    "fit": ("Fitted (in sample)", "#1f77b4"),
    "leave-one-year-out": ("Left out of the fit", "#ff7f0e"),
    "aside": ("Kept aside (never fitted)", "#2ca02c"),
}


def _figure(rows: list[dict[str, Any]]) -> go.Figure:
    fig = make_subplots(rows=2, cols=2, subplot_titles=[METRIC_LABELS[m] for m in TARGET_METRICS])
    for i, metric in enumerate(TARGET_METRICS):
        r, c = divmod(i, 2)
        sel = [x for x in rows if x["metric"] == metric]
        for kind, (label, color) in KINDS.items():
            ks = [x for x in sel if x["kind"] == kind]
            if not ks:
                continue
            offset = {"fit": -0.15, "leave-one-year-out": 0.15, "aside": 0.0}[kind]
            fig.add_trace(
                go.Scatter(
                    x=[int(x["period"][2:]) + offset for x in ks],
                    y=[x["sim_p50"] for x in ks],
                    mode="markers",
                    marker={
                        "color": color,
                        "size": 9,
                        "symbol": "line-ew-open",
                        "line": {"width": 3, "color": color},
                    },
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [x["sim_p95"] - x["sim_p50"] for x in ks],
                        "arrayminus": [x["sim_p50"] - x["sim_p5"] for x in ks],
                        "color": color,
                        "thickness": 6,
                        "width": 0,
                    },
                    name=f"{label}: simulated p5-p95",
                    legendgroup=kind,
                    showlegend=i == 0,
                ),
                row=r + 1,
                col=c + 1,
            )
        years = sorted({x["period"] for x in sel})
        obs = [next(x for x in sel if x["period"] == y) for y in years]
        fig.add_trace(
            go.Scatter(
                x=[int(y[2:]) for y in years],
                y=[x["observed"] for x in obs],
                mode="markers",
                marker={
                    "color": "black",
                    "size": 8,
                    "symbol": ["circle-open" if x["from_memory"] else "circle" for x in obs],
                },
                name="Observed (open: recorded from memory, not fitted)",
                legendgroup="obs",
                showlegend=i == 0,
            ),
            row=r + 1,
            col=c + 1,
        )
    fig.update_layout(
        template="plotly_white",
        height=720,
        legend={"orientation": "h", "y": -0.08},
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
    )
    fig.update_xaxes(dtick=1, title_text="fiscal year")
    return fig


def _rows_table(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every comparison, formatted, in metric, year and kind order."""
    out = []
    for x in sorted(rows, key=lambda x: (x["metric"], x["period"], x["kind"])):
        flag = " (from memory)" if x["from_memory"] else ""
        kind = KINDS[x["kind"]][0]
        if x["kind"] == "fit" and not x["in_sample"]:
            kind += " (shown, not fitted)"
        out.append(
            {
                "metric": METRIC_LABELS[x["metric"]],
                "period": x["period"],
                "kind": kind,
                "observed": f"{x['observed']:,.1f}{flag}",
                "median": f"{x['sim_p50']:,.1f}",
                "p5": f"{x['sim_p5']:,.1f}",
                "p95": f"{x['sim_p95']:,.1f}",
                "error": f"{x['rel_error']:+.1%}",
            }
        )
    return out


def _errors(summary: dict[str, Any]) -> list[dict[str, str]]:
    """The largest and median absolute errors per kind of year, one line each."""
    lines = []
    for kind, label in (
        ("in_sample", "in sample"),
        ("leave-one-year-out", "left out of the fit"),
        ("aside", "kept aside"),
    ):
        parts = [
            f"{METRIC_LABELS[m]} {v['max_abs_rel_error']:.1%} "
            f"(median {v['median_abs_rel_error']:.1%})"
            for m, v in summary.get(kind, {}).items()
        ]
        if parts:
            lines.append({"label": label, "text": "; ".join(parts)})
    return lines


def _priority_text(entry: dict[str, Any]) -> str:
    """What a policy entry set: broad, or narrow with the base's values."""
    if entry["scope"] == "broad":
        return "broad: every group eligible"
    values = ", ".join(f"{k} {v:g}" for k, v in entry.get("priority", {}).items())
    return f"narrow: policy.priority {values}" if values else "narrow: every group eligible"


def _policy_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each simulated year's priority policy input (from backtest.json's ``policy``) and
    its fitted residual posture (from the fit; none for a year never fitted)."""
    years = doc.get("policy", {}).get("years", {})
    fit = doc.get("calibration", {}).get("years", {})
    out = []
    for period in sorted(years):
        posture = fit.get(period, {}).get("posture")
        out.append(
            {
                "period": period,
                "entries": [
                    {
                        "from": e["from"],
                        "scope": _priority_text(e),
                        "document": e["document"],
                        "publisher": e["publisher"],
                        "date": e["date"] + (f"; {e['note']}" if e.get("note") else ""),
                    }
                    for e in years[period]
                ],
                "posture": "not fitted" if posture is None else f"{posture:.3f}",
            }
        )
    return out


SAMPLE_NOTES = {
    "input": "input (taken from the record)",
    "in sample": "in sample",
    "out of sample": "out of sample",
}


def _court_number(value: float, per_day: bool) -> str:
    """A court figure: a count of cases, or a rate a day to one decimal."""
    return f"{value:,.1f} a day" if per_day else f"{value:,.0f}"


def _court_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The court comparisons, formatted: figure, record and its source, the run, error."""
    out = []
    for r in rows:
        per_day = r["measure"].startswith("per day")
        out.append(
            {
                "label": r["label"],
                "measure": r["measure"],
                "record": _court_number(r["record"], per_day),
                "published_as": r["published_as"],
                "source": r["source"],
                "confidence": r["confidence"].split(" (")[0],
                "median": _court_number(r["sim_p50"], per_day),
                "range": f"{_court_number(r['sim_p5'], per_day)} – "
                f"{_court_number(r['sim_p95'], per_day)}",
                "error": f"{r['rel_error']:+.1%}",
                "sample": SAMPLE_NOTES.get(r["sample"], r["sample"]),
                "why": r["why"],
            }
        )
    return out


def _pace_text(pace: dict[str, float]) -> str:
    """Completions against receipts in one sentence: run, record, the record's spread."""
    sim = pace["sim_per_day_p50"]
    verb = "exceed" if sim > 0 else "fall short of"
    return (
        f"Simulated completions {verb} receipts by {abs(sim):,.0f} a day (median; in "
        f"{pace['share_of_reps_completions_exceed_receipts']:.0%} of replications they "
        f"exceed them); the record's 9-month figure is {pace['record_per_day']:,.0f} a day. "
        f"The record's other figures imply {pace['record_backlog_fall_per_day']:,.0f} a day "
        f"(the fall between TRAC's two backlog counts) and "
        f"{pace['record_fy2025_totals_per_day']:,.0f} a day (FY2025 completions less receipts, "
        "low confidence)."
    )


def _courts(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """backtest.json's ``courts`` for the page (None: a document written before it)."""
    if section is None:
        return None
    if "skipped" in section:
        return {"skipped": section["skipped"]}
    return {
        "skipped": None,
        "scenario": section["scenario"],
        "start": section["start"],
        "reps": section["reps"],
        "rows": _court_rows(section["rows"]),
        "inputs": [
            {
                "parameter": i["parameter"],
                "value": f"{i['value']:,.0f}"
                if float(i["value"]).is_integer()
                else f"{i['value']:g}",
                "record": f"{i['record']:,.0f}",
                "relation": i["relation"],
            }
            for i in section["inputs"]
        ],
        "pace": _pace_text(section["pace"]),
        "notes": section["notes"],
    }


def render_backtest(doc: dict[str, Any]) -> str:
    """The backtest page as one HTML string."""
    fig = _figure(doc["rows"]).to_html(
        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )
    return render_page(
        "backtest.html",
        version=doc["atlarge_version"],
        reps=doc["reps"],
        seed=doc["seed"],
        errors=_errors(doc["summary"]),
        policy=_policy_rows(doc),
        figure_div=fig,
        rows=_rows_table(doc["rows"]),
        courts=_courts(doc.get("courts")),
    )

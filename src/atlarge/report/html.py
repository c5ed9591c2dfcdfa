"""The self-contained HTML report of a run: what was run, KPIs, charts with bands, every
parameter and every setting.

It says what was run, not what the file says: overrides (``--set``, another horizon) are
listed in a box at the top with the file's values, and the title counts them; a schedule
is shown as a schedule; fitted values as fitted; and a panel of a mechanism that is off
(regime, Guard, parameter draws) is not shown. Plotly's JavaScript is embedded once, so
the file opens offline.

This module builds plain data (lists of dicts of strings) from the run; the markup is in
``templates/report.html``, which escapes every value it is given.
"""

from __future__ import annotations

from typing import Any

from atlarge.analysis.kpis import shown_kpis
from atlarge.model import ModelOutput
from atlarge.report.charts import MECHANISM_PATHS, build_charts
from atlarge.report.format import (
    format_value,
    param_value,
    plain_number,
    plural,
    setting_value,
)
from atlarge.report.pages import render_page

Row = dict[str, Any]


def _kpi_rows(summary: dict[str, Any]) -> list[Row]:
    """One row per KPI, labelled and defined by the registry; a KPI of a mechanism the
    run has off is left out."""
    rows = []
    for key, kpi in shown_kpis(summary).items():
        s = summary["kpis"][key]
        extra = ""
        if "share_reached" in s:
            extra = f" (in {s['share_reached']:.0%} of replications)"
        rows.append(
            {
                "key": key,
                "label": kpi.label + extra,
                "definition": kpi.definition,
                "median": format_value(key, s["p50"]),
                "p5": format_value(key, s["p5"]),
                "p95": format_value(key, s["p95"]),
                "mean": format_value(key, s["mean"]),
            }
        )
    return rows


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


def _drivers(summary: dict[str, Any], drivers: tuple[str, ...], start: str) -> list[Row]:
    """What drives a chart, in groups (assumptions first): each a title and its entries."""
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
    groups = [
        {"title": title, "entries": [{"path": p["path"], "value": _value(p, start)} for p in rows]}
        for title, rows in kinds
        if rows
    ]
    if settings:
        entries = [
            {"path": s["path"], "value": setting_value(s["path"], s["value"])} for s in settings
        ]
        groups.append({"title": "Settings", "entries": entries})
    return groups


def _kind(p: dict[str, Any]) -> str:
    """Which badge a parameter wears: fitted, assumption or sourced."""
    if p.get("fitted"):
        return "fitted"
    return "assumption" if p["assumption"] else "sourced"


def _param_rows(summary: dict[str, Any], start: str) -> list[Row]:
    overridden = summary.get("overrides") or {}
    idle = _idle_prefixes(summary)
    rows = []
    for p in summary["parameters"]:
        rng = ""
        if p["range"]:
            rng = f"{plain_number(p['range'][0])} – {plain_number(p['range'][1])}"
        rows.append(
            {
                "path": p["path"],
                "value": _value(p, start, unit=False),
                "unit": p["unit"],
                "range": rng,
                "kind": _kind(p),
                "changed": p["path"] in overridden,
                "idle": any(_matches(p["path"], i) for i in idle),
                "source": p["source"] or "",
                "rationale": p["rationale"] or "",
                "fitted_on": ", ".join(p["fitted"]["fitted_on"]) if p.get("fitted") else "",
            }
        )
    return rows


def _setting_rows(summary: dict[str, Any]) -> list[Row]:
    overridden = summary.get("overrides") or {}
    return [
        {
            "path": s["path"],
            "value": setting_value(s["path"], s["value"]),
            "changed": s["path"] in overridden,
            "description": s["description"] or "",
        }
        for s in summary.get("settings", [])
    ]


def _changes(summary: dict[str, Any], start: str) -> list[Row]:
    """What this run changed from the file: each override, as run and as in the file."""
    params = {p["path"]: p for p in summary["parameters"]}
    rows = []
    for path, o in (summary.get("overrides") or {}).items():
        p = params.get(path)
        if p is not None:
            run = param_value(o["value"], o.get("schedule"), p["unit"], start)
            was = param_value(o["file_value"], o.get("file_schedule"), p["unit"], start)
        else:
            run = setting_value(path, o["value"])
            was = setting_value(path, o["file_value"])
        rows.append({"path": path, "run": run, "was": was})
    return rows


def _title(name: str, summary: dict[str, Any]) -> str:
    n = len(summary.get("overrides") or {})
    return f"{name}, with {plural(n, 'change')}" if n else name


def _amount(value: float | None, unit: str) -> str:
    """An estimate of output forgone, rounded as an estimate from averages should be:
    whole units ('1,146'), dollars in millions ('$12.3m'), below 10 to one decimal."""
    if value is None:
        return "n/a"
    if unit == "USD":
        return f"${value / 1e6:,.1f}m"
    return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"


def _home_rows(summary: dict[str, Any]) -> list[Row]:
    """The panel "What home missions lose": one row per agency and measure, with the
    assumptions behind it (none when the run takes no agent-days from another mission)."""
    rows = []
    for r in summary.get("home_output_forgone") or []:
        f, unit = r["forgone"], r["unit"]
        loss, lag = r["marginal_loss"], r["lag_days"]
        at = r.get("forgone_at_loss_range")
        rows.append(
            {
                "agency": r["agency"],
                "measure": r["label"],
                "unit": unit,
                "median": _amount(f["p50"], unit),
                "band": f"{_amount(f['p5'], unit)} – {_amount(f['p95'], unit)}",
                "at_range": f"{_amount(at[0], unit)} – {_amount(at[1], unit)}" if at else "",
                "per_agent_day": plain_number(round(r["per_agent_day"], 6)),
                "loss": f"{loss['value']:g} (range {loss['range'][0]:g}–{loss['range'][1]:g})",
                "loss_why": loss["rationale"],
                "lag": f"{lag['value']:g} days (range {lag['range'][0]:g}–{lag['range'][1]:g})",
                "average_from": f"{plain_number(r['annual_output'])} a year over "
                f"{plain_number(r['agents'])} agents x {r['working_days_per_year']:g} days. "
                f"Output: {r['source']}. Agents: {r['agents_source']}",
            }
        )
    return rows


def _office_rows(out: ModelOutput) -> list[Row]:
    off = out.inputs.offices
    return [
        {"name": n, "code": c, "population_weight": f"{pw:.2%}", "bed_weight": f"{bw:.2%}"}
        for c, n, pw, bw in zip(
            off.codes, off.names, off.population_weight, off.bed_weight, strict=True
        )
    ]


def _band_kind(summary: dict[str, Any]) -> dict[str, str]:
    """What the bands contain, as a lead-in and the sentence that follows it."""
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
        return {
            "lead": "They contain both kinds of uncertainty:",
            "text": f"{plural(u['draws'], 'draw')} of the "
            f"{plural(len(u['drawn_parameters']), 'ranged parameter')} (uniform over each "
            f"range, triangular where stated), times {each}.",
        }
    return {
        "lead": "They contain stochastic uncertainty only:",
        "text": "every parameter is held at its stated value.",
    }


def _chart_sections(out: ModelOutput, summary: dict[str, Any], start: str) -> list[Row]:
    return [
        {
            "key": ch.key,
            "title": ch.title,
            "div": ch.figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"displaylogo": False, "responsive": True},
            ),
            "note": ch.note,
            "drivers": _drivers(summary, ch.drivers, start),
        }
        for ch in build_charts(out)
    ]


def render_report(out: ModelOutput, summary: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    sc = out.scenario
    params = summary["parameters"]
    start = sc.start_date.isoformat()
    return render_page(
        "report.html",
        version=summary["atlarge_version"],
        title=_title(sc.name, summary),
        description=sc.description,
        n_changes=len(summary.get("overrides") or {}),
        sha256=summary["scenario"]["sha256"][:16],
        extends=summary.get("extends") or [],
        start=start,
        days=summary["days"],
        reps=summary["reps"],
        seed=summary["seed"],
        changes=_changes(summary, start),
        warnings=summary.get("warnings") or [],
        bands=_band_kind(summary),
        n_assumptions=sum(p["assumption"] for p in params),
        n_parameters=len(params),
        kpis=_kpi_rows(summary),
        home=_home_rows(summary),
        home_definition=summary.get("home_output_forgone_definition", ""),
        charts=_chart_sections(out, summary, start),
        parameters=_param_rows(summary, start),
        settings=_setting_rows(summary),
        office_notes=out.inputs.offices.notes,
        offices=_office_rows(out),
    )

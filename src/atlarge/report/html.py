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

from collections.abc import Sequence
from typing import Any

from atlarge.analysis.kpis import shown_kpis
from atlarge.model import ModelOutput
from atlarge.report.band_draws import band_draws
from atlarge.report.brief import TITLE as BRIEF_TITLE
from atlarge.report.brief import brief_paragraphs
from atlarge.report.charts import MECHANISM_PATHS, Chart, budget_chart, build_charts
from atlarge.report.diff_view import change_rows, section_rows
from atlarge.report.exports import FILES, csv_data_uri, kpis_csv, offices_csv
from atlarge.report.format import (
    format_as,
    format_value,
    param_value,
    plain_number,
    plural,
    setting_value,
)
from atlarge.report.pages import render_page
from atlarge.scenario.diff import ParentChanges

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


def override_rows(summary: dict[str, Any], start: str) -> list[Row]:
    """What this run changed from the file: each override, as run and as in the file (the
    report's table and the docs gallery's list)."""
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


def home_band_text(summary: dict[str, Any]) -> str:
    """What the band holds: without draws the assumptions stay at their values, so a
    narrow band is not certainty about them (the loss range column says how much they move)."""
    drawn = any(
        p.startswith("home_missions.")
        for p in (summary.get("uncertainty") or {}).get("drawn_parameters") or []
    )
    if drawn:
        return (
            "The 5th–95th percentile band spans replications and parameter draws: the "
            "agencies' agent-days and the drawn marginal losses and lags."
        )
    return (
        "The 5th–95th percentile band is the spread of the agencies' agent-days over "
        "replications; the marginal loss and lag are held at their values (the column "
        "'at the loss range' gives the median at the low and high marginal loss)."
    )


def home_rows(summary: dict[str, Any]) -> list[Row]:
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


LARGEST_PURPOSES = 3
"""Purposes named per fiscal year: enough to say where the money goes, few enough to read."""


def _usd(value: float | None) -> str:
    return format_as("usd", value)


def _usd_band(s: dict[str, Any]) -> str:
    return f"{_usd(s['p5'])} – {_usd(s['p95'])}"


def _count_band(s: dict[str, Any]) -> str:
    return f"{format_as('count', s['p5'])} – {format_as('count', s['p95'])}"


def _purpose_label(summary: dict[str, Any], key: str) -> str:
    return (summary.get("purpose_labels") or {}).get(key, key.replace("_", " "))


def fiscal_year_rows(summary: dict[str, Any]) -> list[Row]:
    """The table "Cost by fiscal year": each year's simulated days, its cost and the few
    purposes that take most of it, so a year the horizon covers in part is not read as a
    whole year's spending."""
    rows = []
    for r in summary.get("cost_by_fiscal_year") or []:
        parts = sorted(r["by_purpose"].items(), key=lambda kv: -kv[1])[:LARGEST_PURPOSES]
        rows.append(
            {
                "fiscal_year": f"FY{r['fiscal_year']}",
                "days": plain_number(r["days"]),
                "median": _usd(r["cost_usd"]["p50"]),
                "band": _usd_band(r["cost_usd"]),
                "largest": "; ".join(
                    f"{_purpose_label(summary, k)} {_usd(v)}" for k, v in parts if v > 0
                ),
            }
        )
    return rows


def runway_text(row: dict[str, Any]) -> str:
    """When a line is spent, in words: the median date or "beyond horizon", with the share
    of replications in which it lasts past the horizon (a median alone hides a split)."""
    share = row["beyond_horizon_share"]
    if row["date_p50"] is None:
        return f"beyond horizon (in {share:.0%} of replications)"
    if share > 0:
        return f"{row['date_p50']} (beyond the horizon in {share:.0%} of replications)"
    return str(row["date_p50"])


def funding_line_rows(summary: dict[str, Any]) -> list[Row]:
    """The table "Funding lines" (the report's, and the explorer's through the API): each
    line's purposes by label, amount, what it paid in the horizon and its runway."""
    return [
        {
            "line": r["line"],
            "label": r["label"],
            "purposes": ", ".join(_purpose_label(summary, p) for p in r["purposes"]),
            "available": f"{r['available_from']} to {r['available_until']}",
            "amount": _usd(r["amount_usd"]["p50"]),
            "spent": _usd(r["spent_usd"]["p50"]),
            "spent_band": _usd_band(r["spent_usd"]),
            "runway": runway_text(r),
        }
        for r in summary.get("funding_runway") or []
    ]


RUNWAY_NOTE = (
    "Each day's cost of a purpose is charged to the first open line that pays for it and "
    "has money left, in the order the scenario lists the lines. A line's date is the median "
    'over replications of the day its money is spent; "beyond horizon" when at least half '
    "the replications do not spend it within the simulated days."
)
UNFUNDED_NOTE = (
    "Spending on a purpose that no open line could pay for, over the horizon (shown when "
    "its median is above zero)."
)
FISCAL_NOTE = (
    "What the simulated operation spends in each US federal fiscal year (1 October to 30 "
    "September), all purposes. A year the horizon covers only in part counts only its "
    "simulated days."
)

ON_EXHAUSTED = {
    "overspend": "When a line is spent (budget.on_exhausted = overspend), spending goes on: "
    "what no open line can pay is counted below as not paid by any line.",
    "stop": "When a line is spent (budget.on_exhausted = stop), nothing is spent that no line "
    "can pay: staff days, beds and removal seats are cut to what the lines still hold, and "
    "people detained beyond the beds paid for are released.",
}


def _words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _unfunded(summary: dict[str, Any]) -> dict[str, Any]:
    """What no line paid (purposes with a median above 0), and the purposes charged to no
    line at all, in words."""
    u = summary.get("unfunded_usd") or {}
    rows = [
        {"purpose": _purpose_label(summary, k), "median": _usd(s["p50"]), "band": _usd_band(s)}
        for k, s in (u.get("against_lines") or {}).items()
        if (s["p50"] or 0) > 0
    ]
    outside = [_purpose_label(summary, k) for k in u.get("not_against_a_line") or []]
    text = ""
    if outside:
        verb = "is" if len(outside) == 1 else "are"
        text = (
            f"{_words(outside)} {verb} charged to no funding line in this scenario (paid "
            "from other appropriations): they count in the cost by fiscal year, not in the "
            "lines' spending."
        )
    return {"rows": rows, "not_against": text}


def _capacity(summary: dict[str, Any]) -> dict[str, Any] | None:
    """What procurement and hiring bought: beds by kind online on the last day, hires and
    how many of them are on duty (and worth in officers) at the end."""
    c = summary.get("capacity_bought")
    if not c:
        return None
    beds = [
        {
            "kind": b["label"],
            "median": format_as("count", b["online_end"]["p50"]),
            "band": _count_band(b["online_end"]),
        }
        for b in c.get("beds_by_kind") or []
    ]
    hiring = None
    if c.get("hiring"):
        h = c["hiring"]
        agencies = {a["key"]: a["agency"] for a in summary.get("by_agency") or []}
        hiring = [
            {
                "what": label,
                "median": format_as("count", h[key]["p50"]),
                "band": _count_band(h[key]),
            }
            for key, label in (
                ("hired", "Hired over the horizon (academy entrants)"),
                ("on_duty_end", "On duty at the end (past the academy, not left)"),
                ("effective_end", "Officer-equivalents at the end (new officers ramp up)"),
            )
        ]
        hiring = {"agency": agencies.get(h["agency"], h["agency"]), "rows": hiring}
    return {"beds": beds, "hiring": hiring}


def _figure(ch: Chart, summary: dict[str, Any], start: str) -> Row:
    return {
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


def _budget(out: ModelOutput, summary: dict[str, Any], start: str) -> dict[str, Any] | None:
    """The section "Budget", only when the run has funding lines."""
    if not (summary.get("mechanisms") or {}).get("budget"):
        return None
    chart = budget_chart(out)
    return {
        "lines": funding_line_rows(summary),
        "chart": _figure(chart, summary, start) if chart is not None else None,
        "note": RUNWAY_NOTE,
        "unfunded_note": UNFUNDED_NOTE,
        "on_exhausted": ON_EXHAUSTED.get(summary.get("on_exhausted", ""), ""),
        "unfunded": _unfunded(summary),
        "capacity": _capacity(summary),
    }


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
        drawn = band_draws(summary)
        ranged = (
            f"{plural(len(drawn.independent), 'ranged parameter')} (uniform over each range, "
            "triangular where stated, each drawn independently)"
        )
        joint = (
            f"the posterior of the {plural(len(drawn.joint), 'fitted parameter')} (drawn jointly)"
        )
        what = {
            "ranged": f"the {ranged}",
            "posterior_held": f"{joint} (every other parameter held at its value)",
            "posterior_drawn": f"{joint} and of the {ranged}",
        }[drawn.case]
        return {
            "lead": "They contain both kinds of uncertainty:",
            "text": f"{plural(u['draws'], 'draw')} of {what}, times {each}.",
        }
    return {
        "lead": "They contain stochastic uncertainty only:",
        "text": "every parameter is held at its stated value.",
    }


def _chart_sections(out: ModelOutput, summary: dict[str, Any], start: str) -> list[Row]:
    return [_figure(ch, summary, start) for ch in build_charts(out)]


DOWNLOADS_NOTE = (
    "The tables hold the numbers of summary.json in full, each row with the kind of its "
    "band; the field-office table has every office's figures."
)


def _downloads(summary: dict[str, Any], exports: Sequence[str]) -> list[Row]:
    """The report's download links: the KPI and office tables as CSV inside the file (the
    report stays one file), and the run folder's XLSX beside it when the run wrote one."""
    links = [
        {"href": csv_data_uri(kpis_csv(summary)), "file": "kpis.csv", "text": "KPIs (CSV)"},
        {
            "href": csv_data_uri(offices_csv(summary)),
            "file": "offices.csv",
            "text": "field offices (CSV)",
        },
    ]
    if "xlsx" in exports:
        name = FILES["xlsx"][0]
        links.append({"href": name, "file": name, "text": "both tables (XLSX, beside this report)"})
    return links


def _from_parent(parent: ParentChanges | None) -> dict[str, Any] | None:
    """The "Changes from <parent>" table: each path the file changes from what it
    extends, the parent's value and this one's, unit and this side's source."""
    if parent is None:
        return None
    rows = []
    for r in change_rows(parent.diff, "the parent", "this scenario") if parent.diff else []:
        rows.append(r | {"source": r["source_b"] or r["source_a"]})
    sections = section_rows(parent.diff, "the parent", "this scenario") if parent.diff else []
    return {"name": parent.parent, "rows": rows, "sections": sections, "problem": parent.problem}


def render_report(
    out: ModelOutput,
    summary: dict[str, Any],
    exports: Sequence[str] = (),
    sensitivity: dict[str, Any] | None = None,
    parent: ParentChanges | None = None,
) -> str:
    """The whole report as one HTML string, "In brief" at the top (``exports``: the formats
    the run folder also holds, :func:`~atlarge.report.exports.export_formats`; the report
    links an XLSX there; ``sensitivity``: a sensitivity.json of the scenario, for what
    drives the results, see report/brief.py; ``parent``: what the scenario file changes
    from the scenario it extends, :func:`atlarge.scenario.diff.changes_from_parent`, shown
    as a table)."""
    sc = out.scenario
    params = summary["parameters"]
    start = sc.start_date.isoformat()
    return render_page(
        "report.html",
        version=summary["atlarge_version"],
        title=_title(sc.name, summary),
        brief_title=BRIEF_TITLE,
        brief=brief_paragraphs(summary, sensitivity),
        description=sc.description,
        n_changes=len(summary.get("overrides") or {}),
        sha256=summary["scenario"]["sha256"][:16],
        extends=summary.get("extends") or [],
        start=start,
        days=summary["days"],
        reps=summary["reps"],
        seed=summary["seed"],
        changes=override_rows(summary, start),
        from_parent=_from_parent(parent),
        warnings=summary.get("warnings") or [],
        bands=_band_kind(summary),
        n_assumptions=sum(p["assumption"] for p in params),
        n_parameters=len(params),
        kpis=_kpi_rows(summary),
        downloads=_downloads(summary, exports),
        downloads_note=DOWNLOADS_NOTE,
        home=home_rows(summary),
        home_band=home_band_text(summary),
        home_definition=summary.get("home_output_forgone_definition", ""),
        fiscal_years=fiscal_year_rows(summary),
        fiscal_note=FISCAL_NOTE,
        budget=_budget(out, summary, start),
        charts=_chart_sections(out, summary, start),
        parameters=_param_rows(summary, start),
        settings=_setting_rows(summary),
        office_notes=out.inputs.offices.notes,
        offices=_office_rows(out),
    )

"""Plotly figures for the run report, each with the parameters that drive it.

Bands are percentiles over replications: the light band spans p5-p95, the
dark band p25-p75, the line is the median. Every axis that carries counts,
money or shares starts at 0 (no figure marks an axis break), so a rise from
38,000 to 41,500 looks like the 9% it is.

A chart, a part of a chart (a subplot, a cost stage, a sentence of its note)
that shows a switchable mechanism declares it in ``needs`` and is left out
when the run has the mechanism off (see :func:`atlarge.analysis.summary.mechanisms`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from atlarge.analysis import KPIS, bands, trailing_mean
from atlarge.analysis.binding import CONSTRAINTS, MAJORITY, binding, binding_text
from atlarge.analysis.budget import ledger, line_amounts, line_series
from atlarge.analysis.summary import mechanisms
from atlarge.model import COST_STAGES, ModelOutput
from atlarge.model.measures import MEASURES

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
LINE_PALETTE = (*PALETTE, "#e377c2", "#7f7f7f", "#bcbd22")
"""Funding lines: a scenario lists eight or more, and two lines in one colour would read
as one."""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: go.Figure
    drivers: tuple[str, ...]  # parameter and setting paths (prefixes) that drive it
    note: str = ""
    needs: tuple[str, ...] = ()  # mechanisms it shows; dropped when one is off


MECHANISM_PATHS: dict[str, str] = {
    "regime": "regime",
    "national_guard": "support.national_guard",
    "atd": "atd",
    "custodial": "custodial",
    "collateral": "collateral",
    "departures": "departures",
    "limited_countries": "transport.limited_countries",
    "mandatory_detention": "policy.mandatory_detention_share",
    "courts": "courts",
    "expedited_removal": "policy.expedited_removal_share",
}
"""Where each mechanism's parameters and settings live: not shown as drivers when it is off."""

CHANNEL_MEASURES = ("arrests_custodial", "arrests_at_large", "arrests_collateral")
"""The daily measures of the three arrest channels, in the order they are drawn."""

STAGE_NEEDS: dict[str, str] = {"national_guard": "national_guard", "atd": "atd"}
"""Cost stages that exist only with a mechanism on."""


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _band(
    fig: go.Figure,
    x,
    series: np.ndarray,
    name: str,
    color: str,
    smooth: int = 1,
    median_name: str | None = None,
) -> None:
    if smooth > 1:
        series = trailing_mean(series, smooth)
    b = bands(series)
    band_traces(fig, x, b, color=color, group=name, band_name=name,
                median_name=median_name or f"{name} (median)",
                levels=(("p5", "p95", 0.15), ("p25", "p75", 0.3)), band_legend=False)  # fmt: skip


def band_traces(
    fig: go.Figure,
    x,
    b: dict[str, np.ndarray],
    *,
    color: str,
    group: str,
    band_name: str,
    median_name: str,
    levels: tuple[tuple[str, str, float], ...] = (("p5", "p95", 0.2),),
    band_legend: bool = True,
) -> None:
    """Percentile bands (``levels``: lower, upper, fill opacity) and the median line of
    ``b`` in one legend group: the one drawing of a band for the report, ``atlarge
    compare`` and the docs' gallery."""
    edge = {"x": x, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
            "legendgroup": group}  # fmt: skip
    legend = {} if band_legend else {"showlegend": False}
    for lo, hi, alpha in levels:
        # The lower edge fills up to the upper edge drawn just before it.
        fig.add_trace(go.Scatter(y=b[hi], showlegend=False, **edge))
        fig.add_trace(go.Scatter(y=b[lo], fill="tonexty", fillcolor=_rgba(color, alpha),
                                 name=f"{band_name} {lo}-{hi}", **legend, **edge))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=b["p50"], mode="lines", line={"color": color, "width": 2},
                             name=median_name, legendgroup=group))  # fmt: skip


def _measure_band(fig: go.Figure, x, out: ModelOutput, key: str, color: str) -> None:
    """The national band of a daily measure, named and smoothed as the registry says."""
    m = MEASURES[key]
    _band(fig, x, out.national(key), m.label, color, smooth=m.smooth_days)


def _smoothed(title: str, key: str) -> str:
    """A chart title that says when its measure is drawn as a trailing average."""
    days = MEASURES[key].smooth_days
    return f"{title} (trailing {days}-day average)" if days > 1 else title


def _reference_line(fig: go.Figure, x, y, name: str, dash: str = "dash") -> None:
    """A black line for what the band is compared with: target, beds, seats."""
    fig.add_trace(
        go.Scatter(x=x, y=y, mode="lines", name=name, line={"color": "black", "dash": dash})
    )


def _layout(fig: go.Figure, y_title: str, value_axis: str = "y") -> go.Figure:
    """Common layout; the value axis (y, or x for horizontal bars) starts at 0."""
    if value_axis == "y":
        fig.update_yaxes(rangemode="tozero")
    else:
        fig.update_xaxes(rangemode="tozero")
    fig.update_layout(
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
    )
    return fig


COURT_DRIVERS = (
    "courts.judges",
    "courts.completions_per_judge_day",
    "courts.docket_priority",
    "courts.detained_share",
)
"""What sets the judges' daily capacity and how it is split over the two dockets."""


def _court_charts(out: ModelOutput, x) -> list[Chart]:
    """The court stage: the non-detained backlog, the detained docket's wait for a judge,
    and completions against the judges' capacity (all need courts)."""
    inp = out.inputs
    fig = go.Figure()
    _measure_band(fig, x, out, "court_backlog", PALETTE[3])
    backlog = Chart(
        "court-backlog",
        MEASURES["court_backlog"].label,
        _layout(fig, MEASURES["court_backlog"].unit),
        (
            *COURT_DRIVERS,
            "courts.initial_backlog",
            "courts.receipts_per_day",
            "dispositions.*.share",
            "detention.overflow",
        ),
        note="Cases pending before immigration judges for people not detained: new cases "
        "(from outside the operation, releases whose case goes on and releases for lack of "
        "beds) less the completions the judges have left after the detained docket.",
        needs=("courts",),
    )

    fig = go.Figure()
    _measure_band(fig, x, out, "court_detained_waiting", PALETTE[1])
    docket = Chart(
        "court-docket",
        f"{MEASURES['court_detained_waiting'].label} (the detained docket)",
        _layout(fig, MEASURES["court_detained_waiting"].unit),
        (
            *COURT_DRIVERS,
            "dispositions.*.share",
            "dispositions.*.mean_days",
            "policy.mandatory_detention_share",
            "policy.expedited_removal_share",
        ),
        note="Detained persons whose case is ready for a judge's decision and waits for it; "
        "they hold beds meanwhile. Above 0 only when the judges' capacity for the detained "
        "docket is used up.",
        needs=("courts",),
    )

    fig = go.Figure()
    _measure_band(fig, x, out, "court_completions", PALETTE[2])
    _measure_band(fig, x, out, "court_detained_decisions", PALETTE[1])
    _reference_line(fig, x, inp.court_capacity, "Judges' capacity", "dot")
    completions = Chart(
        "court-completions",
        _smoothed("Court completions per day against the judges' capacity", "court_completions"),
        _layout(fig, MEASURES["court_completions"].unit),
        (*COURT_DRIVERS, "courts.initial_backlog", "courts.receipts_per_day"),
        note="Judges' capacity: judges × completions per judge-day. Detained decisions are "
        "part of the completions.",
        needs=("courts",),
    )
    return [backlog, docket, completions]


def _binding_chart(out: ModelOutput, x) -> Chart:
    """The share of replications in which each capacity is full, day by day, with the
    sentence that says which binds first (analysis/binding.py)."""
    b = binding(out)
    fig = go.Figure()
    for j, (key, share) in enumerate(b.share.items()):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=100 * share,
                mode="lines",
                line={"color": PALETTE[j % len(PALETTE)], "width": 2},
                name=CONSTRAINTS[key].label,
            )
        )
    _reference_line(fig, x, np.full(len(x), 100 * MAJORITY), "Most replications", "dot")
    _layout(fig, "% of replications")
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    defined = "; ".join(
        f"{CONSTRAINTS[k].label.lower()}: {CONSTRAINTS[k].definition[0].lower()}"
        f"{CONSTRAINTS[k].definition[1:].rstrip('.')}"
        for k in b.share
    )
    return Chart(
        "binding",
        "Which capacity binds: share of replications in which each is full",
        fig,
        (
            "processing.capacity_per_day",
            "support.national_guard.processing_per_troop_day",
            "detention.beds",
            "detention.holding_capacity",
            "detention.overflow",
            *COURT_DRIVERS,
            "transport.seats_per_day",
            "transport.flights_per_day",
            "transport.seats_per_flight",
            "transport.land_removals_per_day",
            "support.national_guard.transport_seats_per_troop_day",
            "target.arrests_per_day",
        ),
        note=f"{binding_text(b, [str(d) for d in x])} What full means — {defined}.",
    )


BUDGET_DRIVERS = (
    "budget.lines.*.amount",
    "budget.lines.*.available_from",
    "budget.lines.*.available_until",
    "budget.on_exhausted",
    "procurement",
    "hiring",
)
"""Where the money lines and the plans that draw on them live."""


def budget_chart(out: ModelOutput) -> Chart | None:
    """Cumulative spending against each funding line, p5-p95 and p25-p75 bands and the
    median, with the line's amount dashed in the same colour: where the median meets the
    dash the line is spent. None without a ``[budget]`` (there are no lines to draw)."""
    sc = out.scenario
    if sc.budget is None:
        return None
    x = out.inputs.dates.astype("datetime64[D]").astype(str)
    series = line_series(out, ledger(out))
    amounts = np.median(line_amounts(out), axis=0)
    fig = go.Figure()
    for j, (key, cum) in enumerate(series.items()):
        label, color = sc.budget.lines[key].label, LINE_PALETTE[j % len(LINE_PALETTE)]
        _band(fig, x, cum, label, color, median_name=label)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.full(len(x), amounts[j]),
                mode="lines",
                line={"color": color, "dash": "dash", "width": 1},
                name=f"{label}: amount",
                legendgroup=label,
                showlegend=False,
            )
        )
    _layout(fig, "USD spent (cumulative)")
    fig.update_yaxes(tickprefix="$", exponentformat="B")
    fig.update_layout(height=460)
    return Chart(
        "budget",
        "Cumulative spending against each funding line",
        fig,
        BUDGET_DRIVERS,
        note="Each line's spending from the start of the run (band over replications, line: "
        "median); the dashed line in the same colour is the line's amount. Click a name in "
        "the legend to hide or show that line.",
        needs=("budget",),
    )


def build_charts(out: ModelOutput) -> list[Chart]:
    """Every chart of the report that the run's mechanisms call for."""
    on = mechanisms(out.scenario, uncertainty=out.uncertainty)
    return [ch for ch in _all_charts(out, on) if all(on.get(m, False) for m in ch.needs)]


def _all_charts(out: ModelOutput, on: dict[str, bool]) -> list[Chart]:
    inp = out.inputs
    x = inp.dates.astype("datetime64[D]").astype(str)
    charts: list[Chart] = []

    fig = go.Figure()
    _measure_band(fig, x, out, "arrests", PALETTE[0])
    _reference_line(fig, x, inp.target_national, "Target", "dash")
    charts.append(
        Chart(
            "arrests",
            f"{MEASURES['arrests'].label} against the target",
            _layout(fig, MEASURES["arrests"].unit),
            (
                "target.arrests_per_day",
                "workforce.*.headcount",
                "workforce.*.relative_productivity",
                "workforce.*.ramp_days",
                "groups.*.arrests_per_agent_day",
                "groups.*.initial_pool",
                "targeting",
                "regime.enabled",
                "regime.productivity_dip",
            ),
        )
    )

    fig = go.Figure()
    for j, key in enumerate(CHANNEL_MEASURES):
        _measure_band(fig, x, out, key, PALETTE[j])
    charts.append(
        Chart(
            "channels",
            _smoothed("Arrests per day by channel", "arrests_at_large"),
            _layout(fig, MEASURES["arrests"].unit),
            (
                "custodial",
                "collateral",
                "policy.priority",
                "workforce.*.custodial_share",
                "workforce.*.headcount",
                "groups.*.arrests_per_agent_day",
            ),
            note="Custodial: handed over from jails and prisons; at large: found by teams "
            "searching the community; collateral: encountered during at-large operations "
            "without being the target.",
            needs=("arrest_channels",),
        )
    )

    fig = go.Figure()
    _measure_band(fig, x, out, "arrests_forgone_capacity", PALETTE[1])
    _measure_band(fig, x, out, "border_refused", PALETTE[5])
    charts.append(
        Chart(
            "forgone",
            _smoothed(
                "Arrests forgone and border transfers refused for lack of room",
                "arrests_forgone_capacity",
            ),
            _layout(fig, MEASURES["arrests_forgone_capacity"].unit),
            ("detention.beds", "detention.holding_capacity", "detention.overflow"),
            note="Under a no-release policy (detention.overflow = hold) teams arrest only "
            "whom a bed or short-term holding can take; the others stay in their pools.",
            needs=("holding",),
        )
    )

    fig = go.Figure()
    _measure_band(fig, x, out, "detained", PALETTE[1])
    if on.get("holding", False):
        _measure_band(fig, x, out, "held", PALETTE[4])
    if on.get("limited_countries", False):
        _measure_band(fig, x, out, "limited_queue", PALETTE[3])
    _reference_line(fig, x, inp.beds_national, "Beds", "dash")
    charts.append(
        Chart(
            "detention",
            f"{MEASURES['detained'].label} against bed capacity",
            _layout(fig, MEASURES["detained"].unit),
            (
                "detention",
                "dispositions.*.share",
                "dispositions.*.mean_days",
                "processing.capacity_per_day",
                "support.national_guard.processing_per_troop_day",
                "inflow",
                "transport.seats_per_day",
                "transport.flights_per_day",
                "transport.seats_per_flight",
                "transport.land_removals_per_day",
                "transport.limited_countries",
                "policy",
            ),
        )
    )

    fig = go.Figure()
    _measure_band(fig, x, out, "removed", PALETTE[2])
    _measure_band(fig, x, out, "released", PALETTE[4])
    if not on.get("holding", False):  # under hold nobody is released for lack of beds
        _measure_band(fig, x, out, "released_capacity", PALETTE[5])
    if on.get("limited_countries", False):
        _measure_band(fig, x, out, "releases_post_order_limit", PALETTE[3])
    _reference_line(fig, x, inp.seats, "Seats per day", "dot")
    charts.append(
        Chart(
            "removals",
            _smoothed("Removals and releases per day", "removed"),
            _layout(fig, MEASURES["removed"].unit),
            (
                "transport.seats_per_day",
                "transport.flights_per_day",
                "transport.seats_per_flight",
                "transport.land_removals_per_day",
                "transport.limited_countries",
                "support.national_guard.transport_seats_per_troop_day",
                "dispositions.*.share",
                "dispositions.*.mean_days",
                "detention.overflow",
                "detention.beds",
            ),
        )
    )

    charts += _court_charts(out, x)
    charts.append(_binding_chart(out, x))

    costs = out.costs
    stages = [s for s in COST_STAGES if on.get(STAGE_NEEDS.get(s, ""), True)]
    med = [float(np.median(costs[s])) for s in stages]
    lo = [float(np.percentile(costs[s], 5)) for s in stages]
    hi = [float(np.percentile(costs[s], 95)) for s in stages]
    fig = go.Figure(
        go.Bar(
            x=[s.replace("_", " ") for s in stages],
            y=med,
            marker_color=PALETTE[0],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.subtract(hi, med),
                "arrayminus": np.subtract(med, lo),
            },
            name="median, p5-p95",
        )
    )
    cost_unit = KPIS["cost_total_usd"].unit
    charts.append(
        Chart(
            "costs",
            f"Cost by stage over the horizon ({cost_unit})",
            _layout(fig, cost_unit),
            (
                "workforce.*.headcount",
                "workforce.*.cost_per_agent_day",
                "support.national_guard.headcount",
                "support.national_guard.cost_per_troop_day",
                "processing.cost_per_book_in",
                "detention.bed_day_cost",
                "dispositions.*.cost_per_case",
                "transport.cost_per_removal",
                "atd",
            ),
        )
    )

    fig = go.Figure()
    group_arrests = MEASURES["arrests_by_group"]
    by_group = out.by_group(group_arrests.key)  # (reps, G, days)
    for j, label in enumerate(inp.group_labels):
        color = PALETTE[j % len(PALETTE)]
        _band(fig, x, by_group[:, j, :], label, color, smooth=group_arrests.smooth_days)
    charts.append(
        Chart(
            "groups",
            _smoothed(group_arrests.label, group_arrests.key),
            _layout(fig, group_arrests.unit),
            (
                "groups.*.arrests_per_agent_day",
                "groups.*.effort_share",
                "groups.*.initial_pool",
                "targeting.pressure_shift",
                "regime.pressure_all",
                "regime.pressure_replaced",
            ),
        )
    )

    fig = go.Figure()
    pools = out.by_group("pool")
    for j, label in enumerate(inp.group_labels):
        share = pools[:, j, :] / max(float(inp.pool0[:, j].sum()), 1.0)
        _band(fig, x, share, label, PALETTE[j % len(PALETTE)])
    charts.append(
        Chart(
            "pools",
            f"{MEASURES['pool'].label} (share of the initial pool)",
            _layout(fig, "share of initial pool"),
            ("groups.*.initial_pool", "groups.*.replenishment_per_day"),
        )
    )

    names = np.array(inp.offices.names)
    attain = out.office_totals("arrests") / np.maximum(inp.target_office.sum(axis=0), 1e-9)
    med_att = np.median(attain, axis=0)
    lo_att, hi_att = np.percentile(attain, [5, 95], axis=0)
    order = np.argsort(med_att)
    fig = go.Figure(
        go.Bar(
            y=names[order],
            x=med_att[order],
            orientation="h",
            marker_color=PALETTE[0],
            name="attainment (median, p5-p95)",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (hi_att - med_att)[order],
                "arrayminus": (med_att - lo_att)[order],
            },
        )
    )
    _layout(fig, "", value_axis="x")
    fig.update_layout(height=700, showlegend=False, xaxis_title="arrests / office share of target")
    charts.append(
        Chart(
            "offices",
            "Field offices: arrests against their share of the target",
            fig,
            ("target.arrests_per_day", "regime"),
            note="Agents, pools and the target are spread over offices by the same population "
            "weight, so offices' attainment differs mainly by chance.",
        )
    )

    repl = out.office_totals("replacements").mean(axis=0)
    fig = go.Figure(
        go.Bar(
            y=names[order],
            x=repl[order],
            orientation="h",
            marker_color=PALETTE[1],
            name="replacements",
        )
    )
    _layout(fig, "", value_axis="x")
    fig.update_layout(
        height=700, showlegend=False, xaxis_title="replacements (mean per replication)"
    )
    ranking = out.scenario.regime.ranking
    charts.append(
        Chart(
            "leadership",
            "Field office leaderships replaced by the ranking regime",
            fig,
            ("regime",),
            note="Offices in the same order as above (lowest attainment first). "
            + (
                "Under absolute ranking the smallest offices rank last every month."
                if ranking == "absolute"
                else "Offices are ranked by their arrests as a share of their part of the target."
            ),
            needs=("regime",),
        )
    )
    return charts

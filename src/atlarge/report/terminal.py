"""Tables printed by the CLI: the KPI table of ``atlarge run``, the results of a sweep,
the stored runs of ``atlarge results list`` and their comparison, bench and backtest."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from atlarge.analysis.kpis import KPIS, shown_kpis
from atlarge.analysis.observed import METRIC_LABELS
from atlarge.report.band_draws import band_draws
from atlarge.report.format import format_difference, format_value, plain_number, plural


def kpi_table(summary: dict[str, Any]) -> Table:
    """The KPIs of a run (medians and 5th-95th percentiles), labelled by the registry."""
    sc = summary["scenario"]
    table = Table(
        title=f"{escape(sc['name'])} — {summary['reps']} replications × {summary['days']} days "
        f"(seed {summary['seed']})",
        title_justify="left",
    )
    table.add_column("KPI")
    table.add_column("p50", justify="right")
    table.add_column("p5", justify="right")
    table.add_column("p95", justify="right")
    for key, kpi in shown_kpis(summary).items():
        s = summary["kpis"][key]
        label = kpi.label
        if "share_reached" in s and s["share_reached"] < 1:
            label += f" ({s['share_reached']:.0%} of reps)"
        table.add_row(label, *(format_value(key, s[q]) for q in ("p50", "p5", "p95")))
    table.caption = band_caption(summary)
    table.caption_justify = "left"
    return table


def band_caption(summary: dict[str, Any]) -> str:
    """What the p5-p95 columns contain, in one sentence a reader can quote (as drawn:
    :mod:`atlarge.report.band_draws`)."""
    drawn = band_draws(summary)
    if drawn.case == "fixed":
        return "p5-p95: chance variation only; every parameter at its stated value."
    source = {
        "ranged": "the ranged assumptions",
        "posterior_held": "the fitted parameters' posterior (every other parameter held)",
        "posterior_drawn": "the fitted parameters' posterior and the ranged assumptions",
    }[drawn.case]
    per = (summary.get("uncertainty") or {}).get("replications_per_draw")
    each = f", {plural(per, 'replication')} each" if per else ""
    return (
        "p5-p95: parameter uncertainty and chance: "
        f"{plural(drawn.draws, 'draw')} of {source}{each}."
    )


SWEEP_KPIS = (
    "arrests_per_day",
    "day_detention_full",
    "removals_total",
    "cost_total_usd",
    "target_attainment",
    "peak_detention",
)
"""The KPIs whose medians a sweep's table shows, headed by their short labels (all are
stored)."""


def _need(header: str, cells: Sequence[str]) -> int:
    """Columns a table column takes when no word of its header or cells is cut."""
    words = [len(w) for w in header.split()] + [len(c) for c in cells]
    return max(words, default=1) + 3  # padding and a border


def sweep_table(
    design: Sequence[Mapping[str, float]],
    kpis: Sequence[Mapping[str, Mapping[str, float | None]]],
    *,
    width: int = 80,
    title: str = "Sweep results (medians over replications)",
    max_rows: int = 40,
) -> Table:
    """One row per point: the values varied, then the medians of as many of the main KPIs
    as fit in ``width`` columns (in order of :data:`SWEEP_KPIS`)."""
    paths = list(design[0]) if design else []
    shown_rows = list(zip(design, kpis, strict=True))[:max_rows]
    columns: list[tuple[str, list[str]]] = [("#", [str(i) for i in range(len(shown_rows))])]
    for path in paths:
        header = path.replace(".", ". ").replace("_", "_ ")
        columns.append((header, [plain_number(pt[path]) for pt, _ in shown_rows]))
    used = 1 + sum(_need(h, c) for h, c in columns)
    left_out = []
    for key in SWEEP_KPIS:
        header = KPIS[key].short
        if not any(key in row for _, row in shown_rows):
            continue
        cells = [format_value(key, row[key]["p50"]) if key in row else "" for _, row in shown_rows]
        if used + _need(header, cells) > width:
            left_out.append(header)
            continue
        used += _need(header, cells)
        columns.append((header, cells))
    table = Table(title=title, title_justify="left")
    for header, cells in columns:
        table.add_column(header, justify="right", width=_need(header, cells) - 3)
    for i in range(len(shown_rows)):
        table.add_row(*(cells[i] for _, cells in columns))
    notes = []
    if len(design) > max_rows:
        notes.append(f"{len(design) - max_rows} more points")
    if left_out:
        notes.append(f"not shown at this width: {', '.join(left_out)}")
    if notes:
        table.caption = "; ".join(notes) + " (atlarge results list / compare)"
    return table


def _override_value(value: Any) -> str:
    """A value as ``--set`` takes it (no thousands separators: it can be copied)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _fit(item: str, width: int) -> list[str]:
    """``item`` in lines of at most ``width``, broken after a '.' or before a '=' (a
    name is never cut in the middle unless one part alone is wider than ``width``)."""
    parts, cur = [], ""
    for piece in _pieces(item):
        if cur and len(cur) + len(piece) > width:
            parts.append(cur)
            cur = "  " + piece
        else:
            cur += piece
    parts.append(cur)
    return parts


def _pieces(item: str) -> list[str]:
    path, eq, value = item.partition("=")
    out = [f"{p}." for p in path.split(".")]
    out[-1] = out[-1][:-1]
    return [*out, eq + value] if eq else out


def overrides_lines(overrides: str | Mapping[str, Any] | None, width: int = 10**6) -> list[str]:
    """Overrides as ``path=value`` lines (one per override, long ones broken at dots), so a
    narrow column never cuts a name in the middle."""
    if isinstance(overrides, str):
        try:
            overrides = json.loads(overrides)
        except ValueError:
            return [overrides]
    if not isinstance(overrides, Mapping):
        return [str(overrides)] if overrides else []
    lines: list[str] = []
    for k, v in sorted(overrides.items()):
        lines.extend(_fit(f"{k}={_override_value(v)}", width))
    return lines


OVERRIDES_WIDTH = 22


def runs_table(rows: Sequence[Mapping[str, Any]], title: str, width: int = 80) -> Table:
    """The stored runs, readable in ``width`` columns (80 and up): overrides one per line,
    the scenario's name wrapped between words in what is left."""
    table = Table(title=title, title_justify="left")
    longest = max((len(ln) for r in rows for ln in overrides_lines(r["overrides"])), default=4)
    spare = max(width - 80, 0)  # a wider terminal: longer override lines, then the name
    over_w = max(min(longest, OVERRIDES_WIDTH + spare), 9)
    reps_w = max((len(str(r["reps"])) for r in rows), default=4)
    seed_w = max((len(str(r["seed"])) for r in rows), default=4)
    fixed = 10 + over_w + max(reps_w, 4) + max(seed_w, 4) + 8 + 6 * 2 + 7  # padding, borders
    table.add_column("run", no_wrap=True, width=10)
    table.add_column("scenario", max_width=max(width - fixed, 8))
    table.add_column("overrides", min_width=over_w, max_width=over_w)
    table.add_column("reps", justify="right", no_wrap=True)
    table.add_column("seed", justify="right", no_wrap=True)
    table.add_column("arrests /day p50", justify="right", width=8)
    for r in rows:
        apd = r.get("arrests_per_day_p50")
        over = overrides_lines(r["overrides"], over_w)
        table.add_row(
            f"{r['run_id'][:10]}\n{str(r['finished_at'])[:10]}",
            Text(r["scenario_name"]),  # a name is text, never Rich markup
            Text("\n".join(over)) if over else Text("none", style="dim"),
            str(r["reps"]),
            str(r["seed"]),
            "" if apd is None else f"{apd:,.0f}",
        )
    return table


ACRONYMS = {"ero", "hsi", "fbi", "dea", "usms", "atf", "cbp", "irs", "los", "usd"}
METHOD_WORDS = {
    "morris": "Morris screening",
    "sobol": "Sobol' variance shares",
}
EFFECT_NOTE = {
    "morris": "Mean absolute effect (Morris mu*): how much the measure changes, on average "
    "and in its own units, when the parameter moves across its whole range; the spread "
    "(sigma) is large when the effect depends on the other parameters.",
    "sobol": "Share of the variance of the measure due to the parameter alone (first-order, "
    "S1) and including its interactions with the others (total, ST), with 95% intervals.",
}


def kpi_title(key: str) -> str:
    """A KPI's name with its unit: 'Arrests per day (arrests/day)'."""
    kpi = KPIS[key]
    return f"{kpi.label} ({kpi.unit})"


def param_label(path: str, unit: str | None = None) -> str:
    """A parameter path in words: 'workforce.hsi.relative_productivity' ->
    'Workforce, HSI: relative productivity (fraction)'."""
    words = [w.upper() if w in ACRONYMS else w.replace("_", " ") for w in path.split(".")]
    head = ", ".join(words[:-1])
    text = f"{head[:1].upper()}{head[1:]}: {words[-1]}" if head else words[-1].capitalize()
    return f"{text} ({unit})" if unit else text


def effect(key: str, value: float | None) -> str:
    """A mean absolute effect in the KPI's units: '1,234', '$886.6m', '2.5 pts', '3 days'."""
    return format_difference(key, value).lstrip("+")


def sensitivity_tables(doc: Mapping[str, Any], top: int = 10) -> list[Table | Text]:
    """For each KPI, its most influential parameters, in plain words and units."""
    method = doc["method"]
    units = doc.get("units", {})
    bounds = dict(zip(doc["parameters"], doc["bounds"], strict=True))
    out: list[Table | Text] = []
    for key, rows in doc["indices"].items():
        if isinstance(rows, dict):
            out.append(Text(f"{kpi_title(key)}: {rows['skipped']}"))
            continue
        table = Table(
            title=f"{kpi_title(key)}: the parameters that move it most ({METHOD_WORDS[method]})",
            title_justify="left",
        )
        table.add_column("parameter")
        table.add_column("range", justify="right")
        if method == "sobol":
            table.add_column("share alone (S1)", justify="right")
            table.add_column("share with interactions (ST)", justify="right")
        else:
            unit = KPIS[key].difference_unit
            table.add_column(f"mean absolute effect ({unit})", justify="right")
            table.add_column("spread (sigma)", justify="right")
        for r in rows[:top]:
            lo, hi = bounds.get(r["parameter"], (None, None))
            span = "" if lo is None else f"{plain_number(lo)} to {plain_number(hi)}"
            if method == "sobol":
                cells = [
                    f"{r['S1']:.0%} ± {r['S1_conf']:.0%}",
                    f"{r['ST']:.0%} ± {r['ST_conf']:.0%}",
                ]
            else:
                cells = [
                    f"{effect(key, r['mu_star'])} ± {effect(key, r['mu_star_conf'])}",
                    effect(key, r["sigma"]),
                ]
            table.add_row(param_label(r["parameter"], units.get(r["parameter"])), span, *cells)
        out.append(table)
    out.append(Text(EFFECT_NOTE[method], style="dim"))
    return out


def compare_table(
    ids: Sequence[str],
    a: Mapping[str, Mapping[str, float | None]],
    b: Mapping[str, Mapping[str, float | None]],
) -> Table:
    """Two stored runs' KPI medians side by side, with B minus A (``results compare``)."""
    table = Table(title=f"{ids[0][:10]} vs {ids[1][:10]} (medians)", title_justify="left")
    for col in ("KPI", "A", "B", "B - A", "change"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for key, kpi in KPIS.items():
        if key not in a or key not in b:
            continue
        va, vb = a[key]["p50"], b[key]["p50"]
        diff = "" if va is None or vb is None else format_difference(key, vb - va)
        rel = "" if not va or vb is None else f"{(vb - va) / abs(va):+.1%}"
        table.add_row(kpi.label, format_value(key, va), format_value(key, vb), diff, rel)
    return table


def bench_table(cases: Sequence[Any]) -> Table:
    """``atlarge bench``: seconds per replication of the engine and the SimPy reference."""
    table = Table(
        title="atlarge bench: engine vs SimPy reference (same process)", title_justify="left"
    )
    for col in (
        "size/day",
        "sim/day",
        "offices",
        "days",
        "reps",
        "engine s/rep",
        "ref s/rep",
        "ratio",
    ):
        table.add_column(col, justify="right")
    for c in cases:
        table.add_row(
            f"{c.arrests_per_day:,}",
            f"{c.simulated_arrests_per_day:,.0f}",
            str(c.offices),
            str(c.days),
            str(c.reps),
            f"{c.engine_s_per_rep:.4f}",
            f"{c.reference_s_per_rep:.2f}",
            f"{c.ratio:,.0f}x",
        )
    return table


def backtest_table(summary: Mapping[str, Any]) -> Table:
    """``atlarge backtest``: each metric's largest (median) absolute relative error, in
    sample, left out and kept aside."""
    table = Table(title="Backtest: largest absolute relative error (median)", title_justify="left")
    table.add_column("metric")
    for kind in ("in sample", "left out", "kept aside"):
        table.add_column(kind, justify="right")
    for m, label in METRIC_LABELS.items():
        cells = []
        for kind in ("in_sample", "leave-one-year-out", "aside"):
            v = summary.get(kind, {}).get(m)
            cells.append(
                "-"
                if v is None
                else f"{v['max_abs_rel_error']:.1%} ({v['median_abs_rel_error']:.1%})"
            )
        table.add_row(label, *cells)
    return table

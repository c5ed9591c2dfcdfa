"""The KPI table printed by ``atlarge run``."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from atlarge.report.format import KPI_LABELS, format_value


def kpi_table(summary: dict[str, Any]) -> Table:
    sc = summary["scenario"]
    table = Table(
        title=f"{sc['name']} — {summary['reps']} replications × {summary['days']} days "
        f"(seed {summary['seed']})",
        title_justify="left",
    )
    table.add_column("KPI")
    table.add_column("p50", justify="right")
    table.add_column("p5", justify="right")
    table.add_column("p95", justify="right")
    for key, label in KPI_LABELS.items():
        s = summary["kpis"].get(key)
        if s is None:
            continue
        if "share_reached" in s and s["share_reached"] < 1:
            label += f" ({s['share_reached']:.0%} of reps)"
        table.add_row(label, *(format_value(key, s[q]) for q in ("p50", "p5", "p95")))
    return table

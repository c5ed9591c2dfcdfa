"""People-facing output: the HTML report (Plotly) and terminal tables (Rich)."""

from atlarge.report.html import render_report
from atlarge.report.terminal import kpi_table

__all__ = ["kpi_table", "render_report"]

"""Summaries, percentiles and bands over replications; the public record, backtest, calibration."""

from atlarge.analysis.summary import (
    bands,
    kpi_summary,
    kpi_values,
    parameter_rows,
    stats,
    summarize,
    trailing_mean,
)

__all__ = [
    "bands",
    "kpi_summary",
    "kpi_values",
    "parameter_rows",
    "stats",
    "summarize",
    "trailing_mean",
]

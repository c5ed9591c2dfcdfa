"""Summaries, percentiles and bands over replications; the public record, backtest, calibration."""

from atlarge.analysis.summary import bands, kpi_summary, kpi_values, stats, summarize

__all__ = ["bands", "kpi_summary", "kpi_values", "stats", "summarize"]

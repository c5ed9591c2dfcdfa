"""Summaries, percentiles and bands over replications (later: backtest, sensitivity)."""

from atlarge.analysis.summary import bands, kpi_values, stats, summarize

__all__ = ["bands", "kpi_values", "stats", "summarize"]

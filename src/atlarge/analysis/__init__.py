"""Summaries, percentiles and bands over replications; the public record, backtest, calibration."""

from atlarge.analysis.bands import bands, national_bands, trailing_mean
from atlarge.analysis.kpis import KPIS, kpi_values
from atlarge.analysis.summary import kpi_summary, parameter_rows, stats, summarize

__all__ = [
    "KPIS",
    "bands",
    "kpi_summary",
    "kpi_values",
    "national_bands",
    "parameter_rows",
    "stats",
    "summarize",
    "trailing_mean",
]

"""How KPIs are named and formatted for people (terminal table and HTML report)."""

from __future__ import annotations

KPI_LABELS: dict[str, str] = {
    "arrests_total": "Arrests, total",
    "arrests_per_day": "Arrests per day",
    "target_attainment": "Target attainment",
    "peak_detention": "Peak detention population",
    "day_detention_full": "First day detention is full",
    "removals_total": "Removals",
    "releases_total": "Releases",
    "releases_for_lack_of_beds": "  of which for lack of beds",
    "departures_total": "Voluntary departures",
    "transfers_total": "Transfers between offices",
    "processing_backlog_end": "Book-in backlog at end",
    "cost_total_usd": "Cost, total",
    "cost_per_removal_usd": "Cost per removal",
    "agent_days_diverted": "Agent-days taken from other missions",
    "leadership_replacements": "Field office leaderships replaced",
}


def format_value(key: str, value: float | None) -> str:
    """A KPI value as a person reads it: '1,234', '44.2%', '$7.72bn', 'never'."""
    if value is None:
        return "never" if key == "day_detention_full" else "n/a"
    if key == "target_attainment":
        return f"{value:.1%}"
    if key.endswith("_usd"):
        if abs(value) >= 1e9:
            return f"${value / 1e9:,.2f}bn"
        if abs(value) >= 1e6:
            return f"${value / 1e6:,.1f}m"
        return f"${value:,.0f}"
    if key == "day_detention_full":
        return f"day {value:,.0f}"
    if key == "arrests_per_day":
        return f"{value:,.0f}"
    return f"{value:,.0f}"


def format_difference(key: str, value: float | None) -> str:
    """A difference of two KPI values: '+1,234', '-$886.6m', '+2.5 pts', '+3 days'."""
    if value is None:
        return "n/a"
    if key == "target_attainment":
        return f"{100 * value:+.1f} pts"
    if key == "day_detention_full":
        return f"{value:+.0f} days"
    text = format_value(key, abs(value))
    if value > 0:
        return "+" + text
    return "-" + text if value < 0 else text

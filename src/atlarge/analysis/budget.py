"""The budget section of summary.json: outlays by fiscal year, each line's runway, what
no line paid, and the capacity money bought.

Outlays are the run's daily costs by purpose (:meth:`ModelOutput.daily_costs`), charged
to the scenario's funding lines by :func:`atlarge.model.ledger.charge_lines` (the same
rule the engine follows under ``on_exhausted = "stop"``). Every figure is per
replication first, then summarised over replications (p5, p50, p95), so a band shows
the spread of the simulated spending, not of one average.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from atlarge.analysis.bands import bands
from atlarge.analysis.summary import stats
from atlarge.model import ModelOutput
from atlarge.model.ledger import Ledger, by_fiscal_year, charge_lines, fiscal_years, runway
from atlarge.model.money import DETENTION, TRANSPORT
from atlarge.scenario.budget import PURPOSE_LABELS, PURPOSES

DEFINITIONS = {
    "cost_by_fiscal_year": "What the simulated operation spends in each US federal fiscal "
    "year (1 October to 30 September) within the horizon, all purposes; a year the horizon "
    "covers only in part counts only its simulated days. by_purpose gives the median by "
    "purpose.",
    "funding_runway": "For each funding line: the median date its money is spent at the "
    "simulated pace (null when at least half the replications do not spend it within the "
    "horizon: 'beyond horizon'), and the share of replications in which it lasts beyond the "
    "horizon. Each day's cost of a purpose is charged to the first open line that pays for "
    "it and has money left, in the order the scenario lists the lines.",
    "unfunded_usd": "Spending on each purpose that no open line could pay (with "
    "on_exhausted = overspend it is spent anyway; with stop it is 0 for purposes a line "
    "covers). Purposes no line covers are listed under not_against_a_line.",
}


def ledger(out: ModelOutput, daily: np.ndarray | None = None) -> Ledger:
    """The run's daily costs charged to its lines (needs a ``[budget]``), each scenario
    line's charges summed over the ledger lines it was split into (a plan's set-aside and
    the rest: :class:`~atlarge.model.money.LedgerLines`)."""
    lines = out.inputs.money.ledger
    if daily is None:
        daily = out.daily_costs()
    amounts = out.per_rep(lambda d: d.money.ledger.amount)
    book = charge_lines(daily, amounts, lines.covers, lines.open)
    n = len(out.inputs.money.line_keys)
    merged = np.zeros((out.reps, n, out.days))
    np.add.at(merged, (slice(None), lines.parent), book.charged)
    return Ledger(charged=merged, unfunded=book.unfunded)


def line_amounts(out: ModelOutput) -> np.ndarray:
    """``(reps, lines)`` USD in each scenario line on the start date (amounts may be drawn;
    a line open before the start date counts what is left of it: docs/model.md 3.13)."""
    return out.per_rep(lambda d: _amounts(d))


def _amounts(d: Any) -> np.ndarray:
    lines = d.money.ledger
    out = np.zeros(len(d.money.line_keys))
    np.add.at(out, lines.parent, lines.amount)
    return out


def _slack(out: ModelOutput) -> np.ndarray:
    """``(reps, lines)`` USD a line may keep and still count as spent: under stop the engine
    pays whole bed-days and removals, so a line is spent once what it keeps cannot buy the
    cheapest of them it pays for; 0 under overspend (and for lines paying for people, whose
    cut is exact)."""
    m = out.inputs.money
    n = len(m.line_keys)
    if not m.stop:
        return np.zeros((out.reps, n))
    slack = np.full((out.reps, n), np.inf)
    for purpose, unit in ((DETENTION, "base_rate"), (TRANSPORT, "removal_cost")):
        pays = np.zeros(n, dtype=bool)
        pays[m.ledger.parent[m.held & m.ledger.covers[:, purpose]]] = True
        cost = out.per_rep(lambda d, u=unit: getattr(d.money, u))
        slack = np.minimum(slack, np.where(pays[None, :], cost[:, None], np.inf))
    return np.where(np.isfinite(slack), slack, 0.0)


def cost_by_fiscal_year(out: ModelOutput, daily: np.ndarray) -> list[dict[str, Any]]:
    """summary.json ``cost_by_fiscal_year``: [{fiscal_year, cost_usd {p5, p50, p95},
    days, by_purpose {purpose: p50}}] in fiscal-year order."""
    dates = out.inputs.dates
    fys = fiscal_years(dates)
    total = by_fiscal_year(dates, daily.sum(axis=1))
    parts = by_fiscal_year(dates, daily)  # (reps, purposes) a year
    rows = []
    for (fy, values), (_, by_purpose) in zip(total, parts, strict=True):
        rows.append(
            {
                "fiscal_year": fy,
                "cost_usd": stats(values),
                "days": int((fys == fy).sum()),
                "by_purpose": {
                    p: float(np.median(by_purpose[:, i])) for i, p in enumerate(PURPOSES)
                },
            }
        )
    return rows


def funding_runway(out: ModelOutput, book: Ledger) -> list[dict[str, Any]]:
    """summary.json ``funding_runway``: per line {line, label, purposes, amount_usd (left
    on the start date), appropriated_usd, available_from, available_until, spent_usd,
    date_p50, beyond_horizon_share}."""
    m = out.inputs.money
    sc = out.scenario
    assert sc.budget is not None
    amounts = line_amounts(out)
    dates, beyond = runway(book.charged, np.maximum(amounts - _slack(out), 0.0), out.inputs.dates)
    spent = book.charged.sum(axis=2)
    rows = []
    for i, key in enumerate(m.line_keys):
        line = sc.budget.lines[key]
        rows.append(
            {
                "line": key,
                "label": line.label,
                "purposes": list(line.purposes),
                "amount_usd": stats(amounts[:, i]),
                "appropriated_usd": stats(
                    out.per_rep(lambda d, k=key: d.scenario.budget.lines[k].amount.value)
                ),
                "available_from": line.available_from.isoformat(),
                "available_until": line.available_until.isoformat(),
                "spent_usd": stats(spent[:, i]),
                "date_p50": dates[i],
                "beyond_horizon_share": float(beyond[i]),
            }
        )
    return rows


def unfunded(out: ModelOutput, book: Ledger) -> dict[str, Any]:
    """Spending no line paid, by purpose: those some line covers, and the rest."""
    covered = out.inputs.money.ledger.covers.any(axis=0)
    total = book.unfunded.sum(axis=2)
    return {
        "against_lines": {p: stats(total[:, i]) for i, p in enumerate(PURPOSES) if covered[i]},
        "not_against_a_line": [p for i, p in enumerate(PURPOSES) if not covered[i]],
    }


def line_series(out: ModelOutput, book: Ledger) -> dict[str, np.ndarray]:
    """Per line, ``(reps, days)`` cumulative USD spent: the budget chart's bands."""
    cum = np.cumsum(book.charged, axis=2)
    return {key: cum[:, i] for i, key in enumerate(out.inputs.money.line_keys)}


def line_bands(out: ModelOutput) -> dict[str, dict[str, list[float]]] | None:
    """Per line, daily percentile bands (p5, p25, p50, p75, p95, mean; to the cent) of
    cumulative spending against it, for clients that draw their own chart (the explorer);
    None without a ``[budget]``. Bands, not one average path: when a line runs out differs
    between replications, and the band shows by how much."""
    if out.scenario.budget is None:
        return None
    series = line_series(out, ledger(out))
    return {
        key: {q: np.round(v, 2).tolist() for q, v in bands(s).items()} for key, s in series.items()
    }


def beds_added(out: ModelOutput) -> np.ndarray:
    """``(reps,)`` beds procurement has online on the last day."""
    return out.per_rep(lambda d: float(d.money.beds_added[:, -1].sum()))


def officers_hired(out: ModelOutput) -> np.ndarray:
    """``(reps,)`` hires over the horizon (academy entrants)."""
    return out.per_rep(lambda d: float(d.money.hires.sum()))


def capacity_rows(out: ModelOutput) -> dict[str, Any]:
    """What money bought, for the report: beds by kind at the end, hires and their state."""
    m = out.inputs.money
    rows: dict[str, Any] = {}
    if out.scenario.beds_plan is not None:
        rows["beds_by_kind"] = [
            {
                "kind": key,
                "label": m.kind_labels[i],
                "online_end": stats(out.per_rep(lambda d, i=i: float(d.money.beds_added[i, -1]))),
            }
            for i, key in enumerate(m.kind_keys)
        ]
    if out.scenario.hiring_plan is not None:
        rows["hiring"] = {
            "agency": m.hire_agency,
            "hired": stats(officers_hired(out)),
            "on_duty_end": stats(out.per_rep(lambda d: float(d.money.hired_on_duty[-1]))),
            "effective_end": stats(out.per_rep(lambda d: float(d.money.hired_effective[-1]))),
        }
    return rows


def budget_summary(out: ModelOutput) -> dict[str, Any]:
    """The summary.json keys of money: always ``cost_by_fiscal_year``; with a budget
    ``funding_runway``, ``unfunded_usd`` and ``on_exhausted``; with procurement or hiring
    ``capacity_bought``."""
    daily = out.daily_costs()
    doc: dict[str, Any] = {
        "cost_by_fiscal_year": cost_by_fiscal_year(out, daily),
        "purpose_labels": dict(PURPOSE_LABELS),
    }
    sc = out.scenario
    if sc.budget is not None:
        book = ledger(out, daily)
        doc["funding_runway"] = funding_runway(out, book)
        doc["unfunded_usd"] = unfunded(out, book)
        doc["on_exhausted"] = sc.budget.on_exhausted
    if sc.beds_plan is not None or sc.hiring_plan is not None:
        doc["capacity_bought"] = capacity_rows(out)
    doc["budget_definitions"] = DEFINITIONS
    return doc

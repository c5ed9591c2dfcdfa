"""Summaries over replications: the KPIs of summary.json and the bands of the report.

Every KPI is computed per replication first and then summarised by its mean
and its 5th, 50th and 95th percentiles across replications, so a band is the
spread of outcomes, not an error bar on a mean.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from pydantic import BaseModel

from atlarge._version import __version__
from atlarge.analysis import home_missions
from atlarge.analysis.kpis import BY_OFFICE, KPIS, kpi_values, listed
from atlarge.model import COST_STAGES, ModelOutput
from atlarge.model.inputs import ModelInputs
from atlarge.model.measures import ARREST_CHANNELS
from atlarge.scenario import Scenario, iter_params, scenario_sha256
from atlarge.scenario.params import Param
from atlarge.scenario.schedules import scenario_warnings
from atlarge.scenario.sources import format_source
from atlarge.scenario.uncertainty import posterior_applies

PERCENTILES = (5, 50, 95)


def stats(values: np.ndarray, *, never_as_inf: bool = False) -> dict[str, float | None]:
    """Mean, p5, p50, p95 of per-replication values.

    NaN marks a replication where the quantity is undefined (detention never
    full, no removal to divide by). With ``never_as_inf`` a NaN counts as
    "later than any day" for the percentiles (so p95 is null when more than
    5% never got there); the mean is then over the replications where it
    happened, and ``share_reached`` says how many those were.
    """
    v = np.asarray(values, dtype=np.float64)
    defined = ~np.isnan(v)
    out: dict[str, float | None] = {}
    out["mean"] = _num(v[defined].mean()) if defined.any() else None
    if never_as_inf:
        ranked = np.where(defined, v, np.inf)
        for q in PERCENTILES:
            out[f"p{q}"] = _num(np.percentile(ranked, q, method="inverted_cdf"))
        out["share_reached"] = float(defined.mean())
    else:
        for q in PERCENTILES:
            out[f"p{q}"] = _num(np.percentile(v[defined], q)) if defined.any() else None
    return out


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def kpi_summary(out: ModelOutput) -> dict[str, dict[str, float | None]]:
    """Every KPI's statistics over replications (the ``kpis`` of summary.json), less those
    of a stage the run has off that are listed only when on (``Kpi.only_when_on``)."""
    on = mechanisms(out.scenario)
    return {
        k: stats(v, never_as_inf=KPIS[k].never)
        for k, v in kpi_values(out).items()
        if listed(KPIS[k], on)
    }


def channel_rows(out: ModelOutput) -> list[dict[str, Any]]:
    """summary.json ``by_channel``: arrests per channel (custodial, at large, collateral),
    always all three (zeros for a channel that is off). ``share_of_arrests`` is the mean of
    the channel's arrests over the mean of all arrests (0 when there are none)."""
    mean_all = float(out.totals("arrests").mean())
    rows = []
    for key, label in ARREST_CHANNELS.items():
        total = out.totals(f"arrests_{key}").astype(np.float64)
        rows.append(
            {
                "key": key,
                "label": label,
                "arrests_total": stats(total),
                "share_of_arrests": float(total.mean()) / mean_all if mean_all > 0 else 0.0,
            }
        )
    return rows


def _hiring_cost(d: ModelInputs) -> np.ndarray:
    """``(A,)`` the hiring plan's one-off costs, on the agency the hires join (so the
    agencies' costs add up to the agents' stage)."""
    cost = np.zeros(len(d.agency_keys))
    if d.money.hire_agency is not None:
        cost[d.agency_keys.index(d.money.hire_agency)] = d.money.hire_cost.sum()
    return cost


def summarize(out: ModelOutput) -> dict[str, Any]:
    """The ``summary.json`` document for a run."""
    from atlarge.analysis import budget  # it uses stats() from here

    inp = out.inputs
    sc = out.scenario
    kpis = kpi_summary(out)

    by_office = []
    per_office = {k: KPIS[k].rule.per_office(out) for k in BY_OFFICE}
    for i, (code, name) in enumerate(zip(inp.offices.codes, inp.offices.names, strict=True)):
        by_office.append(
            {"office": name, "code": code} | {k: stats(v[:, i]) for k, v in per_office.items()}
        )

    by_agency = []
    days_a = out.agent_days_by_agency  # (reps, agencies)
    cost_a = out.per_rep(
        lambda d: d.agent_days.sum(axis=1) * d.agency_cost_per_day + _hiring_cost(d)
    )
    for i, (key, label) in enumerate(zip(inp.agency_keys, inp.agency_labels, strict=True)):
        diverted = days_a[:, i] if inp.agency_diverted[i] else np.zeros(out.reps)
        by_agency.append(
            {
                "agency": label,
                "key": key,
                "diverted": bool(inp.agency_diverted[i]),
                "agent_days": stats(days_a[:, i]),
                "agent_days_diverted": stats(diverted),
                "cost_usd": stats(cost_a[:, i]),
            }
        )

    by_group = []
    group_tot = out.by_group("arrests_by_group").sum(axis=2)  # (reps, G)
    all_arrests = group_tot.sum(axis=1, keepdims=True)
    share = np.divide(
        group_tot, all_arrests, out=np.full(group_tot.shape, np.nan), where=all_arrests > 0
    )
    for j, (key, label) in enumerate(zip(inp.group_keys, inp.group_labels, strict=True)):
        by_group.append(
            {
                "group": label,
                "key": key,
                "arrests_total": stats(group_tot[:, j]),
                "share_of_arrests": stats(share[:, j]),
                "pool_end": stats(out.pool_end()[:, j]),
                "pool_start": float(inp.pool0[:, j].sum()),
            }
        )

    return {
        "atlarge_version": __version__,
        "scenario": {
            "name": sc.name,
            "sha256": scenario_sha256(sc),
            "start_date": sc.start_date.isoformat(),
        },
        # An override's note only where it has one (a total that replaced a breakdown).
        "overrides": {
            k: o.model_dump(mode="json", exclude={"note"} if o.note is None else None)
            for k, o in sc.overrides.items()
        },
        "extends": list(sc.extends),
        "seed": out.seed,
        "reps": out.reps,
        "days": out.days,
        # What the run kept of its daily series (timeseries.parquet): full, national, none.
        "timeseries": out.timeseries,
        "uncertainty": uncertainty_note(out),
        "kpis": kpis,
        "cost_by_stage_usd": {s: stats(out.costs[s]) for s in COST_STAGES},
        "by_office": by_office,
        "by_agency": by_agency,
        "by_group": by_group,
        "by_channel": channel_rows(out),
        "definitions": {k: kpi.definition for k, kpi in KPIS.items()},
        "parameters": parameter_rows(sc),
        "settings": setting_rows(sc),
        "mechanisms": mechanisms(sc, uncertainty=out.uncertainty),
        # Schedule entries this run's horizon leaves unused (scenario/schedules.py).
        "warnings": [w.as_dict() for w in scenario_warnings(sc, out.days)],
        # Last, so the API's typed summary keeps the order (its extra keys follow).
        # Estimates from averages and assumptions (analysis/home_missions.py); [] when the
        # run takes no agent-days from another agency's mission.
        "home_output_forgone": home_missions.home_output_rows(out),
        "home_output_forgone_definition": home_missions.DEFINITION,
        # Outlays by fiscal year; with [budget] each line's runway (analysis/budget.py).
        **budget.budget_summary(out),
    }


def uncertainty_note(out: ModelOutput) -> dict[str, Any]:
    """What the spread over replications contains, as run: the number of parameter draws
    and the replications each draw got (``inner`` is the older name of the largest).

    ``posterior`` says whether the draws came from the scenario's ``[posterior]`` (not
    whether it has one: a posterior path changed by a ``set`` leaves it unused and every
    ranged parameter drawn), ``posterior_parameters`` which paths were drawn jointly from
    it, and ``posterior_others`` what the other ranged parameters did ("held" at their
    values or "drawn" over their ranges; None without a posterior), so the brief, the
    reports and the exports word the bands as they were drawn."""
    if not out.uncertainty:
        return {
            "kind": "stochastic",
            "draws": 0,
            "replications_per_draw": None,
            "inner": out.reps,
            "drawn_parameters": [],
            "posterior": False,
            "posterior_parameters": [],
            "posterior_others": None,
        }
    per_draw = np.bincount(out.draw_of_rep, minlength=len(out.draws))
    even = int(per_draw.min()) == int(per_draw.max())
    return {
        "kind": "stochastic and parameter",
        "draws": len(out.draws),
        "replications_per_draw": int(per_draw[0]) if even else None,
        "replications_by_draw": [int(n) for n in per_draw],
        "inner": int(per_draw.max()),
        "drawn_parameters": sorted(out.drawn_values[0]),
        **posterior_note(out.scenario),
    }


def posterior_note(sc: Scenario) -> dict[str, Any]:
    """The posterior keys of a run with parameter draws (see :func:`uncertainty_note`)."""
    post = sc.posterior
    if post is None or not posterior_applies(sc):
        return {"posterior": False, "posterior_parameters": [], "posterior_others": None}
    return {
        "posterior": True,
        "posterior_parameters": sorted(post.draws),
        "posterior_others": post.others,
    }


def mechanisms(sc: Scenario, *, uncertainty: bool = False) -> dict[str, bool]:
    """Which switchable parts of the model this run has on. A report panel that needs a
    mechanism is shown only when it is on (a stage switched off shows nothing)."""
    guard = sc.support.national_guard
    return {
        "regime": sc.regime.enabled,
        "national_guard": guard is not None and any(guard.headcount.values()),
        "transfers": sc.detention.overflow == "transfer",
        "holding": sc.detention.overflow == "hold",
        "atd": any(sc.atd.enrolment_share.values()),
        "custodial": sc.custodial is not None,
        "collateral": sc.collateral is not None,
        "arrest_channels": sc.custodial is not None or sc.collateral is not None,
        "departures": sc.departures is not None,
        "limited_countries": sc.transport.limited_countries is not None,
        "mandatory_detention": sc.policy.mandatory_detention_share is not None,
        "courts": sc.courts is not None,
        "expedited_removal": sc.policy.expedited_removal_share is not None,
        "budget": sc.budget is not None,
        "procurement": sc.beds_plan is not None,
        "hiring": sc.hiring_plan is not None,
        "parameter_uncertainty": uncertainty,
    }


RECORD_FIELDS = ("overrides", "extends")
"""Scenario fields that record how it was loaded (shown apart), not settings of the run."""


def setting_rows(sc: Scenario) -> list[dict[str, Any]]:
    """Every setting of ``sc`` that is not a parameter: switches, choices, labels, the
    horizon, office selection, outcomes, phases, and optional parts left out (value null).

    Walks the scenario model, so a switch added to the schema is listed without a change
    here. Each row: path, value (as JSON), and the schema's description of the field.
    """
    rows: list[dict[str, Any]] = []

    def walk_model(obj: BaseModel, prefix: str) -> None:
        for key, info in type(obj).model_fields.items():
            if not prefix and key in RECORD_FIELDS:
                continue
            value = getattr(obj, key)
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, BaseModel) and not isinstance(value, Param):
                walk_model(value, path)
            elif isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(v, BaseModel) and not isinstance(v, Param):
                        walk_model(v, f"{path}.{k}")
            elif not isinstance(value, Param):
                shown = value.isoformat() if isinstance(value, dt.date) else value
                rows.append({"path": path, "value": shown, "description": info.description})

    walk_model(sc, "")
    return rows


def parameter_rows(sc: Scenario) -> list[dict[str, Any]]:
    """Every parameter of ``sc`` with its value, unit, provenance and range.

    One table for summary.json, the report and the API, so that a value is
    never shown without its source or its assumption flag. ``source`` is the
    source as people read it (``format_source``: the same text everywhere);
    ``source_fields`` the same source as data (publisher, title, date, url,
    confidence, note, and ``was``: the source a change replaced).
    """
    return [
        {
            "path": path,
            "value": p.value,
            "unit": p.unit,
            "schedule": {d.isoformat(): v for d, v in sorted((p.schedule or {}).items())} or None,
            "assumption": p.assumption,
            "fitted": p.fitted.model_dump() if p.fitted else None,
            "source": format_source(p.source) or None,
            "source_fields": p.source.model_dump(mode="json") if p.source else None,
            "rationale": p.rationale,
            "range": list(p.range) if p.range else None,
        }
        for path, p in iter_params(sc)
    ]


def _band_words(summary: dict[str, Any]) -> str:
    u = summary.get("uncertainty") or {}
    if u.get("kind") == "stochastic and parameter":
        return f"chance and parameter draws ({u['draws']} draws)"
    return "chance variation only"


def run_differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """What makes two runs' summaries not like with like: horizon and start date (their
    KPIs are totals over different days; ``blocking``), and what their bands contain."""
    out = []
    checks = (
        ("days", "horizon", a["days"], b["days"], True),
        (
            "start_date",
            "start date",
            a["scenario"]["start_date"],
            b["scenario"]["start_date"],
            True,
        ),
        ("uncertainty", "bands contain", _band_words(a), _band_words(b), False),
    )
    for field, label, va, vb, blocking in checks:
        if va != vb:
            unit = " days" if field == "days" else ""
            out.append(
                {
                    "field": field,
                    "a": va,
                    "b": vb,
                    "blocking": blocking,
                    "message": f"{label}: A {va}{unit}, B {vb}{unit}",
                }
            )
    return out

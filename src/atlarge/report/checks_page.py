"""The posterior predictive checks page (``checks.html``) from a posterior document.

Every fitted figure of the 2025 record with the fitted model's p5-p95 band over it
(posterior draws x replications x observation error), the share inside, the held-out
figures when the fit left some out, and the posterior of each fitted quantity; with the
annual fit's document (``atlarge calibrate --method bayes-annual``), each fiscal year's
figures fitted, left out and predicted, and the population of years.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from atlarge.report.pages import render_page

SERIES_LABELS = {
    "arrests_per_day": "ICE arrests per day",
    "arrests": "ICE arrests (total over the period)",
    "detained": "Detained population",
    "removals": "ICE removals (total over the period)",
    "book_ins_ice": "Initial book-ins, ICE-arrested",
    "book_ins_cbp": "Initial book-ins, CBP-arrested",
}


def _figure(series: str, rows: list[dict[str, Any]]) -> str:
    fig = go.Figure()
    for used, color in (("fitted", "#1f77b4"), ("held out", "#d62728")):
        part = [r for r in rows if r["used"] == used]
        if not part:
            continue
        x = [r["end"] for r in part]
        fig.add_trace(go.Scatter(
            x=x, y=[r["p50"] for r in part], mode="markers", name=f"model p50 ({used})",
            marker={"color": color, "symbol": "line-ew-open", "size": 14},
            error_y={"type": "data", "symmetric": False,
                     "array": [r["p95"] - r["p50"] for r in part],
                     "arrayminus": [r["p50"] - r["p5"] for r in part]},
        ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=x, y=[r["observed"] for r in part], mode="markers", name=f"observed ({used})",
            marker={"color": "black" if used == "fitted" else "#d62728", "size": 8},
        ))  # fmt: skip
    fig.update_layout(title=SERIES_LABELS.get(series, series), height=360,
                      margin={"l": 60, "r": 20, "t": 50, "b": 40})  # fmt: skip
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


METRIC_LABELS = {
    "arrests": "ICE ERO administrative arrests",
    "detention_adp": "Average daily population",
    "alos": "Average length of stay (days)",
    "removals": "ICE removals",
}
KIND_LABELS = {
    "fit": "fitted",
    "leave-one-year-out": "left out, predicted",
    "aside": "kept aside, predicted",
}


def _num(metric: str, x: float) -> str:
    return f"{x:,.1f}" if metric == "alos" else f"{x:,.0f}"


def _annual_row(r: dict[str, Any]) -> dict[str, str]:
    m = r["metric"]
    return {
        "period": r["period"],
        "metric": METRIC_LABELS.get(m, m),
        "kind": KIND_LABELS.get(r["kind"], r["kind"]),
        "observed": _num(m, r["observed"]),
        "p5": _num(m, r["sim_p5"]),
        "p50": _num(m, r["sim_p50"]),
        "p95": _num(m, r["sim_p95"]),
        "inside": "yes" if r["inside"] else "no",
        "error": f"{r['rel_error']:+.1%}",
        "confidence": "from memory: shown, not scored" if r["from_memory"] else r["confidence"],
    }


def annual_section(doc: dict[str, Any]) -> dict[str, Any]:
    """The annual record's part of the page: every year's figures by kind, the errors and
    coverage by kind and figure, each year's posterior, the population of years."""
    order = list(KIND_LABELS)
    ordered = sorted(doc["rows"], key=lambda r: (r["period"], order.index(r["kind"])))
    rows = [_annual_row(r) for r in ordered]
    errors = [
        {"kind": KIND_LABELS.get(kind, kind), "metric": METRIC_LABELS.get(m, m),
         "median": f"{e['median_abs_error']:.1%}", "max": f"{e['max_abs_error']:.1%}",
         "worst": e["worst_year"], "coverage": _share(e["coverage"]), "n": e["n"]}
        for kind, by in doc["errors"].items() for m, e in by.items()
    ]  # fmt: skip
    years = [
        {"period": period, "fitted_on": ", ".join(METRIC_LABELS.get(m, m) for m in y["fitted_on"]),
         "quantities": "; ".join(f"{k} {v['p50']:.3g} ({v['p5']:.3g}-{v['p95']:.3g})"
                                 for k, v in y["posterior"].items()),
         "rhat": f"{max(y['diagnostics']['rhat']):.2f}{_stuck(y['diagnostics'])}"}
        for period, y in doc["years"].items()
    ]  # fmt: skip
    population = [
        {"name": k, "p5": f"{v['p5']:.3g}", "p50": f"{v['p50']:.3g}", "p95": f"{v['p95']:.3g}",
         "years": ", ".join(v["years"]) or "none (the prior)", "at_one": _under(v)}
        for k, v in doc["population"].items()
    ]  # fmt: skip
    informed = "; ".join(
        f"{k}: {' or '.join(METRIC_LABELS.get(m, m).lower() for m in ms)}"
        for k, ms in doc.get("informed_by", {}).items()
    )
    t42 = doc.get("title_42")
    title_42 = f"in force {t42['effective']} to {t42['ended']}, {t42['publisher']}" if t42 else ""
    policy = "; ".join(
        f"{p['scope']} from {p['effective']}" for p in doc.get("priority_policy", [])
    )
    s = doc["settings"]
    settings = (
        f"{s['walkers']} walkers x {s['steps']} steps per year ({s['burn']} burn-in), "
        f"{s['reps']} replications per point; checks {s['check_draws']} draws x "
        f"{s['check_reps']} replications"
    )
    return {"rows": rows, "errors": errors, "years": years, "population": population,
            "settings": settings, "informed_by": informed, "title_42": title_42,
            "policy": policy}  # fmt: skip


def _stuck(d: dict[str, Any]) -> str:
    """What the diagnostics say of walkers that never moved after burn-in, if any."""
    n = d.get("stuck_walkers") or 0
    return f" ({n} of {d['walkers']} walkers never moved after burn-in)" if n else ""


COVARIATE_LABELS = {
    "broad_share": "share of the year under a broad priority policy",
    "title42_share": "share of the year under Title 42",
}


def _under(v: dict[str, Any]) -> str:
    """A quantity's population for a year wholly under its covariate, if it moves with
    one."""
    u, c = v.get("at_one"), v.get("covariate")
    if not u or not c:
        return "does not move"
    return f"{COVARIATE_LABELS.get(c, c)}: {u['p50']:.3g} ({u['p5']:.3g}-{u['p95']:.3g})"


def render_checks(doc: dict[str, Any], annual: dict[str, Any] | None = None) -> str:
    """The checks page as one HTML string (``annual``: the annual fit's part of the page,
    :func:`annual_section` of its document)."""
    rows = [r | {"used": "fitted"} for r in doc["checks"]["fitted"]]
    rows += [r | {"used": "held out"} for r in doc["checks"].get("held_out", [])]
    figures = [_figure(s, [r for r in rows if r["series"] == s])
               for s in dict.fromkeys(r["series"] for r in rows)]  # fmt: skip
    d = doc["diagnostics"]
    rhat = max(d["rhat"])
    mixing = (
        f"split R-hat up to {rhat:.2f}, above 1.1: the chain has not converged, so the "
        "bands may be too narrow or off"
        if rhat > 1.1
        else f"split R-hat up to {rhat:.2f}; effective samples from "
        f"{min(e for e in d['effective_samples'] if e is not None):.0f}"
    ) + _stuck(d)
    diagnostics = (
        f"{d['walkers']} walkers, {d['steps_after_burn']} steps after burn-in, acceptance "
        f"{d['acceptance_fraction']:.2f}, {mixing}"
    )
    s = doc["settings"]
    table = [
        {"series": SERIES_LABELS.get(r["series"], r["series"]),
         "period": r["start"] if r["start"] == r["end"] else f"{r['start']} to {r['end']}",
         "observed": f"{r['observed']:,.0f}", "p5": f"{r['p5']:,.0f}", "p50": f"{r['p50']:,.0f}",
         "p95": f"{r['p95']:,.0f}", "inside": "yes" if r["inside"] else "no",
         "error": f"{r['rel_error']:+.1%}", "confidence": r["confidence"], "used": r["used"]}
        for r in rows
    ]  # fmt: skip
    params = [
        {"name": p["name"], "prior": f"{p['prior']} {p['low']:g}-{p['high']:g}",
         "p5": f"{doc['posterior'][p['name']]['p5']:.3g}",
         "p50": f"{doc['posterior'][p['name']]['p50']:.3g}",
         "p95": f"{doc['posterior'][p['name']]['p95']:.3g}", "why": p["why"]}
        for p in doc["priors"]
    ]  # fmt: skip
    return render_page(
        "checks.html",
        version=doc["atlarge_version"],
        settings=f"{s['walkers']} walkers x {s['steps']} steps, {s['reps']} replications per "
        f"point, seed {s['seed']}; record to {doc['data']['record_ends']}",
        coverage=_share(doc["checks"]["coverage"]),
        held_coverage=_share(doc["checks"]["held_out_coverage"])
        if "held_out_coverage" in doc["checks"]
        else None,
        diagnostics=diagnostics,
        figures=figures,
        rows=table,
        params=params,
        annual=annual,
    )

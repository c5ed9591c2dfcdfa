"""Two runs side by side: each KPI of A and of B, and B minus A with its band
(``atlarge compare``, ``compare.json``).

**Paired or not.** Replication ``i`` of a run draws from random stream ``i`` of its seed
(``SeedSequence`` child ``i``), and with parameter draws uses draw ``i // J`` of the same
seed. Two runs with the same seed, the same number of replications and the same layout
of parameter draws therefore share their random streams replication by replication
(common random numbers): the difference B - A of replication ``i`` is what the change
between the scenarios does under the same chance. Their comparison is **paired**: the
band of B - A is the 5th-95th percentile of the per-replication differences
``B[i] - A[i]``, narrower than the spread of either run when chance moves both alike.

With parameter draws, sharing the streams also takes drawing the same parameters from
the same source: draw ``k`` applies one generator to the ranged parameters in turn, so
two scenarios ranging over other sets of parameters draw other values even for those they
share. Such runs pair only when their summaries list the same ``drawn_parameters`` and
the same use of a posterior (``uncertainty.posterior``).

Runs that do not share their streams (another seed, another number of replications or
of parameter draws, other drawn parameters) are compared **unpaired**: the band of B - A
is the 5th-95th percentile of ``B[j] - A[i]`` over ``RESAMPLED_PAIRS`` pairs ``(i, j)``
drawn independently and uniformly (a generator seeded with ``RESAMPLE_SEED``, so the same two
runs always give the same file). That is the spread of the difference of two independent
outcomes: wider than a paired band, and said so in the output.

Either way the centre of B - A is its median over the pairs, and its mean is the mean of
B minus the mean of A. A KPI undefined in a replication (detention never full) leaves
that pair out; ``pairs_defined`` says how many were left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from atlarge.analysis.bands import bands
from atlarge.analysis.kpis import KPIS, shown_kpis
from atlarge.analysis.summary import PERCENTILES, run_differences

RESAMPLED_PAIRS = 10_000
"""Pairs drawn for an unpaired band."""
RESAMPLE_SEED = 0
"""Seed of the generator drawing those pairs (fixed: the same runs, the same band)."""
SERIES = ("arrests", "detained", "removed", "released")
"""The national daily series drawn for both runs, when both folders hold a daily table."""
SERIES_QUANTILES = (5, 50, 95)

Pairing = Literal["paired", "unpaired"]


@dataclass(frozen=True)
class RunData:
    """What a comparison reads of a run: its summary, its KPIs per replication
    (``replications.parquet``) and its national daily series per replication
    (measure -> ``(reps, days)``; empty when the run kept no daily table)."""

    label: str
    summary: Mapping[str, Any]
    per_rep: Mapping[str, np.ndarray]
    series: Mapping[str, np.ndarray]


def pairing(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[Pairing, str]:
    """Whether two runs' summaries say they shared their random streams, and why.

    Runs without parameter draws pair on seed and replications. Runs with parameter
    draws must also have drawn the same parameters from the same source: draw ``k``
    applies one generator to the ranged parameters in turn (or to a posterior), so two
    scenarios that range over different parameters get other values even for the
    parameters they share, and their replication ``i`` did not run under the same chance.
    """
    ua, ub = a.get("uncertainty") or {}, b.get("uncertainty") or {}
    layout_a = (ua.get("kind"), ua.get("draws"), ua.get("replications_by_draw"))
    layout_b = (ub.get("kind"), ub.get("draws"), ub.get("replications_by_draw"))
    reasons = []
    if a["seed"] != b["seed"]:
        reasons.append(f"seeds differ (A {a['seed']}, B {b['seed']})")
    if a["reps"] != b["reps"]:
        reasons.append(f"replications differ (A {a['reps']}, B {b['reps']})")
    if layout_a != layout_b:
        reasons.append("their parameter draws are laid out differently")
    elif ua.get("draws"):
        reasons.extend(_draw_reasons(ua, ub))
    if reasons:
        return "unpaired", (
            f"unpaired: {'; '.join(reasons)}, so replication i of A and of B did not run "
            f"under the same chance. The band of B - A is the 5th-95th percentile of B - A "
            f"over {RESAMPLED_PAIRS:,} independently resampled pairs of replications (wider "
            "than a paired band)."
        )
    drawn = ""
    if ua.get("draws"):
        n = len(ua["drawn_parameters"])
        drawn = f", the same {n:,} drawn parameter{'' if n == 1 else 's'}"
    return "paired", (
        f"paired: same seed ({a['seed']}) and replications ({a['reps']}){drawn}, so "
        "replication i of A and of B shared random streams (common random numbers). The "
        "band of B - A is the 5th-95th percentile of the per-replication differences."
    )


def _draw_reasons(ua: Mapping[str, Any], ub: Mapping[str, Any]) -> list[str]:
    """Why two runs with the same layout of parameter draws did not draw alike: other
    drawn parameters, or a posterior on one side only (none when they drew alike)."""
    drawn_a, drawn_b = ua.get("drawn_parameters"), ub.get("drawn_parameters")
    reasons = []
    unknown = [s for s, d in (("A", drawn_a), ("B", drawn_b)) if not isinstance(d, list)]
    if unknown:
        reasons.append(
            f"the summary of {' and '.join(unknown)} does not list the parameters it drew"
        )
    elif drawn_a != drawn_b:
        shared = len(set(drawn_a) & set(drawn_b))
        reasons.append(
            f"they draw different parameters (A {len(drawn_a):,}, B {len(drawn_b):,}, "
            f"{shared:,} shared), so parameter draw k gave even the shared ones other values"
        )
    post_a, post_b = bool(ua.get("posterior")), bool(ub.get("posterior"))
    if post_a != post_b:
        with_post = "A" if post_a else "B"
        reasons.append(f"only {with_post} draws from a fitted posterior")
    return reasons


def differences(a: np.ndarray, b: np.ndarray, how: Pairing) -> np.ndarray:
    """The differences B - A the band is taken over: per replication when paired, over
    resampled independent pairs when not; undefined pairs (NaN) left out."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if how == "paired":
        d = b - a
    else:
        rng = np.random.default_rng(RESAMPLE_SEED)
        i = rng.integers(len(a), size=RESAMPLED_PAIRS)
        j = rng.integers(len(b), size=RESAMPLED_PAIRS)
        d = b[j] - a[i]
    return d[~np.isnan(d)]


def difference_band(a: np.ndarray, b: np.ndarray, how: Pairing) -> dict[str, Any]:
    """B - A: mean (mean of B minus mean of A), p5, p50, p95 over the differences, and
    the share of pairs where both were defined."""
    d = differences(a, b, how)
    total = len(a) if how == "paired" else RESAMPLED_PAIRS
    out: dict[str, Any] = {}
    out["mean"] = _num(_mean(b) - _mean(a))
    for q in PERCENTILES:
        out[f"p{q}"] = _num(np.percentile(d, q)) if len(d) else None
    out["pairs_defined"] = len(d) / total if total else 0.0
    return out


def _mean(v: np.ndarray) -> float:
    """The mean over the replications where the value is defined (NaN: none)."""
    v = np.asarray(v, dtype=np.float64)
    defined = v[~np.isnan(v)]
    return float(defined.mean()) if len(defined) else float("nan")


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def compare_runs(a: RunData, b: RunData) -> dict[str, Any]:
    """The ``compare.json`` document: what was compared, how, and each KPI's A, B and B - A
    (the KPIs both runs list, less those of a mechanism either has off)."""
    how, why = pairing(a.summary, b.summary)
    both = [k for k in shown_kpis(a.summary) if k in shown_kpis(b.summary)]
    kpis = {}
    for key in both:
        if key not in a.per_rep or key not in b.per_rep:
            continue
        kpi = KPIS[key]
        kpis[key] = {
            "label": kpi.label,
            "unit": kpi.unit,
            "difference_unit": kpi.difference_unit,
            "a": dict(a.summary["kpis"][key]),
            "b": dict(b.summary["kpis"][key]),
            "b_minus_a": difference_band(a.per_rep[key], b.per_rep[key], how),
        }
    return {
        "a": _run_note(a),
        "b": _run_note(b),
        "pairing": how,
        "pairing_note": why,
        "band": "p5-p95 over replications (A, B) and over the differences (B - A)",
        "differences": run_differences(dict(a.summary), dict(b.summary)),
        "kpis": kpis,
        "series": series_bands(a, b),
    }


def _run_note(r: RunData) -> dict[str, Any]:
    s = r.summary
    return {
        "folder": r.label,
        "scenario": s["scenario"]["name"],
        "sha256": s["scenario"]["sha256"],
        "seed": s["seed"],
        "reps": s["reps"],
        "days": s["days"],
        "start_date": s["scenario"].get("start_date"),
        "atlarge_version": s.get("atlarge_version"),
        "uncertainty": (s.get("uncertainty") or {}).get("kind"),
    }


def series_bands(a: RunData, b: RunData) -> dict[str, Any]:
    """Median and p5-p95 of each national daily series (``SERIES``) both runs kept, per
    run: measure -> {"a": {p5, p50, p95}, "b": ...}, lists over days."""
    out: dict[str, Any] = {}
    for m in SERIES:
        if m in a.series and m in b.series:
            out[m] = {
                side: {k: v.tolist() for k, v in bands(r.series[m], SERIES_QUANTILES).items()}
                for side, r in (("a", a), ("b", b))
            }
    return out


__all__ = [
    "RESAMPLED_PAIRS",
    "RESAMPLE_SEED",
    "RunData",
    "compare_runs",
    "difference_band",
    "differences",
    "pairing",
]

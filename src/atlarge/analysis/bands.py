"""Percentile bands over replications, and the daily bands of a run's national series.

The report draws these bands, and the API serves them as numbers (the
explorer page overlays two runs in one chart; any other client can draw them
its own way): p5, p25, p50, p75 and p95 over replications, and the mean.
Daily flows that jump from day to day are smoothed by a trailing mean over the window
the measure registry gives them (model/measures.py), as are their labels and units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from atlarge.model import ModelOutput
from atlarge.model.measures import MEASURES, NATIONAL_SERIES


def bands(series: np.ndarray, qs: tuple[int, ...] = (5, 25, 50, 75, 95)) -> dict[str, np.ndarray]:
    """Percentile bands over replications of a ``(reps, days)`` series."""
    pct = np.percentile(series, qs, axis=0)
    return {f"p{q}": pct[i] for i, q in enumerate(qs)} | {"mean": series.mean(axis=0)}


def trailing_mean(series: np.ndarray, window: int) -> np.ndarray:
    """Mean over the last ``window`` days (fewer at the start), along the last axis.

    A trailing window never reaches past the horizon, so the last days are
    not dragged toward zero as a centred window would drag them.
    """
    c = np.cumsum(series.astype(np.float64), axis=-1)
    lagged = np.zeros_like(c)
    lagged[..., window:] = c[..., :-window]
    n = np.minimum(np.arange(1, series.shape[-1] + 1), window)
    return (c - lagged) / n


def _bands(series: np.ndarray, smooth: int) -> dict[str, list[float]]:
    if smooth > 1:
        series = trailing_mean(series, smooth)
    return {k: np.round(v, 2).tolist() for k, v in bands(series).items()}


def national_bands(out: ModelOutput) -> dict[str, Any]:
    """National daily bands of the main series, the lines they are compared with, and
    arrests by priority group."""
    inp = out.inputs
    group_measure = MEASURES["arrests_by_group"]
    by_group = out.by_group(group_measure.key)  # (reps, groups, days)
    return {
        "dates": inp.dates.astype("datetime64[D]").astype(str).tolist(),
        "reps": out.reps,
        "series": {
            m.key: {
                "label": m.label,
                "unit": m.unit,
                "smooth_days": m.smooth_days,
                "bands": _bands(out.national(m.key), m.smooth_days),
            }
            for m in (MEASURES[k] for k in NATIONAL_SERIES)
        },
        "reference": {
            "target": np.round(inp.target_national, 2).tolist(),
            "beds": inp.beds_national.tolist(),
            "seats": inp.seats.tolist(),
        },
        "groups": [
            {
                "key": key,
                "label": label,
                "smooth_days": group_measure.smooth_days,
                "bands": _bands(by_group[:, j, :], group_measure.smooth_days),
            }
            for j, (key, label) in enumerate(zip(inp.group_keys, inp.group_labels, strict=True))
        ],
    }

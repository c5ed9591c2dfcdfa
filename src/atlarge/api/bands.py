"""Daily percentile bands of a run, as the explorer page draws them.

The page gets numbers, not figures: it overlays two runs in one chart when
they are compared, and any other client can draw the same bands its own
way. The bands are those of the HTML report (``analysis.bands``): p5, p25,
p50, p75 and p95 over replications, and the mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from atlarge.analysis import bands, trailing_mean
from atlarge.model import ModelOutput

SMOOTH_DAYS = 7
"""Window of the trailing mean for daily flows that jump from day to day."""

SERIES: tuple[tuple[str, str, str, int], ...] = (
    ("arrests", "Arrests per day", "arrests/day", 1),
    ("detained", "Detained", "persons", 1),
    ("removed", "Removals per day", "persons/day", SMOOTH_DAYS),
    ("released", "Releases per day", "persons/day", SMOOTH_DAYS),
    ("released_capacity", "of which for lack of beds", "persons/day", SMOOTH_DAYS),
)


def _bands(series: np.ndarray, smooth: int) -> dict[str, list[float]]:
    if smooth > 1:
        series = trailing_mean(series, smooth)
    return {k: np.round(v, 2).tolist() for k, v in bands(series).items()}


def run_bands(out: ModelOutput) -> dict[str, Any]:
    """National daily bands of the main series, the lines they are compared with, and
    arrests by priority group."""
    inp = out.inputs
    by_group = out.series["arrests_by_group"].sum(axis=1)  # (reps, groups, days)
    return {
        "dates": inp.dates.astype("datetime64[D]").astype(str).tolist(),
        "reps": out.reps,
        "series": {
            key: {
                "label": label,
                "unit": unit,
                "smooth_days": smooth,
                "bands": _bands(out.national(key), smooth),
            }
            for key, label, unit, smooth in SERIES
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
                "smooth_days": SMOOTH_DAYS,
                "bands": _bands(by_group[:, j, :], SMOOTH_DAYS),
            }
            for j, (key, label) in enumerate(zip(inp.group_keys, inp.group_labels, strict=True))
        ],
    }

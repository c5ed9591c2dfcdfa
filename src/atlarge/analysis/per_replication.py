"""Per-replication KPI values: what ``replications.parquet`` in a run folder holds.

summary.json keeps each KPI's mean and percentiles over replications; a comparison of two
runs needs the values themselves, replication by replication, so that the difference of
two runs that shared their random streams (same seed, same replications) can be taken
replication by replication (:mod:`atlarge.analysis.compare`). One row per replication:
``rep`` (its index, which fixes its random stream), ``draw`` (the parameter draw it used;
-1 when every parameter was held at its value) and one float column per KPI that
summary.json lists, NaN where the KPI is undefined (detention never full).
"""

from __future__ import annotations

import numpy as np

from atlarge.analysis.kpis import KPIS, kpi_values, listed
from atlarge.analysis.summary import mechanisms
from atlarge.model import ModelOutput

FIXED_DRAW = -1
"""The ``draw`` of a replication run with every parameter at its value."""


def replication_columns(out: ModelOutput) -> dict[str, np.ndarray]:
    """``rep``, ``draw`` and one column per KPI of summary.json, in its order."""
    on = mechanisms(out.scenario)
    draw = (
        np.asarray(out.draw_of_rep, dtype=np.int32)
        if out.uncertainty
        else np.full(out.reps, FIXED_DRAW, dtype=np.int32)
    )
    columns: dict[str, np.ndarray] = {"rep": np.arange(out.reps, dtype=np.int32), "draw": draw}
    for key, values in kpi_values(out).items():
        if listed(KPIS[key], on):
            columns[key] = np.asarray(values, dtype=np.float64)
    return columns

"""The tidy daily table: one row per (replication, office, day), one column per measure."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from atlarge.model import ModelOutput
from atlarge.model.measures import GROUP_MEASURES, MEASURES, NATIONAL_SERIES, OFFICE_MEASURES


def national_table(out: ModelOutput, measures: tuple[str, ...] = NATIONAL_SERIES) -> pa.Table:
    """National daily series, one row per (replication, day): what sweeps store and the API
    serves (the per-office table is ``timeseries_table``)."""
    days = out.days
    return pa.table(
        {
            "rep": np.repeat(np.arange(out.reps, dtype=np.int32), days),
            "day": np.tile(np.arange(1, days + 1, dtype=np.int16), out.reps),
            **{m: out.national(m).reshape(-1) for m in measures},
        }
    )


def timeseries_table(out: ModelOutput) -> pa.Table:
    """Build the table without a Python loop over rows (NumPy reshapes only).

    Columns: ``rep``, ``office`` (code, dictionary-encoded), ``day`` (1 = start
    date), ``date``, each office measure, then each group measure per priority group
    (``arrests_<group>``, ``pool_<group>``), in the order of the measure registry
    (model/measures.py, which says what each column means). National totals are a
    group-by away.
    """
    inp = out.inputs
    r, o, d = out.reps, inp.n_offices, inp.days
    rep = np.repeat(np.arange(r, dtype=np.int32), o * d)
    office_idx = np.tile(np.repeat(np.arange(o, dtype=np.int32), d), r)
    day = np.tile(np.arange(1, d + 1, dtype=np.int16), r * o)
    dates = np.tile(inp.dates, r * o)
    cols: dict[str, pa.Array] = {
        "rep": pa.array(rep),
        "office": pa.DictionaryArray.from_arrays(
            pa.array(office_idx), pa.array(list(inp.offices.codes))
        ),
        "day": pa.array(day),
        "date": pa.array(dates.astype("datetime64[D]")),
    }
    for m in OFFICE_MEASURES:
        cols[m] = pa.array(out.series[m].reshape(-1))
    for m in GROUP_MEASURES:
        measure = MEASURES[m]
        for j, key in enumerate(inp.group_keys):
            cols[measure.column(key)] = pa.array(out.series[m][:, :, j, :].reshape(-1))
    return pa.table(cols)

"""The tidy daily table: one row per (replication, office, day), one column per measure.

What a run writes to ``timeseries.parquet`` follows its ``timeseries`` option
(:func:`daily_table`): ``full``, the per-office table; ``national``, the same
columns with one row per (replication, day) and office ``"national"`` (the
national totals the per-office table's group-by gives); ``none``, no table.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from atlarge.errors import OptionError
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


NATIONAL_OFFICE = "national"
"""The office code of the national table's rows."""


def national_daily_table(out: ModelOutput) -> pa.Table:
    """The per-office table's columns summed over offices: one row per (replication, day),
    ``office`` = ``"national"``; measure columns are int64 (a sum over offices), read
    from the reduced arrays every run keeps (no full series needed)."""
    inp = out.inputs
    r, d = out.reps, inp.days
    cols: dict[str, pa.Array] = {
        "rep": pa.array(np.repeat(np.arange(r, dtype=np.int32), d)),
        "office": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(r * d, dtype=np.int32)), pa.array([NATIONAL_OFFICE])
        ),
        "day": pa.array(np.tile(np.arange(1, d + 1, dtype=np.int16), r)),
        "date": pa.array(np.tile(inp.dates, r).astype("datetime64[D]")),
    }
    for m in OFFICE_MEASURES:
        cols[m] = pa.array(out.national(m).reshape(-1))
    for m in GROUP_MEASURES:
        measure = MEASURES[m]
        groups = out.by_group(m)
        for j, key in enumerate(inp.group_keys):
            cols[measure.column(key)] = pa.array(groups[:, j, :].reshape(-1))
    return pa.table(cols)


def daily_table(out: ModelOutput) -> pa.Table:
    """The daily table the run's ``timeseries`` option keeps (see the module docstring)."""
    if out.timeseries == "full":
        return timeseries_table(out)
    if out.timeseries == "national":
        return national_daily_table(out)
    raise OptionError(
        "timeseries",
        "is 'none': this run kept no daily table; run with timeseries 'national' "
        "(one row per replication and day) or 'full' (per office)",
    )

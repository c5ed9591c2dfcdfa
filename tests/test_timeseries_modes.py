"""What a run keeps of its daily series (issue 15, bounded memory): ``timeseries`` full,
national or none changes memory and timeseries.parquet, never a number of the summary."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import atlarge
from atlarge.errors import OptionError
from atlarge.model.measures import GROUP_MEASURES, OFFICE_MEASURES
from atlarge.model.output import TIMESERIES, SeriesNotKept, reduce_series
from atlarge.runs.config import TIMESERIES as CONFIG_TIMESERIES
from atlarge.runs.config import RunConfig
from tests.conftest import ROOT

SCENARIOS = ROOT / "scenarios"
CASES = {
    "operation-at-large (courts)": ("operation-at-large.toml", {}),
    "2025-as-implemented (courts, parameter draws)": (
        "2025-as-implemented.toml",
        {"uncertainty_inner": 2},
    ),
    "baseline-2024 (parameter draws)": ("baseline-2024.toml", {"uncertainty_inner": 2}),
    "operation-at-large-funded": ("operation-at-large-funded.toml", {}),
}


def _runs(name: str, **kw) -> dict[str, atlarge.Simulation]:
    sc = atlarge.load_scenario(SCENARIOS / name, set={"days": 60})
    reps = 6 if kw else 5  # whole parameter draws of 2
    return {
        kept: atlarge.simulate(sc, reps=reps, seed=4, chunk_size=2, timeseries=kept, **kw)
        for kept in TIMESERIES
    }


@pytest.fixture(scope="module")
def operation() -> dict[str, atlarge.Simulation]:
    return _runs("operation-at-large.toml")


@pytest.mark.parametrize("case", list(CASES))
def test_the_summary_is_the_same_whatever_is_kept(case):
    name, kw = CASES[case]
    runs = _runs(name, **kw)
    summaries = {}
    for kept, res in runs.items():
        s = json.loads(json.dumps(res.summary()))
        assert s.pop("timeseries") == kept
        summaries[kept] = s
    assert summaries["national"] == summaries["full"]
    assert summaries["none"] == summaries["full"]
    full, national = runs["full"].output, runs["national"].output
    assert np.array_equal(full.daily_costs(), national.daily_costs())


def test_the_national_table_is_the_per_office_table_summed_over_offices(operation):
    per_office = operation["full"].to_frame()
    national = operation["national"].to_frame()
    assert len(national) == 5 * 60 and set(national["office"]) == {"national"}
    assert list(national.columns) == list(per_office.columns)
    measures = list(national.columns[4:])
    assert set(OFFICE_MEASURES) <= set(measures) and len(measures) > len(OFFICE_MEASURES)
    summed = per_office.groupby(["rep", "day"], observed=True)[measures].sum().reset_index()
    assert np.array_equal(summed[measures].to_numpy(), national[measures].to_numpy())
    assert np.array_equal(summed[["rep", "day"]].to_numpy(), national[["rep", "day"]].to_numpy())
    dates = per_office.drop_duplicates(["rep", "day"])["date"].to_numpy()
    assert np.array_equal(dates, national["date"].to_numpy())


def test_none_keeps_no_table_and_a_missing_series_names_the_option(operation, tmp_path):
    with pytest.raises(OptionError, match="none") as exc:
        operation["none"].to_arrow()
    assert exc.value.parameter == "timeseries"
    folder = operation["none"].report(tmp_path / "none")
    assert not (folder / "timeseries.parquet").exists() and (folder / "report.html").is_file()
    folder = operation["national"].report(tmp_path / "national")
    assert pq.read_table(folder / "timeseries.parquet").num_rows == 5 * 60
    for kept in ("national", "none"):
        with pytest.raises(SeriesNotKept, match="timeseries = 'full'"):
            operation[kept].output.series["arrests"]
        with pytest.raises(SeriesNotKept):
            list(operation[kept].output.series)
    assert operation["full"].output.series["arrests"].shape == (5, 25, 60)


def test_the_option_is_checked_by_name():
    assert TIMESERIES == CONFIG_TIMESERIES  # model and run options say the same
    assert RunConfig().timeseries == "national"
    with pytest.raises(OptionError, match="full, national or none") as exc:
        RunConfig(timeseries="offices")
    assert exc.value.parameter == "timeseries"


@settings(max_examples=30, deadline=None)
@given(
    reps=st.integers(1, 6),
    offices=st.integers(1, 4),
    groups=st.integers(1, 3),
    days=st.integers(1, 5),
    cut=st.integers(0, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_reducing_chunks_is_reducing_the_whole_run(reps, offices, groups, days, cut, seed):
    """Chunks reduced where they ran and put together are the whole run reduced: each
    reduced array is per replication, so the cut never matters."""
    rng = np.random.default_rng(seed)
    series = {
        m: rng.integers(0, 1000, (reps, offices, days), dtype=np.int32) for m in OFFICE_MEASURES
    }
    series |= {
        m: rng.integers(0, 1000, (reps, offices, groups, days), dtype=np.int32)
        for m in GROUP_MEASURES
    }
    series["path_entries"] = rng.integers(0, 1000, (reps, 3, days), dtype=np.int32)
    cut = min(cut, reps)
    parts = [
        reduce_series({k: a[lo:hi] for k, a in series.items()})
        for lo, hi in ((0, cut), (cut, reps))
    ]
    whole = reduce_series(series)
    for key, a in whole.items():
        assert np.array_equal(a, np.concatenate([p[key] for p in parts])), key
    m = OFFICE_MEASURES[0]
    assert np.array_equal(whole[f"national/{m}"], series[m].sum(axis=1))
    assert np.array_equal(whole[f"max/{m}"], series[m].max(axis=2))

"""The typed record (data/observed.csv) says what the shared sheet says."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from atlarge.analysis.observed import TARGET_METRICS, figure, load_observed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "public-figures.csv"


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*\.?\d*", text)]


def test_every_value_is_a_number_in_its_published_text():
    for f in load_observed():
        published = _numbers(f.published_as)
        if "midpoint" in f.note:  # a range published as '~28,000-29,000'
            low, high = _numbers(f.note.split("'")[1])
            assert f.value == pytest.approx((low + high) / 2)
        else:
            assert any(f.value == pytest.approx(x) for x in published), (f.metric, f.period)
        assert f.source and f.confidence and f.count and f.unit


def test_counts_are_named_apart():
    assert "not returns" in figure("removals", "FY2024").count
    assert "excludes CBP" in figure("arrests", "FY2024").count


def test_memory_rows_are_flagged_and_confirmed_rows_are_not():
    assert figure("removals", "FY2017").from_memory
    assert figure("detention_adp", "FY2022").from_memory
    assert not figure("arrests", "FY2018").from_memory  # "Medium-high for ~158k"
    assert not figure("arrests", "FY2024").from_memory


def test_the_fit_years_have_their_headline_figures():
    for fy in (2016, 2017, 2018, 2022, 2023, 2024):
        assert figure("arrests", f"FY{fy}") is not None
        assert figure("removals", f"FY{fy}") is not None
    assert {f.metric for f in load_observed()} >= set(TARGET_METRICS)


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/data not beside the checkout")
def test_rows_come_from_the_shared_sheet():
    shared = list(csv.DictReader(SHARED.open()))
    sources = {r["source"] for r in shared}
    published = {r["value"] for r in shared}
    for f in load_observed():
        assert f.source in sources, (f.metric, f.period)
        assert f.published_as in published, (f.metric, f.period)

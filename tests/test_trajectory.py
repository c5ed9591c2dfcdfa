"""The 2025 record (data/trajectory-2025.csv) says what the shared sheet says, and no more."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atlarge.analysis.trajectory import (
    RECORD_END,
    RECORD_START,
    RELATIVE_SD,
    Observation,
    confidence_class,
    day_range,
    fitted,
    load_trajectory,
    month_index,
    relative_sd,
    series,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "trajectory-2025.csv"

CLASSES = ("high", "medium_high", "medium", "low", "from_memory")  # confidence falling


def _squash(text: str) -> str:
    return " ".join(text.split())


def _numbers(text: str) -> list[float]:
    out = []
    for m in re.finditer(r"\d[\d,]*\.?\d*(\s*million)?", text):
        x = float(m.group(0).split()[0].rstrip(".").replace(",", "").replace("million", ""))
        out.append(x * 1e6 if m.group(1) else x)
    return out


def test_the_record_loads_and_is_frozen():
    rows = load_trajectory()
    assert len(rows) > 50
    with pytest.raises(ValueError):
        rows[0].value = 0  # type: ignore[misc]


def test_dates_lie_in_fy2025_and_nothing_after_september_2025():
    first, last = date(2024, 10, 1), date(2025, 9, 30)  # literal: not the module's constants
    for o in load_trajectory():
        assert first <= o.start <= o.end <= last, (o.series, o.start, o.end)
    assert (first, last) == (RECORD_START, RECORD_END)


def test_each_series_has_one_unit_and_one_kind():
    units: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    for o in load_trajectory():
        assert o.unit and o.kind
        units.setdefault(o.series, set()).add(o.unit)
        kinds.setdefault(o.series, set()).add(o.kind)
    assert all(len(u) == 1 for u in units.values()), units
    assert all(len(k) == 1 for k in kinds.values()), kinds


def test_every_fitted_or_checked_number_reads_back_from_its_text():
    for o in load_trajectory():
        if o.use == "context":
            continue
        published = _numbers(o.published_as)
        value = o.value * 100 if o.kind == "share" else o.value
        if o.low is not None and o.high is not None:  # a range: its midpoint
            assert o.low in published and o.high in published, o.series
            assert o.value == pytest.approx((o.low + o.high) / 2)
            assert "midpoint" in o.note
        else:
            assert any(value == pytest.approx(x) for x in published), (o.series, o.start)


def test_use_follows_the_published_confidence_and_kind():
    for o in load_trajectory():
        cross_check = "use only as cross-check" in o.confidence
        assert (o.use == "check") == cross_check, (o.series, o.start)
        if o.kind == "peak":
            assert o.use == "context", o.series
        assert o.confidence_class == confidence_class(o.confidence)
    assert all(o.use == "fit" for o in fitted())
    assert {o.use for o in series("guard_troops")} == {"context"}


def test_multi_value_cells_are_split():
    monthly = [o for o in series("arrests_per_day") if o.days >= 28]
    assert [(o.start.month, o.value) for o in monthly] == [
        (2, 622),
        (3, 623),
        (4, 582),
        (5, 756),
        (6, 995),
        (7, 884),
        (8, 949),
        (9, 1127),
    ]
    for o in series("book_ins_total", use="fit"):
        if o.days <= 31:
            (ice,) = [x for x in series("book_ins_ice") if x.start == o.start]
            (cbp,) = [x for x in series("book_ins_cbp", use="fit") if x.start == o.start]
            assert ice.value + cbp.value == o.value
    assert len(series("book_ins_ice")) == 5
    alos = series("alos_days")
    assert [o.value for o in alos] == [52, 46, 50, 44]
    assert alos[1].dates_approx and not alos[0].dates_approx


def test_a_snapshot_is_one_day_and_the_100_days_keep_both_ends():
    for o in load_trajectory():
        if o.kind in ("snapshot", "share"):
            assert o.start == o.end
    (hundred,) = [o for o in series("arrests") if o.use == "fit"]
    assert (hundred.start, hundred.end, hundred.days) == (date(2025, 1, 20), date(2025, 4, 29), 100)


def test_day_range_is_half_open_from_the_scenario_start():
    (feb,) = [o for o in series("arrests_per_day") if o.start == date(2025, 2, 1) and o.days == 28]
    assert day_range(feb, date(2025, 1, 1)) == (31, 59)
    assert month_index(feb, date(2025, 2, 1)) == (0, 28)
    (first,) = [o for o in series("detained") if o.start == date(2025, 1, 20)]
    assert day_range(first, date(2025, 1, 20)) == (0, 1)
    oct_ = series("book_ins_ice")[0]
    a, b = day_range(oct_, date(2025, 1, 20))
    assert a < 0 and b - a == 31


def _obs(cls: str, value: float, low: float | None, high: float | None) -> Observation:
    confidence = {
        "high": "High",
        "medium_high": "Medium-high",
        "medium": "Medium",
        "low": "Low",
        "from_memory": "FROM MEMORY, UNVERIFIED",
    }[cls]
    return Observation(
        series="x",
        start=date(2025, 1, 1),
        end=date(2025, 1, 1),
        value=value,
        low=low,
        high=high,
        unit="u",
        kind="snapshot",
        use="fit",
        source="s",
        confidence=confidence,
        confidence_class=cls,
        published_as="p",
    )


@given(
    value=st.floats(1.0, 1e7),
    spread=st.one_of(st.none(), st.floats(0.0, 0.9)),
)
def test_relative_sd_grows_as_confidence_falls(value, spread):
    low = high = None
    if spread is not None:
        low, high = value * (1 - spread), value * (1 + spread)
    sds = [relative_sd(_obs(c, value, low, high)) for c in CLASSES]
    assert sds == sorted(sds)
    assert all(sd > 0 for sd in sds)
    if spread is not None:  # half the range over the value is a floor
        assert sds[0] >= spread * (1 - 1e-9)


def test_relative_sd_classes_and_the_published_range():
    assert [RELATIVE_SD[c] for c in CLASSES] == sorted(RELATIVE_SD[c] for c in CLASSES)
    (jan,) = [o for o in series("detained") if o.start == date(2025, 1, 20)]
    assert relative_sd(jan) == pytest.approx(RELATIVE_SD["medium_high"])  # 500/39,500 < 0.06
    assert relative_sd(_obs("high", 100, 80, 120)) == pytest.approx(0.20)


def test_confidence_class_rule():
    assert confidence_class("Medium-high for ~158k; exact digits FROM MEMORY") == "medium_high"
    assert confidence_class("FROM MEMORY, UNVERIFIED") == "from_memory"
    assert confidence_class("Low (aggregator; use only as cross-check)") == "low"
    with pytest.raises(ValueError):
        confidence_class("unknown")


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/data not beside the checkout")
def test_rows_come_from_the_shared_sheet():
    shared = list(csv.DictReader(SHARED.open()))
    for o in load_trajectory():
        matches = [
            r
            for r in shared
            if r["source"] == o.source and _squash(o.published_as) in _squash(r["value"])
        ]
        assert matches, (o.series, o.start, o.published_as)
        assert o.confidence in {r["confidence"] for r in matches}, (o.series, o.start)

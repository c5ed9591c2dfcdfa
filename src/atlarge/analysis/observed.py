"""The public record the model is held to: ``data/observed.csv``, typed.

Built from ``shared/data/public-figures.csv``: each row is one figure for one
fiscal year, parsed to a number, with the count it is (ICE removals are not
returns or expulsions; arrests are ICE ERO administrative arrests, not CBP
apprehensions), its unit, source and confidence as published. Rows whose
confidence starts "FROM MEMORY" are shown in backtests but never fitted on.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

TARGET_METRICS = ("arrests", "detention_adp", "alos", "removals")
"""Figures the model is held to; the others (beds, officers, book-ins) are inputs."""

METRIC_LABELS = {
    "arrests": "ICE ERO administrative arrests",
    "detention_adp": "Detention average daily population",
    "alos": "Average length of stay (days)",
    "removals": "ICE removals",
}


class Figure(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    period: str
    value: float
    unit: str
    count: str
    source: str
    confidence: str
    published_as: str
    note: str = ""

    @property
    def from_memory(self) -> bool:
        """Recorded from memory and unverified (the sheet's own label leads the text).

        "Medium-high for ~158k; exact digits FROM MEMORY" is confirmed to its
        rounding and counts as confirmed.
        """
        return self.confidence.upper().startswith("FROM MEMORY")


@lru_cache(maxsize=1)
def load_observed() -> tuple[Figure, ...]:
    text = resources.files("atlarge.data").joinpath("observed.csv").read_text()
    return tuple(Figure.model_validate(row) for row in csv.DictReader(text.splitlines()))


def figure(metric: str, period: str) -> Figure | None:
    """The figure for ``metric`` in ``period`` (e.g. "FY2024"), if the record has one."""
    for f in load_observed():
        if f.metric == metric and f.period == period:
            return f
    return None

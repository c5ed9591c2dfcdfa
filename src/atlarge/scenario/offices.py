"""The 25 ERO field offices and the weights that spread national figures over them.

Public sources give no per-office arrest or detention counts, so the weights
are derived from parameters: each office's estimated population (San Antonio's
includes Harlingen's), the share of it assigned to Harlingen, and the Texas and
Louisiana shares of the detained population. Those parameters are
``offices.weights.*`` of every scenario (sourced, or assumptions with ranges,
changeable with ``--set`` like any other); their defaults, the office list and
the derivation's wording are in ``data/offices.toml``. :func:`derive_offices`
turns them into weights; the defaults give the weights atlarge has always used,
bit for bit.
"""

from __future__ import annotations

import copy
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from atlarge.scenario.params import Param
from atlarge.scenario.sources import format_source

SPLIT_FROM, SPLIT_TO = "SNA", "HAL"
"""The source gives San Antonio and Harlingen together; ``harlingen_split`` divides it."""


@dataclass(frozen=True)
class Offices:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    population_weight: np.ndarray  # sums to 1
    bed_weight: np.ndarray  # sums to 1
    notes: dict[str, str]  # how each weight was set, for the report

    @property
    def n(self) -> int:
        return len(self.codes)

    def subset(self, codes: list[str] | tuple[str, ...] | None) -> Offices:
        """The offices named by ``codes`` (all if None), weights renormalised to sum to 1.

        National figures in a scenario that simulates a subset apply to that
        subset: they are spread over the included offices only.
        """
        if codes is None:
            return self
        idx = np.array([self.codes.index(c) for c in codes])
        pw = self.population_weight[idx]
        bw = self.bed_weight[idx]
        return Offices(
            codes=tuple(self.codes[i] for i in idx),
            names=tuple(self.names[i] for i in idx),
            population_weight=pw / pw.sum(),
            bed_weight=bw / bw.sum(),
            notes=self.notes,
        )


@dataclass(frozen=True)
class OfficeData:
    """``data/offices.toml``: the offices, their detention regions, the default weight
    parameters (as the raw tables a scenario's ``offices.weights`` holds) and the wording
    of how detention shares are split within a region."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    regions: tuple[str, ...]  # "texas", "louisiana" or "other"
    default_weights: dict[str, Any]
    split_notes: tuple[str, ...]

    def weights_with(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` (a scenario's ``offices.weights`` as written) over the defaults: each
        parameter table given replaces the default one whole, as ``extends`` does."""
        out = copy.deepcopy(self.default_weights)
        for key, value in given.items():
            if key == "population" and isinstance(value, Mapping):
                out["population"] = {**out["population"], **value}
            else:
                out[key] = value
        return out


@lru_cache(maxsize=1)
def office_data() -> OfficeData:
    """Read ``data/offices.toml`` (once)."""
    raw = tomllib.loads(resources.files("atlarge.data").joinpath("offices.toml").read_text())
    table = raw["office"]
    pop = raw["population"]
    weights = {
        "population": {
            o["code"]: {"value": o["population"], "unit": pop["unit"], "source": pop["source"]}
            for o in table
            if "population" in o
        },
        **raw["weights"],
    }
    return OfficeData(
        codes=tuple(o["code"] for o in table),
        names=tuple(o["name"] for o in table),
        regions=tuple(o["detention_region"] for o in table),
        default_weights=weights,
        split_notes=tuple(raw["split"].values()),
    )


def derive_offices(
    population: Mapping[str, Param],
    harlingen_split: Param,
    texas_share: Param,
    louisiana_share: Param,
) -> Offices:
    """The weights of all 25 offices from the weight parameters, as offices.toml states.

    Population weight: each office's population over the total, San Antonio's
    divided with Harlingen by ``harlingen_split``. Bed weight: the Texas share
    equally over the Texas offices, the Louisiana share to the Louisiana office,
    the rest over the other offices by population.
    """
    data = office_data()
    codes = data.codes
    pop = np.array([population[c].value if c in population else 0.0 for c in codes])
    split = harlingen_split.value
    sna, hal = codes.index(SPLIT_FROM), codes.index(SPLIT_TO)
    pop[hal] = pop[sna] * split
    pop[sna] = pop[sna] * (1.0 - split)
    population_weight = pop / pop.sum()

    region = np.array(data.regions)
    tx, la = texas_share.value, louisiana_share.value
    bed = np.zeros(len(codes))
    bed[region == "texas"] = tx / (region == "texas").sum()
    bed[region == "louisiana"] = la / (region == "louisiana").sum()
    other = region == "other"
    bed[other] = (1.0 - tx - la) * pop[other] / pop[other].sum()
    notes = {
        "population": _population_note(population),
        "harlingen_split": _said(harlingen_split),
        "texas_share": _said(texas_share),
        "louisiana_share": _said(louisiana_share),
        # the split's words carry the shares as set (e.g. "the remaining 34%"), not as filed
        "bed_split": " ".join(
            n.format(rest=1.0 - tx - la, n_other=int(other.sum())) for n in data.split_notes
        ),
    }
    return Offices(codes, data.names, population_weight, bed / bed.sum(), notes)


def _said(p: Param) -> str:
    """What a weight parameter says of itself: its rationale and its source."""
    return " ".join(x for x in (p.rationale, format_source(p.source)) if x)


def _population_note(population: Mapping[str, Param]) -> str:
    """The source of the population estimates; offices whose source differs (a value set
    for one office) are named with theirs."""
    said = {code: _said(p) for code, p in population.items()}
    common = Counter(said.values()).most_common(1)[0][0]
    others = [f"{code}: {text}" for code, text in said.items() if text != common]
    return "; ".join([common, *others])


@lru_cache(maxsize=1)
def load_offices() -> Offices:
    """All 25 offices with the default weights (``data/offices.toml``); a scenario's own
    weights come from ``Scenario.offices.spread()``."""
    defaults = {
        k: (
            {c: Param.model_validate(t) for c, t in v.items()}
            if k == "population"
            else Param.model_validate(v)
        )
        for k, v in office_data().default_weights.items()
    }
    return derive_offices(**defaults)


__all__ = ["OfficeData", "Offices", "derive_offices", "load_offices", "office_data"]

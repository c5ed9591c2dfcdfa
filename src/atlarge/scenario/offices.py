"""The 25 ERO field offices and the weights that spread national figures over them.

Public sources give no per-office arrest or detention counts, so the weights
are derived from the per-AOR population estimate and the state concentration
of detention, as ``data/offices.toml`` states line by line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Offices:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    population_weight: np.ndarray  # sums to 1
    bed_weight: np.ndarray  # sums to 1
    notes: dict[str, str]

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


@lru_cache(maxsize=1)
def load_offices() -> Offices:
    """Read ``data/offices.toml`` and derive the weights it documents."""
    raw = tomllib.loads(resources.files("atlarge.data").joinpath("offices.toml").read_text())
    table = raw["office"]
    codes = tuple(o["code"] for o in table)
    names = tuple(o["name"] for o in table)
    pop = np.array([o["population"] for o in table], dtype=np.float64)
    split = raw["harlingen_split"]["value"]
    sna, hal = codes.index("SNA"), codes.index("HAL")
    pop[hal] = pop[sna] * split
    pop[sna] = pop[sna] * (1.0 - split)
    population_weight = pop / pop.sum()

    region = np.array([o["detention_region"] for o in table])
    tx = raw["detention"]["texas_share"]["value"]
    la = raw["detention"]["louisiana_share"]["value"]
    bed = np.zeros(len(codes))
    bed[region == "texas"] = tx / (region == "texas").sum()
    bed[region == "louisiana"] = la / (region == "louisiana").sum()
    other = region == "other"
    bed[other] = (1.0 - tx - la) * pop[other] / pop[other].sum()
    notes = {
        "population": raw["population"]["source"],
        "harlingen_split": raw["harlingen_split"]["rationale"],
        "texas_share": raw["detention"]["texas_share"]["source"],
        "louisiana_share": raw["detention"]["louisiana_share"]["source"],
        "bed_split": " ".join(
            raw["detention"][k]["split"] for k in ("texas_share", "louisiana_share", "others")
        ),
    }
    return Offices(codes, names, population_weight, bed / bed.sum(), notes)

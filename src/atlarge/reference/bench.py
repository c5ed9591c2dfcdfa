"""Speed of the vectorized engine against the SimPy reference, in one process.

Each case is the FY2024 baseline scenario with the ERO workforce scaled so
that about ``arrests_per_day`` arrests are made, and capacities raised so the
pipeline keeps flowing (the cost then scales with the number of cases, which
is what a per-entity simulation pays for). Both implementations run the same
inputs; the ratio is reference seconds per replication divided by engine
seconds per replication, the engine running all its replications in one call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from atlarge.model.inputs import build_inputs
from atlarge.reference.des import run_reference
from atlarge.runs.replications import run_replications
from atlarge.scenario import load_scenario

BASELINE_ARRESTS_PER_ERO_OFFICER = 321 / 6000
"""FY2024 baseline: about 321 arrests/day from 6,000 ERO officers (the scenario's own result)."""


@dataclass(frozen=True)
class BenchCase:
    arrests_per_day: int
    days: int
    reps: int
    reference_reps: int
    offices: int
    simulated_arrests_per_day: float
    engine_s_per_rep: float
    reference_s_per_rep: float

    @property
    def ratio(self) -> float:
        return self.reference_s_per_rep / self.engine_s_per_rep

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio}


def case_overrides(arrests_per_day: int, days: int) -> dict[str, float]:
    """``--set`` overrides that turn the baseline into a bench case of this size."""
    ero = round(arrests_per_day / BASELINE_ARRESTS_PER_ERO_OFFICER)
    return {
        "days": days,
        "workforce.ero.headcount": ero,
        "inflow.border_transfers_per_day": 0,
        "processing.capacity_per_day": max(1500, 2 * arrests_per_day),
        "detention.beds": max(60000, 80 * arrests_per_day),
        "transport.seats_per_day": max(1500, 1.5 * arrests_per_day),
        "target.arrests_per_day": arrests_per_day,
    }


def run_case(
    scenario_path: Path,
    arrests_per_day: int,
    days: int,
    reps: int,
    reference_reps: int,
    seed: int = 1,
) -> BenchCase:
    sc = load_scenario(scenario_path, set=case_overrides(arrests_per_day, days))
    inputs = build_inputs(sc)
    t0 = time.perf_counter()
    eng = run_replications(inputs, seed, reps, chunk_size=min(reps, 100))
    engine = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    run_reference(inputs, seed, reference_reps, workers=1)
    reference = (time.perf_counter() - t0) / reference_reps
    return BenchCase(
        arrests_per_day=arrests_per_day,
        days=days,
        reps=reps,
        reference_reps=reference_reps,
        offices=inputs.n_offices,
        simulated_arrests_per_day=float(eng["arrests"].sum() / reps / days),
        engine_s_per_rep=engine,
        reference_s_per_rep=reference,
    )


def run_bench(
    scenario_path: Path,
    quick: bool,
    progress: Callable[[str], None] | None = None,
) -> list[BenchCase]:
    """The standard cases: 300 and 3,000 arrests/day, 25 offices.

    Full: 365 days, 200 engine replications, one reference replication.
    Quick (under a minute): 30 days, 50 engine replications, one reference.
    """
    days, reps = (30, 50) if quick else (365, 200)
    out = []
    for size in (300, 3000):
        if progress:
            progress(f"{size:,} arrests/day, {days} days")
        out.append(run_case(scenario_path, size, days, reps, reference_reps=1))
    return out

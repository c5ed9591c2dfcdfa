"""What a model run produces: labelled daily arrays and the costs they imply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from atlarge.model.inputs import ModelInputs, build_inputs
from atlarge.model.simulate import run_replications
from atlarge.scenario import Scenario

COST_STAGES = (
    "agents",
    "national_guard",
    "processing",
    "detention",
    "court",
    "transport",
    "atd",
)
"""Cost stages, in pipeline order."""


@dataclass
class ModelOutput:
    """Daily series of one run, with the inputs that produced them.

    ``series[m]`` is ``(reps, offices, days)`` for office measures,
    ``series["arrests_by_group"]`` and ``series["pool"]`` are
    ``(reps, offices, groups, days)``, ``series["path_entries"]`` is
    ``(reps, paths, days)``.
    """

    inputs: ModelInputs
    seed: int
    reps: int
    series: dict[str, np.ndarray]

    @property
    def scenario(self) -> Scenario:
        return self.inputs.scenario

    @property
    def days(self) -> int:
        return self.inputs.days

    def national(self, measure: str) -> np.ndarray:
        """``(reps, days)`` national total of an office measure."""
        return self.series[measure].sum(axis=1, dtype=np.int64)

    @cached_property
    def costs(self) -> dict[str, np.ndarray]:
        """Cost in USD by stage, ``(reps,)`` each, over the whole horizon."""
        sc = self.scenario
        inp = self.inputs
        r = self.reps
        agents = float((inp.agent_days.sum(axis=1) * inp.agency_cost_per_day).sum())
        guard = sc.support.national_guard
        guard_cost = (
            float(inp.guard_troops.sum() * guard.cost_per_troop_day.value) if guard else 0.0
        )
        bed_days = self.series["detained"].sum(axis=(1, 2), dtype=np.int64)
        atd_days = self.series["atd_population"].sum(axis=(1, 2), dtype=np.int64)
        entries = self.series["path_entries"].sum(axis=2, dtype=np.int64)  # (reps, paths)
        return {
            "agents": np.full(r, agents),
            "national_guard": np.full(r, guard_cost),
            "processing": self.totals("booked") * sc.processing.cost_per_book_in.value,
            "detention": bed_days * sc.detention.bed_day_cost.value,
            "court": entries @ inp.chain_cost,
            "transport": self.totals("removed") * sc.transport.cost_per_removal.value,
            "atd": atd_days * sc.atd.cost_per_participant_day.value,
        }

    def totals(self, measure: str) -> np.ndarray:
        """``(reps,)`` total of an office measure over offices and days."""
        return self.series[measure].sum(axis=(1, 2), dtype=np.int64)

    @property
    def agent_days_by_agency(self) -> np.ndarray:
        """``(agencies,)`` agent-days worked over the horizon (the same in every replication)."""
        return self.inputs.agent_days.sum(axis=1)


def run_model(
    scenario: Scenario,
    reps: int,
    seed: int,
    *,
    chunk_size: int = 100,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ModelOutput:
    """Simulate ``reps`` replications of ``scenario`` with ``seed``."""
    inputs = build_inputs(scenario)
    series = run_replications(
        inputs, seed, reps, chunk_size=chunk_size, workers=workers, progress=progress
    )
    return ModelOutput(inputs=inputs, seed=seed, reps=reps, series=series)

"""What a model run produces: labelled daily arrays and the costs they imply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from atlarge.model.inputs import ModelInputs
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
    ``(reps, paths, days)``. With parameter uncertainty, ``draws[k]`` are the
    inputs of parameter draw ``k`` and replication ``i`` used draw
    ``draw_of_rep[i]``; without it there is one draw, the scenario itself.
    """

    inputs: ModelInputs
    seed: int
    reps: int
    series: dict[str, np.ndarray]
    draws: tuple[ModelInputs, ...] = ()
    draw_of_rep: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    drawn_values: tuple[dict[str, float], ...] = ()
    _national: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.draws:
            self.draws = (self.inputs,)
            self.draw_of_rep = np.zeros(self.reps, dtype=np.int64)

    @property
    def scenario(self) -> Scenario:
        return self.inputs.scenario

    @property
    def days(self) -> int:
        return self.inputs.days

    @property
    def uncertainty(self) -> bool:
        return len(self.draws) > 1 or bool(self.drawn_values)

    def per_rep(self, fn: Callable[[ModelInputs], np.ndarray | float]) -> np.ndarray:
        """``fn`` of each replication's inputs, stacked over replications."""
        values = [np.asarray(fn(d), dtype=np.float64) for d in self.draws]
        return np.stack(values)[self.draw_of_rep]

    def national(self, measure: str) -> np.ndarray:
        """``(reps, days)`` national total of an office measure (computed once)."""
        cached = self._national.get(measure)
        if cached is None:
            cached = self._national[measure] = self.series[measure].sum(axis=1, dtype=np.int64)
        return cached

    def totals(self, measure: str) -> np.ndarray:
        """``(reps,)`` total of an office measure over offices and days."""
        return self.national(measure).sum(axis=1)

    @cached_property
    def costs(self) -> dict[str, np.ndarray]:
        """Cost in USD by stage, ``(reps,)`` each, over the whole horizon."""

        def unit(get: Callable[[Scenario], float]) -> np.ndarray:
            return self.per_rep(lambda d: get(d.scenario))

        def guard_cost(d: ModelInputs) -> float:
            guard = d.scenario.support.national_guard
            return float(d.guard_troops.sum() * guard.cost_per_troop_day.value) if guard else 0.0

        bed_days = self.totals("detained")
        atd_days = self.totals("atd_population")
        entries = self.series["path_entries"].sum(axis=2, dtype=np.int64)  # (reps, paths)
        return {
            "agents": self.per_rep(
                lambda d: (
                    (d.agent_days.sum(axis=1) * d.agency_cost_per_day).sum()
                    + d.money.hire_cost.sum()
                )
            ),
            "national_guard": self.per_rep(guard_cost),
            "processing": self.totals("booked")
            * unit(lambda s: s.processing.cost_per_book_in.value),
            "detention": self._detention_cost(bed_days),
            # Path entries at each path's cost per case; with courts, releases for lack of
            # beds are cases before a judge too (docs/model.md 3.10, 3.12).
            "court": (entries * self.per_rep(lambda d: d.chain_cost)).sum(axis=1)
            + self.totals("released_capacity") * self.per_rep(lambda d: d.court_cost),
            "transport": self.totals("removed")
            * unit(lambda s: s.transport.cost_per_removal.value),
            "atd": atd_days * unit(lambda s: s.atd.cost_per_participant_day.value),
        }

    def _detention_cost(self, bed_days: np.ndarray) -> np.ndarray:
        """Bed-days at the day's rate: one rate (``bed_day_cost``) unless procurement adds
        beds of other kinds, whose costs blend into the day's rate (docs/model.md 3.13)."""
        if all(d.scenario.procurement is None for d in self.draws):
            return bed_days * self.per_rep(lambda d: d.scenario.detention.bed_day_cost.value)
        return (self.national("detained") * self.per_rep(lambda d: d.money.bed_rate)).sum(axis=1)

    def daily_costs(self) -> np.ndarray:
        """``(reps, purposes, days)`` USD spent each day on each budget purpose
        (:data:`~atlarge.scenario.budget.PURPOSES`); summed over days they are the
        stages of :attr:`costs` (agents split into enforcement staff and detailed agents)."""
        from atlarge.scenario.budget import PURPOSES

        n_d = self.days
        out = np.zeros((self.reps, len(PURPOSES), n_d))
        col = {p: i for i, p in enumerate(PURPOSES)}

        def people(d: ModelInputs, diverted: bool) -> np.ndarray:
            pick = d.agency_diverted == diverted
            cost = (d.agent_days[pick] * d.agency_cost_per_day[pick, None]).sum(axis=0)
            hire_diverted = d.money.hire_agency is not None and bool(
                d.agency_diverted[d.agency_keys.index(d.money.hire_agency)]
            )
            return cost + (d.money.hire_cost if hire_diverted == diverted else 0.0)

        def guard(d: ModelInputs) -> np.ndarray:
            g = d.scenario.support.national_guard
            return d.guard_troops * g.cost_per_troop_day.value if g else np.zeros(n_d)

        def unit(get: Callable[[Scenario], float]) -> np.ndarray:
            return self.per_rep(lambda d: get(d.scenario))[:, None]

        out[:, col["enforcement_staff"]] = self.per_rep(lambda d: people(d, False))
        out[:, col["detailed_agents"]] = self.per_rep(lambda d: people(d, True))
        out[:, col["national_guard"]] = self.per_rep(guard)
        out[:, col["processing"]] = self.national("booked") * unit(
            lambda s: s.processing.cost_per_book_in.value
        )
        entries = self.series["path_entries"]  # (reps, paths, days)
        chain_cost = self.per_rep(lambda d: d.chain_cost)  # (reps, paths)
        out[:, col["court"]] = (entries * chain_cost[:, :, None]).sum(axis=1) + self.national(
            "released_capacity"
        ) * self.per_rep(lambda d: d.court_cost)[:, None]
        out[:, col["transport"]] = self.national("removed") * unit(
            lambda s: s.transport.cost_per_removal.value
        )
        out[:, col["detention"]] = self.national("detained") * self.per_rep(
            lambda d: d.money.bed_rate
        )
        out[:, col["atd"]] = self.national("atd_population") * unit(
            lambda s: s.atd.cost_per_participant_day.value
        )
        return out

    @property
    def agent_days_by_agency(self) -> np.ndarray:
        """``(reps, agencies)`` agent-days worked over the horizon."""
        return self.per_rep(lambda d: d.agent_days.sum(axis=1))

    @property
    def beds_national(self) -> np.ndarray:
        """``(reps, days)`` national beds (they differ by draw when beds are drawn)."""
        return self.per_rep(lambda d: d.beds_national)

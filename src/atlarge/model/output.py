"""What a model run produces: labelled daily arrays and the costs they imply."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from atlarge.model.inputs import ModelInputs
from atlarge.model.measures import GROUP_MEASURES, OFFICE_MEASURES
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

TIMESERIES = ("full", "national", "none")
"""What a run keeps of its daily series (``RunConfig.timeseries``): ``full`` every
(replication, office, day); ``national`` and ``none`` only the reduced arrays the analysis
reads (:func:`reduce_series`), ``national`` also writing them as the national table."""

_REDUCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "national": lambda a: a.sum(axis=1, dtype=np.int64),  # (reps, days)
    "total": lambda a: a.sum(axis=-1, dtype=np.int64),  # (reps, offices): over days
    "max": lambda a: a.max(axis=-1),  # (reps, offices): largest day
    "groups": lambda a: a.sum(axis=1, dtype=np.int64),  # (reps, groups, days)
    "entries": lambda a: a,  # path entries (reps, paths, days): small already
}
"""How each kept array comes from a full series; the reduced key is ``kind/measure``."""


def reduce_series(series: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Everything the analysis reads of a run's full series, replication-major.

    Sums and maxima over offices or days are exact and per replication, so a chunk reduced
    where it ran and concatenated gives what the whole run's series would: percentiles
    over replications stay exact while memory no longer grows with offices times days.
    """
    kinds = {m: ("national", "total", "max") for m in OFFICE_MEASURES}
    kinds |= {m: ("groups",) for m in GROUP_MEASURES} | {"path_entries": ("entries",)}
    return {
        f"{kind}/{m}": _REDUCTIONS[kind](series[m])
        for m, ks in kinds.items()
        if m in series
        for kind in ks
    }


class SeriesNotKept(LookupError):
    """Code asked for a run's full per-office series, which the run did not keep."""


class NotKept(Mapping[str, np.ndarray]):
    """Stands for the full series of a run that kept only reduced arrays: any read says
    which option keeps them, instead of an empty dict that would read as "no measures"."""

    def __init__(self, timeseries: str) -> None:
        self.timeseries = timeseries

    def _refuse(self) -> SeriesNotKept:
        return SeriesNotKept(
            f"the per-office daily series were not kept (timeseries = '{self.timeseries}'); "
            "run with timeseries = 'full' to keep them"
        )

    def __getitem__(self, key: str) -> np.ndarray:
        raise self._refuse()

    def __iter__(self) -> Iterator[str]:
        raise self._refuse()

    def __len__(self) -> int:
        raise self._refuse()


@dataclass
class ModelOutput:
    """Daily series of one run, with the inputs that produced them.

    ``series[m]`` is ``(reps, offices, days)`` for office measures,
    ``series["arrests_by_group"]`` and ``series["pool"]`` are
    ``(reps, offices, groups, days)``, ``series["path_entries"]`` is
    ``(reps, paths, days)``; they are kept only with ``timeseries = "full"``
    (else ``series`` is :class:`NotKept`). The analysis reads the reduced arrays
    instead (:meth:`national`, :meth:`office_totals`, :meth:`office_max`,
    :meth:`by_group`, :meth:`pool_end`, :attr:`path_entries`): given in
    ``reduced`` (see :func:`reduce_series`) or computed once from ``series``.
    With parameter uncertainty, ``draws[k]`` are the inputs of parameter draw
    ``k`` and replication ``i`` used draw ``draw_of_rep[i]``; without it there
    is one draw, the scenario itself.
    """

    inputs: ModelInputs
    seed: int
    reps: int
    series: Mapping[str, np.ndarray] = field(default_factory=dict)
    draws: tuple[ModelInputs, ...] = ()
    draw_of_rep: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    drawn_values: tuple[dict[str, float], ...] = ()
    reduced: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    timeseries: str = "full"

    def __post_init__(self) -> None:
        if not self.draws:
            self.draws = (self.inputs,)
            self.draw_of_rep = np.zeros(self.reps, dtype=np.int64)
        if self.timeseries not in TIMESERIES:
            raise ValueError(f"timeseries must be one of {TIMESERIES}, got {self.timeseries!r}")
        if self.timeseries != "full" and not isinstance(self.series, NotKept):
            self.series = NotKept(self.timeseries)

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

    def _kept(self, kind: str, measure: str) -> np.ndarray:
        """A reduced array: kept by the run, or computed once from the full series."""
        key = f"{kind}/{measure}"
        got = self.reduced.get(key)
        if got is None:
            got = self.reduced[key] = _REDUCTIONS[kind](self.series[measure])
        return got

    def national(self, measure: str) -> np.ndarray:
        """``(reps, days)`` national total of an office measure (int64)."""
        return self._kept("national", measure)

    def office_totals(self, measure: str) -> np.ndarray:
        """``(reps, offices)`` sum over days of an office measure (int64)."""
        return self._kept("total", measure)

    def office_max(self, measure: str) -> np.ndarray:
        """``(reps, offices)`` largest day of an office measure."""
        return self._kept("max", measure)

    def by_group(self, measure: str) -> np.ndarray:
        """``(reps, groups, days)`` a group measure summed over offices (int64)."""
        return self._kept("groups", measure)

    def pool_end(self) -> np.ndarray:
        """``(reps, groups)`` national pools on the last day."""
        return self.by_group("pool")[:, :, -1]

    @property
    def path_entries(self) -> np.ndarray:
        """``(reps, paths, days)`` entries into each detention path."""
        return self._kept("entries", "path_entries")

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
        entries = self.path_entries.sum(axis=2, dtype=np.int64)  # (reps, paths)
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
        """Bed-days at ``bed_day_cost``; with procurement, the beds bought paid as
        contracted and filled first, the typed beds paid as used (docs/model.md 3.13)."""
        if all(d.scenario.beds_plan is None for d in self.draws):
            return bed_days * self.per_rep(lambda d: d.scenario.detention.bed_day_cost.value)
        daily = self._bed_costs()
        return daily[0].sum(axis=1) + daily[1].sum(axis=1)

    def _bed_costs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(reps, days)`` each: the beds bought (as contracted) and the typed beds (as
        used: those detained beyond the beds bought)."""
        bought = self.per_rep(lambda d: d.money.beds_bought)
        used = np.maximum(self.national("detained") - bought, 0)
        return (
            self.per_rep(lambda d: d.money.contract_cost),
            used * self.per_rep(lambda d: d.money.base_rate)[:, None],
        )

    def daily_costs(self) -> np.ndarray:
        """``(reps, purposes, days)`` USD spent each day on each budget purpose
        (:data:`~atlarge.scenario.budget.PURPOSES`); summed over purposes and days they are
        the stages of :attr:`costs` (agents split into staff, new hires and detailed agents;
        detention into beds bought and typed beds)."""
        from atlarge.scenario.budget import PURPOSES

        n_d = self.days
        out = np.zeros((self.reps, len(PURPOSES), n_d))
        col = {p: i for i, p in enumerate(PURPOSES)}

        def people(d: ModelInputs, diverted: bool) -> np.ndarray:
            """Agent-days of staff (or detailed agents) at their agencies' cost; the hires'
            agent-days are new_hires (hires join the staff: the schema refuses a detail)."""
            pick = d.agency_diverted == diverted
            cost = (d.agent_days[pick] * d.agency_cost_per_day[pick, None]).sum(axis=0)
            if d.money.hire_agency is not None and not diverted:
                i = d.agency_keys.index(d.money.hire_agency)
                cost = cost - d.money.hired_agent_days * d.agency_cost_per_day[i]
            return cost

        def hires(d: ModelInputs) -> np.ndarray:
            if d.money.hire_agency is None:
                return np.zeros(n_d)
            i = d.agency_keys.index(d.money.hire_agency)
            return d.money.hired_agent_days * d.agency_cost_per_day[i] + d.money.hire_cost

        def guard(d: ModelInputs) -> np.ndarray:
            g = d.scenario.support.national_guard
            return d.guard_troops * g.cost_per_troop_day.value if g else np.zeros(n_d)

        def unit(get: Callable[[Scenario], float]) -> np.ndarray:
            return self.per_rep(lambda d: get(d.scenario))[:, None]

        out[:, col["enforcement_staff"]] = self.per_rep(lambda d: people(d, False))
        out[:, col["new_hires"]] = self.per_rep(hires)
        out[:, col["detailed_agents"]] = self.per_rep(lambda d: people(d, True))
        out[:, col["national_guard"]] = self.per_rep(guard)
        out[:, col["processing"]] = self.national("booked") * unit(
            lambda s: s.processing.cost_per_book_in.value
        )
        entries = self.path_entries  # (reps, paths, days)
        chain_cost = self.per_rep(lambda d: d.chain_cost)  # (reps, paths)
        out[:, col["court"]] = (entries * chain_cost[:, :, None]).sum(axis=1) + self.national(
            "released_capacity"
        ) * self.per_rep(lambda d: d.court_cost)[:, None]
        out[:, col["transport"]] = self.national("removed") * unit(
            lambda s: s.transport.cost_per_removal.value
        )
        out[:, col["beds_bought"]], out[:, col["detention"]] = self._bed_costs()
        out[:, col["atd"]] = self.national("atd_population") * unit(
            lambda s: s.atd.cost_per_participant_day.value
        )
        return np.maximum(out, 0.0)  # a difference of floats may leave -1e-12

    @property
    def agent_days_by_agency(self) -> np.ndarray:
        """``(reps, agencies)`` agent-days worked over the horizon."""
        return self.per_rep(lambda d: d.agent_days.sum(axis=1))

    @property
    def beds_national(self) -> np.ndarray:
        """``(reps, days)`` national beds (they differ by draw when beds are drawn)."""
        return self.per_rep(lambda d: d.beds_national)

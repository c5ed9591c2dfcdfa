"""What the home missions lose: output the detailing agencies did not produce.

The operation counts the agent-days it takes from agencies whose own mission is
not immigration arrests (``agent_days_diverted``); this module turns those
agent-days into what the agents would otherwise have produced at home (drug
arrests, fugitive arrests, defendants referred, ...). For agency ``a`` and
measure ``m``::

    forgone = per_agent_day[m] x marginal_loss[m] x agent-days of a on days t <= D-1-lag[m]

``per_agent_day`` is the agency's yearly output over its agents' working days (an
average, not the output of the marginal agent), ``marginal_loss`` the share of
that average a day taken away actually costs (an assumption bounded by what
2025 reporting measured), and ``lag`` the days before lost work shows (where it
runs through investigations and prosecutions: work taken near the end of the
horizon shows after it). All figures are in ``data/home-missions.toml``.

It is computed after the run from each parameter draw's inputs
(``ModelOutput.per_rep``): a draw may change the headcounts (so the agent-days)
and, since the four figures of each measure are scenario parameters
(``home_missions.<agency>.<measure>.*``, :mod:`atlarge.scenario.home_missions`),
``--set`` and ``--uncertainty`` reach them too: the band then holds the drawn
marginal losses and lags. The data file gives their defaults and the measures'
labels and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from atlarge.model import ModelOutput
from atlarge.scenario.home_missions import (
    PARAM_FIELDS,
    HomeMeasureParams,
    home_mission_data,
    parse_home_mission_data,
)
from atlarge.scenario.params import Param
from atlarge.scenario.schema import AGENCIES, AGENCY_LABELS, Scenario
from atlarge.scenario.sources import format_source

DEFINITION = (
    "Estimated output the detailing agencies' home missions did not produce because "
    "their agents worked in the operation: average output per agent-day (yearly output "
    "over agents x working days) x an assumed marginal-loss factor x the agency's "
    "agent-days in the operation that the measure's lag lets show within the horizon. "
    "Estimates from averages and assumptions (data/home-missions.toml), not measured losses."
)
"""The definition summary.json carries beside the ``home_output_forgone`` list."""


@dataclass(frozen=True)
class HomeMeasure:
    """One output of one detailing agency, with the figures that give its loss per day."""

    agency: str  # a key of schema.AGENCIES
    key: str
    label: str
    unit: str
    annual_output: Param
    agents: Param
    marginal_loss: Param
    lag_days: Param
    working_days_per_year: float

    @property
    def per_agent_day(self) -> float:
        """Average output of one agent-day: yearly output over agents x working days."""
        return self.annual_output.value / (self.agents.value * self.working_days_per_year)


@dataclass(frozen=True)
class HomeMissions:
    """``data/home-missions.toml``: the measures and the working year they share."""

    working_days_per_year: float
    working_days_rationale: str
    measures: tuple[HomeMeasure, ...]


def _measure(
    agency: str, key: str, figures: HomeMeasureParams | dict[str, Param], data: Any = None
) -> HomeMeasure:
    """One measure with its words from the data file (``data``, parsed; the shipped file
    when None) and its figures (``PARAM_FIELDS``) from ``figures``: a scenario's
    parameters or a mapping of Params."""
    data = home_mission_data() if data is None else data
    text = data.text[agency, key]
    get = figures.get if isinstance(figures, dict) else lambda f: getattr(figures, f)
    return HomeMeasure(
        agency,
        key,
        text.label,
        text.unit,
        working_days_per_year=data.working_days_per_year,
        **{f: get(f) for f in PARAM_FIELDS},
    )


def parse_home_missions(raw: dict[str, Any]) -> HomeMissions:
    """The measures of a parsed home-missions file; every number becomes a ``Param``, so
    one without a source, or an assumption without range and rationale, is refused."""
    data = parse_home_mission_data(raw)
    measures = []
    for agency, table in data.defaults.items():
        if agency not in AGENCY_LABELS:
            raise ValueError(f"home-missions: {agency!r} is not an agency of the model")
        for key, fields in table.items():
            params = {f: Param.model_validate(fields[f]) for f in PARAM_FIELDS}
            measures.append(_measure(agency, key, params, data))
    return HomeMissions(data.working_days_per_year, data.working_days_rationale, tuple(measures))


def home_missions() -> HomeMissions:
    """The data file's measures at their default figures (what a scenario that sets none
    of ``home_missions.*`` runs with)."""
    from atlarge.scenario.home_missions import default_home_missions

    data = home_mission_data()
    measures = tuple(
        _measure(a, k, p) for a, ms in default_home_missions().items() for k, p in ms.items()
    )
    return HomeMissions(data.working_days_per_year, data.working_days_rationale, measures)


def scenario_measures(
    scenario: Scenario, chosen: tuple[tuple[str, str], ...]
) -> tuple[HomeMeasure, ...]:
    """The measures ``chosen`` ((agency, measure) pairs) with the figures of ``scenario``
    (a run's scenario or one of its parameter draws)."""
    hm = scenario.home_missions
    return tuple(_measure(a, k, hm[a][k]) for a, k in chosen)


def lagged_agent_days(agent_days: np.ndarray, rows: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Agent-days of agency ``rows[k]`` on days ``t <= D - 1 - lags[k]``, for each k.

    ``agent_days`` is ``(agencies, days)``. Work done on day t shows on day t + lag;
    only what shows within the horizon counts. A lag of the horizon or more gives 0.
    """
    n_days = agent_days.shape[1]
    cum = np.concatenate([np.zeros((agent_days.shape[0], 1)), agent_days.cumsum(axis=1)], axis=1)
    last = np.clip(n_days - np.asarray(lags, dtype=np.int64), 0, n_days)
    return cum[np.asarray(rows, dtype=np.int64), last]


def forgone_per_unit_loss(
    agent_days: np.ndarray, agency_keys: tuple[str, ...], measures: tuple[HomeMeasure, ...]
) -> np.ndarray:
    """``(measures,)`` output forgone over the horizon at a marginal loss of 1 (average per
    agent-day times the lagged agent-days): forgone is this times the marginal loss."""
    if not measures:
        return np.zeros(0)
    rows = np.array([agency_keys.index(m.agency) for m in measures])
    lags = np.array([round(m.lag_days.value) for m in measures])
    per_day = np.array([m.per_agent_day for m in measures])
    return per_day * lagged_agent_days(agent_days, rows, lags)


def forgone(
    agent_days: np.ndarray, agency_keys: tuple[str, ...], measures: tuple[HomeMeasure, ...]
) -> np.ndarray:
    """``(measures,)`` output forgone over the horizon for one set of inputs."""
    loss = np.array([m.marginal_loss.value for m in measures])
    return loss * forgone_per_unit_loss(agent_days, agency_keys, measures)


def measures_of(out: ModelOutput) -> tuple[HomeMeasure, ...]:
    """The measures of agencies this run deploys as diverted with any agent-days, in the
    model's order of agencies (a headcount of 0 takes nothing), with the run's figures."""
    inp = out.inputs
    worked = out.agent_days_by_agency.max(axis=0) if out.reps else np.zeros(len(inp.agency_keys))
    taken = {k for i, k in enumerate(inp.agency_keys) if inp.agency_diverted[i] and worked[i] > 0}
    chosen = [(a, k) for a, ms in out.scenario.home_missions.items() if a in taken for k in ms]
    chosen.sort(key=lambda ak: AGENCIES.index(ak[0]))
    return scenario_measures(out.scenario, tuple(chosen))


def _assumption(p: Param) -> dict[str, Any]:
    return {"value": p.value, "range": list(p.range) if p.range else None, "rationale": p.rationale}


def home_output_rows(out: ModelOutput) -> list[dict[str, Any]]:
    """summary.json ``home_output_forgone``: one row per diverted agency and measure (none
    when the run takes no agent-days from another mission). ``forgone`` is over
    replications, each with its draw's figures; ``forgone_at_loss_range`` is the p50 with
    the marginal loss at the low and high end of its range in every draw (forgone is linear
    in it), so a reader sees how much the assumption moves it. The figures shown beside
    are the run's (before any draw)."""
    from atlarge.analysis.summary import stats  # summary imports this module

    measures = measures_of(out)
    if not measures:
        return []
    keys = out.inputs.agency_keys
    chosen = tuple((m.agency, m.key) for m in measures)

    def per_unit_loss(d: Any) -> np.ndarray:
        """Forgone per unit of marginal loss, with the draw's other figures."""
        return forgone_per_unit_loss(d.agent_days, keys, scenario_measures(d.scenario, chosen))

    def loss(d: Any) -> np.ndarray:
        return np.array([m.marginal_loss.value for m in scenario_measures(d.scenario, chosen)])

    unit = out.per_rep(per_unit_loss)  # (reps, measures)
    values = unit * out.per_rep(loss)
    rows = []
    for j, m in enumerate(measures):
        lo, hi = m.marginal_loss.range or (m.marginal_loss.value,) * 2
        rows.append(
            {
                "agency": AGENCY_LABELS[m.agency],
                "key": m.agency,
                "measure": m.key,
                "label": m.label,
                "unit": m.unit,
                "forgone": stats(values[:, j]),
                "forgone_at_loss_range": [
                    stats(unit[:, j] * lo)["p50"] or 0.0,
                    stats(unit[:, j] * hi)["p50"] or 0.0,
                ],
                "per_agent_day": m.per_agent_day,
                "working_days_per_year": m.working_days_per_year,
                "marginal_loss": _assumption(m.marginal_loss),
                "lag_days": _assumption(m.lag_days),
                "annual_output": m.annual_output.value,
                "agents": m.agents.value,
                "source": format_source(m.annual_output.source),
                "agents_source": format_source(m.agents.source),
            }
        )
    return rows

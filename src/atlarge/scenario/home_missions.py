"""The home-mission parameters of a scenario: ``home_missions.<agency>.<measure>.*``.

What a detailed agent-day costs an agency's own mission (see
:mod:`atlarge.analysis.home_missions`) rests on four numbers per measure: the
yearly output, the agents who produce it, the share of the average a day taken
actually costs (``marginal_loss``) and the days before the loss shows
(``lag_days``). They are parameters of every scenario, as ``offices.weights``
are, so ``--set``, sweeps and ``--uncertainty`` reach them; their defaults (and
the measures' labels and units, which are not parameters) are in
``data/home-missions.toml``. A scenario sets only the ones it changes: a
parameter table given replaces the default one whole, as ``extends`` does.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from atlarge.scenario.params import (
    ANY_UNIT,
    MAX_AGENTS,
    MAX_REPORTED,
    Days,
    Fraction,
    P,
)

PARAM_FIELDS = ("annual_output", "agents", "marginal_loss", "lag_days")
"""The parameters of one measure, in the order the data file and the scenario list them."""


@dataclass(frozen=True)
class MeasureText:
    """What a measure is called and counts in (text, not parameters)."""

    label: str
    unit: str


@dataclass(frozen=True)
class HomeMissionData:
    """``data/home-missions.toml``: the working year, the measures' words and the default
    parameter tables (as the raw tables a scenario's ``home_missions`` holds)."""

    working_days_per_year: float
    working_days_rationale: str
    text: dict[tuple[str, str], MeasureText]  # (agency, measure) -> label and unit
    defaults: dict[str, dict[str, dict[str, Any]]]  # agency -> measure -> field -> table

    def with_given(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` (a scenario's ``home_missions`` as written) over the defaults: each
        parameter table given replaces the default one whole; an agency or measure the
        file does not have is refused (it would have no label, unit or source)."""
        out = copy.deepcopy(self.defaults)
        for agency, measures in given.items():
            if agency not in out:
                raise ValueError(
                    f"no home-mission measures for agency {agency!r}; known: {', '.join(out)}"
                )
            if not isinstance(measures, Mapping):
                out[agency] = measures  # the type check below says what is wrong
                continue
            for key, fields in measures.items():
                if key not in out[agency]:
                    known = ", ".join(out[agency])
                    raise ValueError(f"no measure {agency}.{key}; {agency} has: {known}")
                if isinstance(fields, Mapping):
                    out[agency][key] = {**out[agency][key], **fields}
                else:
                    out[agency][key] = fields
        return out


@lru_cache(maxsize=1)
def home_mission_data() -> HomeMissionData:
    """Read ``data/home-missions.toml`` (once)."""
    text = resources.files("atlarge.data").joinpath("home-missions.toml").read_text()
    return parse_home_mission_data(tomllib.loads(text))


def parse_home_mission_data(raw: Mapping[str, Any]) -> HomeMissionData:
    """The measures of a parsed home-missions file, split into words and parameter tables."""
    words: dict[tuple[str, str], MeasureText] = {}
    defaults: dict[str, dict[str, dict[str, Any]]] = {}
    for agency, table in raw.items():
        if not isinstance(table, Mapping):
            continue
        for key, m in table.items():
            words[agency, key] = MeasureText(m["label"], m["unit"])
            defaults.setdefault(agency, {})[key] = {f: m[f] for f in PARAM_FIELDS}
    return HomeMissionData(
        float(raw["working_days_per_year"]), raw["working_days_rationale"], words, defaults
    )


class HomeMeasureParams(BaseModel):
    """The four parameters of one measure of one agency (``home_missions.<a>.<m>.*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Any unit (arrests/year, USD/year, ...); bounded as a reported figure in any unit.
    annual_output: P(ANY_UNIT, ge=0.0, le=MAX_REPORTED) = Field(
        description="The agency's yearly output of this measure before the operation."
    )
    # Divides the yearly output: more than none.
    agents: P("agents", gt=0.0, le=MAX_AGENTS) = Field(
        description="Agents who produce the yearly output."
    )
    marginal_loss: Fraction = Field(
        description="Share of the average output per agent-day that a day taken away costs."
    )
    lag_days: Days = Field(
        description="Days before work not done shows as output not produced (rounded to whole "
        "days); work taken within the last lag days of the horizon shows after it."
    )


def _over_the_defaults(data: Any) -> Any:
    return home_mission_data().with_given(data) if isinstance(data, Mapping) else data


def _agencies_of_the_model(value: dict[str, dict[str, HomeMeasureParams]]) -> Any:
    from atlarge.scenario.schema import AGENCY_LABELS  # schema imports this module

    unknown = [a for a in value if a not in AGENCY_LABELS]
    if unknown:
        raise ValueError(f"home_missions: {unknown} are not agencies of the model")
    return value


HomeMissions = Annotated[
    dict[str, dict[str, HomeMeasureParams]],
    BeforeValidator(_over_the_defaults),
    AfterValidator(_agencies_of_the_model),
]
"""The type of ``Scenario.home_missions``: agency -> measure -> its parameters, the data
file's defaults under what a scenario gives."""


def default_home_missions() -> dict[str, dict[str, HomeMeasureParams]]:
    """Every measure at the data file's values (a scenario that says nothing of them)."""
    return {
        agency: {k: HomeMeasureParams.model_validate(t) for k, t in measures.items()}
        for agency, measures in home_mission_data().defaults.items()
    }


__all__ = [
    "PARAM_FIELDS",
    "HomeMeasureParams",
    "HomeMissionData",
    "HomeMissions",
    "MeasureText",
    "default_home_missions",
    "home_mission_data",
    "parse_home_mission_data",
]

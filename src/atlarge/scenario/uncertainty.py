"""Parameter uncertainty: draw every ranged parameter of a scenario.

Which parameters are drawn: every parameter with a range whose low and high
differ, that is not time-varying and not ``fitted`` (a fitted value is an
estimate; its range is the prior it started from, not its uncertainty).
How: uniformly over the range, or triangular with the stated value as mode
when the parameter says ``distribution = "triangular"``.

Shares that must sum to one (``groups.*.effort_share``,
``dispositions.*.share``) are renormalised after drawing, and a drawn mean
stay is kept at least as long as its number of phases; the detained
population at the start is kept within the beds. Draw ``k`` of a run depends
only on the seed and ``k``: ``SeedSequence(seed, spawn_key=(PARAM_STREAM, k))``,
a key that no replication's stream uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from atlarge.errors import OptionError
from atlarge.scenario.loader import iter_params
from atlarge.scenario.params import Param
from atlarge.scenario.schema import Scenario

PARAM_STREAM = 0x5EED
SHARE_GROUPS = (("groups", "effort_share"), ("dispositions", "share"))


@dataclass(frozen=True)
class Ranged:
    path: str
    param: Param

    def draw(self, rng: np.random.Generator) -> float:
        lo, hi = self.param.range
        if self.param.distribution == "triangular":
            return float(rng.triangular(lo, self.param.value, hi))
        return float(rng.uniform(lo, hi))


def ranged_parameters(scenario: Scenario) -> list[Ranged]:
    """The parameters that uncertainty runs draw, in schema order."""
    out = []
    for path, p in iter_params(scenario):
        if p.range is None or p.range[0] >= p.range[1] or p.time_varying or p.fitted:
            continue
        if path.startswith("reported."):
            continue  # reported figures document the operation; the model does not read them
        out.append(Ranged(path, p))
    return out


MIN_DRAWS = 2
"""An uncertainty run draws at least this many parameter sets (one draw is no spread)."""


def draws_problem(reps: int, inner: int) -> str | None:
    """Why ``reps`` replications cannot run as whole parameter draws of ``inner`` each, or
    None when they can (``reps // inner`` draws of exactly ``inner`` replications).

    The message names the two as ```reps``` and ```uncertainty_inner```, which each
    front end shows its own way (see :func:`atlarge.errors.render_names`)."""
    draws, rest = divmod(reps, inner)
    if rest == 0 and draws >= MIN_DRAWS:
        return None
    fit = max(MIN_DRAWS, -(-reps // inner))
    return (
        f"`reps` {reps} does not split into at least {MIN_DRAWS} whole parameter draws "
        f"of `uncertainty_inner` {inner} replications each; use a multiple of {inner} from "
        f"{MIN_DRAWS * inner} up (e.g. `reps` {fit * inner}: {fit} draws) or a smaller "
        "`uncertainty_inner`"
    )


def check_uncertainty(scenario: Scenario, reps: int, inner: int) -> None:
    """Refuse a run with parameter draws that cannot give what it promises: ``inner``
    below 1, no ranged parameter to draw, or replications that are not whole draws.

    One check for ``simulate()``, sweeps and sensitivity, so each refuses the same runs.
    """
    if inner < 1:
        raise OptionError("uncertainty_inner", f"must be at least 1, got {inner}")
    if not ranged_parameters(scenario):
        raise OptionError("uncertainty", "the scenario has no ranged parameter to draw")
    problem = draws_problem(reps, inner)
    if problem:
        raise OptionError("uncertainty_inner", problem)


def draw_generator(seed: int, draw: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.Philox(np.random.SeedSequence(seed, spawn_key=(PARAM_STREAM, draw)))
    )


def _node(d: dict[str, Any], path: str) -> dict[str, Any]:
    for key in path.split("."):
        d = d[key]
    return d


def _set_value(table: dict[str, Any], value: float) -> None:
    table["value"] = value
    lo, hi = table["range"] or (value, value)
    table["range"] = (min(lo, value), max(hi, value))


def drawn_scenario(scenario: Scenario, seed: int, draw: int) -> tuple[Scenario, dict[str, float]]:
    """Scenario ``draw`` of an uncertainty run, and the values drawn for it."""
    rng = draw_generator(seed, draw)
    values = {r.path: r.draw(rng) for r in ranged_parameters(scenario)}
    return scenario_with_values(scenario, values), values


def scenario_with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """``scenario`` with parameters set to ``values`` (path -> value), kept consistent.

    Ranges widen to include a value outside them; shares that must sum to one
    are renormalised; mean stays are kept at least their number of phases;
    the starting population is kept within the beds.
    """
    d = scenario.model_dump()
    for path, value in values.items():
        _set_value(_node(d, path), float(value))
    for section, field in SHARE_GROUPS:
        tables = [v[field] for v in d[section].values()]
        total = sum(t["value"] for t in tables)
        if total > 0 and abs(total - 1.0) > 1e-12:
            for t in tables:
                _set_value(t, t["value"] / total)
    for v in d["dispositions"].values():
        if v["mean_days"]["value"] < v["phases"]:
            _set_value(v["mean_days"], float(v["phases"]))
    beds = Param.model_validate(d["detention"]["beds"]).at(scenario.start_date)
    init = d["detention"]["initial_population"]
    if init["value"] > beds:
        _set_value(init, beds)
    return Scenario.model_validate(d)
